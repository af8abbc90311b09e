"""The outbound queue under load with real processes on committed data: a real-time message
overtakes a batch backlog that a worker process is draining, and retention run in another
process during a delivery run removes only old finished messages while every message is sent
exactly once.

Workers are scripts/queue_worker.py processes (the delivery loop of the Scheduled Action); the
remote is the local test receiver, which records when each request arrived on
time.monotonic(), a clock the other processes on this machine share.
"""

import os
import uuid

from odoo.addons.integration_core.tests.receiver import TestReceiver

from suitekit.pg import query, states_of
from suitekit.processes import result_of, run_in_odoo, start_worker, wait_worker

FINISHED = ("sent", "superseded", "cancelled")
UNFINISHED = ("pending", "sending", "failed", "dead")

CONNECTOR = """
env["ir.config_parameter"].set_param("integration_core.instance_environment", "test")
env["ir.config_parameter"].set_param("integration_core.retention_days", 30)
# Nothing else waiting in the queue may get in the way of the counts below.
env.cr.execute(
    "UPDATE integration_message SET state = 'cancelled' "
    "WHERE state IN ('pending', 'failed', 'sending')"
)
def connector(code, **vals):
    return env["integration.connector"].create({
        "name": code, "code": code, "base_url": args["url"], "environment": "test",
        "max_attempts": 5,
        "allowed_domain_ids": [(6, 0, [env.ref("integration_core.domain_stock").id,
                                       env.ref("integration_core.domain_base_price").id])],
        **vals,
    })
def stock(connector, prefix, count, priority):
    return env["integration.message"]._enqueue([
        {"connector": connector, "domain": "stock", "event_type": "stock.level",
         "payload": {"sku": f"{prefix}-{i}", "quantity": i}, "schema": "stock",
         "priority": priority, "coalescing_key": f"stock:{prefix}-{i}"}
        for i in range(count)
    ])
"""

BACKLOG = (
    CONNECTOR
    + """
live = connector(args["code"])
backlog = stock(live, args["code"], args["count"], "batch")
result = [live.id, backlog.mapped("idempotency_key")]
"""
)

# A user's click: one real-time message in a transaction of its own; returns when it was
# committed, on time.monotonic().
CLICK = """
import time
message = env["integration.message"]._enqueue([{
    "connector": args["connector"], "domain": "base_price", "event_type": "price.updated",
    "payload": {"sku": "URGENT", "pricelist": "Public", "currency": "EUR", "price": 9.5},
    "schema": "price", "priority": "realtime",
}])
env.cr.commit()
result = [message.idempotency_key, time.monotonic()]
"""

# Messages to deliver on a live connector, and on a frozen one (never claimed, so their state
# stays put) rows of every state, 45 days old (older than the 30-day period) and 29 days old
# (inside it), plus old sent rows enough for the cleanup to take many batches. The old rows
# are written by SQL: no API makes a message 45 days old.
RETENTION = (
    CONNECTOR
    + """
live = connector(args["code"])
frozen = connector(args["code"] + "-frozen", frozen=True)
deliver = stock(live, args["code"], args["count"], "batch")
marks = {}
for age in (45, 29):
    for state in ("pending", "sending", "failed", "dead", "sent", "superseded", "cancelled"):
        messages = stock(frozen, f"{state}-{age}", 20, "batch")
        env.cr.execute(
            "UPDATE integration_message SET state = %s, "
            "lease_until = CASE WHEN %s THEN (now() AT TIME ZONE 'UTC') + interval '1 hour' END, "
            "next_attempt_at = (now() AT TIME ZONE 'UTC') - %s * interval '1 day', "
            "create_date = (now() AT TIME ZONE 'UTC') - %s * interval '1 day', "
            "write_date = (now() AT TIME ZONE 'UTC') - %s * interval '1 day' WHERE id = ANY(%s)",
            [state, state == "sending", age, age, age, messages.ids],
        )
        marks[f"{state}-{age}"] = messages.ids
# Old sent history on the live connector, by bulk SQL: the cleanup's bulk of work.
env.cr.execute(
    '''
    INSERT INTO integration_message (
        connector_id, domain_id, event_type, priority_class, state, payload,
        idempotency_key, attempts, next_attempt_at, sent_at, create_date, write_date)
    SELECT c.id, %(domain)s, 'stock.level', '3_batch', 'sent',
           jsonb_build_object('sku', 'OLD-' || g, 'quantity', 1), %(code)s || '-old-' || g, 1,
           t.at, t.at, t.at, t.at
      FROM generate_series(1, %(old)s) g
      JOIN integration_connector c ON c.id = %(connector)s
     CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE 'UTC') - interval '40 days'
                                - g * interval '1 minute' AS at) t
    ''',
    {"domain": env.ref("integration_core.domain_stock").id, "code": args["code"],
     "old": args["old"], "connector": live.id},
)
result = [live.id, frozen.id, deliver.mapped("idempotency_key"), marks]
"""
)

