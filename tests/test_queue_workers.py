"""Reliability of the outbound queue with real worker processes on committed data.

Workers are separate OS processes (scripts/queue_worker.py, the same delivery loop as the
Scheduled Action) on a copy of the test database; the remote is a real local HTTP receiver
that applies each idempotency key once and records every delivery.
"""

import os
import signal
import time

from odoo.addons.integration_core.tests.receiver import TestReceiver

from suitekit.pg import query, states_of
from suitekit.processes import result_of, run_in_odoo, start_worker, wait_worker

SETUP = """
env["ir.config_parameter"].set_param("integration_core.instance_environment", "test")
# Demo messages must not get in the way of the counts below.
env.cr.execute(
    "UPDATE integration_message SET state = 'cancelled' "
    "WHERE state IN ('pending', 'failed', 'sending')"
)
connector = env["integration.connector"].create({
    "name": args["code"], "code": args["code"], "base_url": args["url"],
    "environment": "test", "max_attempts": 5,
    "allowed_domain_ids": [(6, 0, [env.ref("integration_core.domain_stock").id])],
})
messages = env["integration.message"]._enqueue([
    {"connector": connector, "domain": "stock", "event_type": "stock.level",
     "payload": {"sku": f"{args['code']}-{i}", "quantity": i}, "schema": "stock"}
    for i in range(args["count"])
])
result = [connector.id, messages.mapped("idempotency_key")]
"""


def _db():
    return os.environ["SUITE_WORKERS_DB"]


def _setup(suite_env, code, url, count):
    return result_of(
        run_in_odoo(suite_env["config"], _db(), SETUP, {"code": code, "url": url, "count": count})
    )


def _sql(sql, params=()):
    return query(_db(), sql, params)


def _worker(suite_env, *args):
    return start_worker(suite_env["config"], _db(), *args)


def _wait(proc, timeout=180):
    return wait_worker(proc, timeout)


def test_three_workers_send_each_message_once(suite_env):
    # Enough work (about 5 s) that every worker is still busy when the slowest one starts.
    with TestReceiver(record_bodies=False, delay=0.004) as receiver:
        connector_id, keys = _setup(suite_env, "three", receiver.url, 1200)
        workers = [_worker(suite_env, "--until-done", "--batch-size", "40") for _ in range(3)]
        totals = [_wait(w) for w in workers]
        assert states_of(_db(), connector_id) == {"sent": 1200}
        assert receiver.keys_sent_more_than_once() == []
        assert sorted(receiver.applied) == sorted(keys)
        assert set(receiver.applied.values()) == {1}
        assert sum(t.get("sent", 0) for t in totals) == 1200
        workers_seen = _sql(
            "SELECT count(DISTINCT claimed_by) FROM integration_message WHERE connector_id = %s",
            [connector_id],
        )[0][0]
        # On a loaded 2-core machine the last worker may start late; two at once is the point.
        assert workers_seen >= 2, "the workers ran concurrently"


def test_worker_killed_mid_batch_loses_nothing_and_applies_nothing_twice(suite_env):
    # A slow remote (10 ms a request) so the kill lands in the middle of the first batch.
    with TestReceiver(record_bodies=False, delay=0.01) as receiver:
        connector_id, keys = _setup(suite_env, "killed", receiver.url, 300)
        victim = _worker(suite_env, "--batch-size", "100", "--lease-seconds", "3")
        assert receiver.wait_for(lambda: len(receiver.applied) >= 40, timeout=60)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        # A request the dead worker had on the wire may still be landing: let it settle (the
        # receiver shares two loaded cores with the test).
        time.sleep(2.0)
        # What the dead worker put on the wire (up to its parallel requests were in flight at
        # the kill: one may have reached the receiver only in part, and not been applied).
        sent_before_kill = {r.idempotency_key for r in receiver.deliveries()}
        in_flight = states_of(_db(), connector_id).get("sending", 0)
        assert in_flight > 0, "the kill should leave messages leased to the dead worker"

        survivor = _worker(suite_env, "--until-done", "--batch-size", "100", "--lease-seconds", "3")
        _wait(survivor)

        assert states_of(_db(), connector_id) == {"sent": 300}, "nothing lost"
        assert sorted(receiver.applied) == sorted(keys)
        assert set(receiver.applied.values()) == {1}, "no idempotency key applied twice"
        resent = set(receiver.keys_sent_more_than_once())
        # Only what the dead worker had sent without recording it is sent again.
        assert resent <= sent_before_kill
        assert resent, "the test must exercise a delivery the dead worker never recorded"
        assert len(resent) <= 100
        # Each one applied once: a replay answered from the receiver's memory, or the first
        # application of one whose first request never arrived whole.
        assert receiver.replays <= len(resent)
        retried = _sql(
            "SELECT count(*) FROM integration_message WHERE connector_id = %s AND attempts = 2",
            [connector_id],
        )[0][0]
        assert retried == in_flight, "reclaimed messages count their lost attempt"
