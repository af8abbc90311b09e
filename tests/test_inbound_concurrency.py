"""The same inbound event posted by several clients at once is stored (applied) once.

A real Odoo HTTP server process (threaded: concurrent requests, concurrent transactions) on a
copy of the test database, hit by several client threads released at the same instant.
"""

import json
import os
import threading

import requests

from odoo.addons.integration_core.tools import signing

from suitekit.pg import query
from suitekit.processes import result_of, run_in_odoo, start_server, stop

SETUP = """
stock = env.ref("integration_core.domain_stock")
connector = env["integration.connector"].create({
    "name": "Concurrent WMS", "code": "concurrent-wms", "kind": "wms",
    "inbound_enabled": True, "inbound_auth": "hmac",
    "allowed_domain_ids": [(6, 0, [stock.id])],
})
connector.inbound_secret_input = "c0ncurrent"
stock.owner_connector_id = connector
result = connector.id
"""


def test_same_event_posted_concurrently_is_stored_once(suite_env):
    db = os.environ["SUITE_WORKERS_DB"]
    connector_id = result_of(run_in_odoo(suite_env["config"], db, SETUP))

    server, port = start_server(suite_env["config"], db, "--max-cron-threads=0", wait=120)
    url = f"http://127.0.0.1:{port}/integration/concurrent-wms/events"
    try:
        body = json.dumps(
            {
                "event_id": "wms-evt-42",
                "event_type": "stock.adjusted",
                "payload": {"sku": "FURN_0096", "warehouse": "WH", "quantity": 3},
            }
        ).encode()
        clients = 8
        barrier = threading.Barrier(clients)
        answers = [None] * clients

        def post(index):
            headers = {
                "Content-Type": "application/json",
                **signing.signature_headers("c0ncurrent", body),
            }
            session = requests.Session()
            barrier.wait()
            answers[index] = session.post(url, data=body, headers=headers, timeout=60)

        threads = [threading.Thread(target=post, args=(i,)) for i in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        stop(server)

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * (clients - 1) + [202], [a.text for a in answers]
    ids = {a.json()["id"] for a in answers}
    assert len(ids) == 1, "every client is told about the same event"
    rows = query(
        db,
        "SELECT count(*) FROM integration_inbound_event WHERE connector_id = %s AND external_id = %s",
        [connector_id, "wms-evt-42"],
    )
    assert rows == [(1,)]