CLEANUP = """
import time
start = time.monotonic()
removed = env["integration.message"]._cron_cleanup(batch_size=args["batch"], time_budget=120)
result = [removed, start, time.monotonic()]
"""


def _db():
    return os.environ["SUITE_WORKERS_DB"]


def _worker(suite_env, *args):
    return start_worker(suite_env["config"], _db(), *args)


def _wait(proc, timeout=300):
    return wait_worker(proc, timeout)


def test_realtime_message_overtakes_the_backlog_a_worker_is_draining(suite_env):
    count, claim = 2000, 50
    # 20 ms a request, four in flight (the connector's default): the backlog takes about 10 s,
    # enough to click in the middle of it.
    with TestReceiver(record_bodies=False, delay=0.02) as receiver:
        connector_id, backlog = result_of(
            run_in_odoo(
                suite_env["config"],
                _db(),
                BACKLOG,
                {"code": f"load-prio-{uuid.uuid4().hex[:6]}", "url": receiver.url, "count": count},
            )
        )
        worker = _worker(suite_env, "--until-empty", "--batch-size", str(claim))
        try:
            assert receiver.wait_for(lambda: len(receiver.applied) >= 2 * claim, timeout=120), (
                "the worker did not start delivering"
            )
            key, committed_at = result_of(
                run_in_odoo(suite_env["config"], _db(), CLICK, {"connector": connector_id})
            )
            assert len(receiver.applied) < count - 3 * claim, (
                "the backlog drained before the click: nothing to overtake (slow machine?)"
            )
            _wait(worker)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        order = [r for r in receiver.deliveries() if r.status == 200]
        keys = [r.idempotency_key for r in order]
        assert key in keys, "the real-time message was not delivered"
        at = keys.index(key)
        # After its commit, at most the rest of the claim being delivered went before it...
        ahead = [r for r in order[:at] if r.received_at > committed_at]
        # (the batch being delivered, or one claimed just before the commit).
        assert len(ahead) <= claim, f"{len(ahead)} batch messages went first after the click"
        # ...and the backlog's remainder came after it.
        behind = len(order) - at - 1
        assert behind >= claim, f"only {behind} batch messages were left behind it"
        assert states_of(_db(), connector_id) == {"sent": count + 1}
        assert sorted(receiver.applied) == sorted(backlog + [key])
        assert set(receiver.applied.values()) == {1}
        assert receiver.keys_sent_more_than_once() == []


def test_retention_during_a_delivery_run_removes_only_old_finished_messages(suite_env):
    count, old, batch = 2000, 20000, 500
    code = f"load-ret-{uuid.uuid4().hex[:6]}"
    # 20 ms a request, four in flight (the connector's default): delivery takes about 10 s,
    # the cleanup runs in the middle of it.
    with TestReceiver(record_bodies=False, delay=0.02) as receiver:
        live_id, frozen_id, keys, marks = result_of(
            run_in_odoo(
                suite_env["config"],
                _db(),
                RETENTION,
                {"code": code, "url": receiver.url, "count": count, "old": old},
            )
        )
        worker = _worker(suite_env, "--until-empty", "--batch-size", "50")
        try:
            assert receiver.wait_for(lambda: len(receiver.applied) >= 50, timeout=120), (
                "the worker did not start delivering"
            )
            removed, started, ended = result_of(
                run_in_odoo(suite_env["config"], _db(), CLEANUP, {"batch": batch})
            )
            _wait(worker)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            # Leave nothing waiting for the tests that share this database.
            query(
                _db(),
                "UPDATE integration_message SET state = 'cancelled' WHERE connector_id = %s "
                "AND state IN ('pending', 'failed', 'sending') RETURNING id",
                [frozen_id],
            )
        during = [r for r in receiver.deliveries() if started <= r.received_at <= ended]
        assert during, "no delivery happened while the cleanup ran: the test proves nothing"

        # Every message delivered exactly once, however the cleanup went.
        assert states_of(_db(), live_id) == {"sent": count}
        assert sorted(receiver.applied) == sorted(keys)
        assert set(receiver.applied.values()) == {1}
        assert receiver.keys_sent_more_than_once() == []

        # Only old finished messages went: the old history and the frozen connector's old
        # sent, superseded and cancelled rows; nothing unfinished, nothing inside the period.
        left = {
            mark: query(
                _db(), "SELECT count(*) FROM integration_message WHERE id = ANY(%s)", [ids]
            )[0][0]
            for mark, ids in marks.items()
        }
        expected = {mark: 0 if mark in {f"{s}-45" for s in FINISHED} else 20 for mark in marks}
        assert left == expected
        assert {f"{s}-45" for s in UNFINISHED} <= set(marks)
        assert removed >= old + 3 * 20
        old_left = query(
            _db(),
            "SELECT count(*) FROM integration_message WHERE idempotency_key LIKE %s",
            [f"{code}-old-%"],
        )[0][0]
        assert old_left == 0
