"""Three Odoo server processes (own ports, one cron thread each) on one database drain one
queue through the delivery Scheduled Actions, the setting "Parallel deliverers" at 3: all three
nodes deliver, nothing is sent twice, nothing is left behind, and a node killed mid-batch loses
nothing (the others take its messages back)."""

import os
import signal
import time

from odoo.addons.integration_core.tests.receiver import TestReceiver

from suitekit.pg import query, states_of
from suitekit.processes import (
    node_config,
    result_of,
    run_in_odoo,
    start_server,
    stop,
    wait_ready,
)

SETUP = """
env["ir.config_parameter"].set_param("integration_core.instance_environment", "test")
env["ir.config_parameter"].set_param("integration_core.delivery_workers", str(args["nodes"]))
env["integration.message"]._sync_delivery_crons()
env.cr.execute(
    "UPDATE integration_message SET state = 'cancelled' "
    "WHERE state IN ('pending', 'failed', 'sending')"
)
connector = env["integration.connector"].create({
    "name": "Nodes", "code": "nodes", "base_url": args["url"], "environment": "test",
    "max_attempts": 5, "parallel_requests": 1,
    "allowed_domain_ids": [(6, 0, [env.ref("integration_core.domain_stock").id])],
})
messages = env["integration.message"]._enqueue([
    {"connector": connector, "domain": "stock", "event_type": "stock.level",
     "payload": {"sku": f"NODE-{i}", "quantity": i}, "schema": "stock", "priority": "batch"}
    for i in range(args["count"])
])
delivery = env["integration.message"]._delivery_crons()
# Only the delivery jobs are due: the nodes' single cron thread is theirs.
env.cr.execute(
    "UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') + interval '1 day' "
    "WHERE NOT (id = ANY(%s))", [delivery.ids])
env.cr.execute(
    "UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') - interval '1 minute' "
    "WHERE id = ANY(%s)", [delivery.ids])
result = [connector.id, messages.mapped("idempotency_key"), len(delivery)]
"""

COUNT = 900
NODES = 3


def _nodes_that_delivered(db, connector_id):
    return query(
        db,
        "SELECT count(DISTINCT split_part(claimed_by, ':', 2)) FROM integration_message "
        "WHERE connector_id = %s AND state = 'sent'",
        [connector_id],
    )[0][0]


def test_three_nodes_drain_one_queue_and_survive_a_killed_node(suite_env, tmp_path):
    db = os.environ["SUITE_WORKERS_DB"]
    # Short leases and small batches, so that a killed node's messages come back quickly.
    config = node_config(
        suite_env["config"], tmp_path / "nodes.conf",
        integration_queue_lease_seconds=3, integration_queue_batch_size=50,
    )  # fmt: skip
    with TestReceiver(record_bodies=False, delay=0.03) as receiver:
        connector_id, keys, jobs = result_of(
            run_in_odoo(
                suite_env["config"], db, SETUP,
                {"url": receiver.url, "count": COUNT, "nodes": NODES},
            )
        )  # fmt: skip
        assert jobs == NODES, "one delivery job per parallel deliverer"
        started = [start_server(config, db, "--max-cron-threads=1") for _ in range(NODES)]
        nodes = [process for process, _port in started]
        try:
            for process, port in started:
                wait_ready(process, port, 120)
            # Wake both nodes' cron threads now, as a commit of ir.cron._trigger() does
            # (they LISTEN on the postgres database), rather than at their next minute.
            query("postgres", "SELECT pg_notify('cron_trigger', %s)", [db])
            deadline = time.monotonic() + 120
            while _nodes_that_delivered(db, connector_id) < NODES:
                assert time.monotonic() < deadline, "not every node's cron thread delivered"
                assert len(receiver.applied) < COUNT, "the queue drained before every node came"
                time.sleep(0.2)
            nodes[1].send_signal(signal.SIGKILL)
            nodes[1].wait(timeout=30)
            deadline = time.monotonic() + 150
            while time.monotonic() < deadline:
                rows = query(
                    db,
                    "SELECT count(*) FROM integration_message "
                    "WHERE connector_id = %s AND state <> 'sent'",
                    [connector_id],
                )
                if rows[0][0] == 0:
                    break
                time.sleep(1)
        finally:
            for node in nodes:
                stop(node)

        states = states_of(db, connector_id)
        assert states == {"sent": COUNT}, f"left behind: {states}"
        assert sorted(receiver.applied) == sorted(keys)
        assert set(receiver.applied.values()) == {1}, "no idempotency key applied twice"
        resent = receiver.keys_sent_more_than_once()
        assert receiver.replays == len(resent), "only what the dead node had in flight came again"
        assert len(resent) <= 50, "at most one batch of the killed node"
        assert _nodes_that_delivered(db, connector_id) == NODES, "every node delivered"
