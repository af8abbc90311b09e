"""Throughput of integration_core's outbound queue against the local test receiver.

Measures, in one run and against one receiver (a separate process, bodies not recorded):

* a bare loop: one ``requests.Session`` POSTing queue-like JSON envelopes, one per request,
  each with its own Idempotency-Key: the baseline, in requests/s;
* ``integration.message.enqueue()`` called once with N messages: messages/s and SQL queries
  per message;
* delivery of those N messages by ``_process_queue`` (what the Scheduled Action runs) with
  batching off (connector batch size 1, one request per message): messages/s, queries per
  message and the ratio to the bare loop;
* the same with batching on (N new messages, connector batch size ``--batch-size``, one
  request per group to the batch endpoint).

Targets (issue): delivery with batching off at least 0.7x the bare loop; with batching on,
above the bare loop. Each is printed as PASS or MISS; the exit status is 0 either way, and 1
only when messages were lost or not all sent.

The database is created for the run (integration_core only, no demo data) and dropped at the
end unless --keep-db. PostgreSQL runs with autovacuum off on CI machines, so the benchmark
runs VACUUM ANALYZE on the queue table between phases, as autovacuum would, and says so.

Run it with ``./suite bench queue_throughput [--messages N] [--batch-size 50] [--keep-db]``.
"""

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from benchlib import create_database, drop_database, say, start_receiver, stop_receiver, vacuum

import odoo
from odoo.modules.registry import Registry

MODULE = "integration_core"
CLAIM_SIZE = 200  # messages claimed per batch by _process_queue (the cron's default)
PROGRESS_SECONDS = 5.0  # time budget of one _process_queue call: a progress line each
TARGET_UNBATCHED = 0.7  # delivery with batching off vs. the bare loop
TARGET_BATCHED = 1.0  # delivery with batching on vs. the bare loop (strictly above)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Enqueue and deliver N messages to the local receiver; compare with a "
        "bare requests.Session loop."
    )
    parser.add_argument(
        "--config",
        default=os.environ.get("SUITE_BENCH_CONFIG"),
        help="Odoo configuration file (./suite bench passes a generated one)",
    )
    parser.add_argument("--messages", type=int, default=20_000, help="N (default 20000)")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=50,
        help="connector batch size of the batched phase (default 50)",
    )
    parser.add_argument(
        "--baseline-requests",
        type=int,
        default=None,
        help="requests of the bare loop (default min(N, 5000))",
    )
    parser.add_argument("--db", default=f"bench_queue_{os.getpid()}", help="database name")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    # Later: --nodes N (several delivery processes) and --transport http|amqp.
    args = parser.parse_args(argv)
    if not args.config:
        parser.error("--config is required (or run it with ./suite bench queue_throughput)")
    if args.messages < 1 or args.batch_size < 2:
        parser.error("--messages must be at least 1 and --batch-size at least 2")
    if args.baseline_requests is None:
        args.baseline_requests = min(args.messages, 5000)
    return args


# ---------------------------------------------------------------------------- database


# ---------------------------------------------------------------------------- receiver


def receiver_counts(log_path, expected, timeout=8.0):
    """(keys applied, replays) from the receiver's periodic status line, once it shows at
    least `expected` keys applied or `timeout` passed; None when it printed nothing."""
    deadline = time.monotonic() + timeout
    counts = None
    while True:
        lines = [line for line in Path(log_path).read_text().splitlines() if "keys applied" in line]
        if lines:
            # "<n> requests, <k> keys applied, <r> replays"
            parts = lines[-1].replace(",", "").split()
            counts = int(parts[2]), int(parts[5])
            if counts[0] >= expected:
                return counts
        if time.monotonic() >= deadline:
            return counts
        time.sleep(0.5)


# ---------------------------------------------------------------------------- phases


def envelope(key, sku, quantity):
    """A body like the queue's: compact, sorted-keys JSON of the same envelope."""
    value = {
        "idempotency_key": key,
        "event_type": "stock.level",
        "domain": "stock",
        "schema": "stock/v1",
        "queued_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "source": None,
        "payload": {"sku": sku, "quantity": quantity},
    }
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def bare_loop(url, count):
    """Requests/s of one requests.Session POSTing `count` distinct messages."""
    say(f"bare loop: {count:,} POSTs with one requests.Session ...")
    session = requests.Session()
    failures = 0
    start = time.monotonic()
    for i in range(count):
        key = str(uuid.uuid4())
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "X-Event-Type": "stock.level",
        }
        response = session.post(
            url + "/events", data=envelope(key, f"BARE-{i}", i % 97), headers=headers, timeout=10
        )
        failures += not response.ok
    elapsed = time.monotonic() - start
    session.close()
    if failures:
        say(f"  warning: {failures} baseline requests were not answered 2xx")
    rate = count / elapsed
    say(f"  {rate:,.0f} req/s ({elapsed:.1f} s)")
    return rate


def setup_connector(registry, url):
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["ir.config_parameter"].set_param("integration_core.instance_environment", "test")
        connector = env["integration.connector"].create(
            {
                "name": "Bench",
                "code": "bench",
                "base_url": url,
                "environment": "test",
                "allowed_domain_ids": [(6, 0, [env.ref("integration_core.domain_stock").id])],
                "batch_size": 1,
                "max_attempts": 3,
            }
        )
        cr.commit()
        return connector.id


def set_batch_size(registry, connector_id, size):
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["integration.connector"].browse(connector_id).batch_size = size
        cr.commit()


def enqueue(registry, connector_id, first, count):
    """Enqueue `count` messages in one call; returns (ids, msg/s, queries per message)."""
    say(f"enqueue: {count:,} messages in one call ...")
    messages = [
        {
            "connector": connector_id,
            "domain": "stock",
            "event_type": "stock.level",
            "payload": {"sku": f"SKU-{i}", "quantity": i % 97},
            "schema": "stock",
            "priority": "batch",
            "coalescing_key": f"stock:SKU-{i}",
        }
        for i in range(first, first + count)
    ]
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        queries = odoo.sql_db.sql_counter
        start = time.monotonic()
        ids = env["integration.message"].enqueue(messages).ids
        cr.commit()
        elapsed = time.monotonic() - start
        queries = odoo.sql_db.sql_counter - queries
    rate = count / elapsed
    say(f"  {len(ids):,} queued in {elapsed:.2f} s: {rate:,.0f} msg/s, {queries} queries")
    return ids, rate, queries / count


def deliver(registry, count):
    """Run _process_queue (fresh cursor per call) until nothing is due; returns
    (msg/s, queries per message, counts by outcome)."""
    totals = {}
    queries = odoo.sql_db.sql_counter
    start = time.monotonic()
    while True:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            counts = env["integration.message"]._process_queue(
                batch_size=CLAIM_SIZE, time_budget=PROGRESS_SECONDS
            )
        if not counts:
            break
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        elapsed = time.monotonic() - start
        sent = totals.get("sent", 0)
        say(f"  {sent:,}/{count:,} sent, {sent / elapsed:,.0f} msg/s so far{_others(totals)}")
    elapsed = time.monotonic() - start
    queries = odoo.sql_db.sql_counter - queries
    rate = totals.get("sent", 0) / elapsed
    per_message = queries / count
    say(f"  done in {elapsed:.1f} s: {rate:,.0f} msg/s, {queries} queries ({per_message:#.2g}/msg)")
    return rate, per_message, totals


def _others(totals):
    others = {k: v for k, v in totals.items() if k != "sent" and v}
    return f" (also {others})" if others else ""


def states_of(registry, ids):
    with registry.cursor() as cr:
        cr.execute(
            "SELECT state, count(*) FROM integration_message WHERE id = ANY(%s) GROUP BY state",
            [ids],
        )
        return dict(cr.fetchall())


def check_all_sent(registry, ids, expected, label):
    """True when `expected` messages were queued and every one is 'sent'."""
    states = states_of(registry, ids)
    if len(ids) == expected and states == {"sent": expected}:
        say(f"  verified: all {expected:,} messages of {label} are 'sent'")
        return True
    say(f"  LOST OR NOT SENT ({label}): {len(ids):,} of {expected:,} queued; by state: {states}")
    return False


# ---------------------------------------------------------------------------- report


def report(args, results):
    """The summary table and the verdict on each target."""
    bare = results["bare"]
    enqueue_rate, enqueue_queries = results["enqueue"]
    unbatched_rate, unbatched_queries = results["unbatched"]
    batched_rate, batched_queries = results["batched"]
    unbatched = unbatched_rate / bare
    batched = batched_rate / bare
    rows = [  # label, rate, unit, queries per message, ratio to the bare loop
        ("bare requests.Session loop", bare, "req/s", None, None),
        ("enqueue (one call)", enqueue_rate, "msg/s", enqueue_queries, None),
        ("deliver, batching off", unbatched_rate, "msg/s", unbatched_queries, unbatched),
        (f"deliver, batch size {args.batch_size}", batched_rate, "msg/s", batched_queries, batched),
    ]
    say("")
    say(
        f"queue_throughput: N={args.messages:,} (receiver: separate process, bodies not "
        "recorded; VACUUM ANALYZE between phases)"
    )
    for label, rate, unit, queries, ratio in rows:
        text = f"  {label:<34}{rate:>9,.0f} {unit}"
        if queries is not None:
            text += f"   {queries:>#8.2g} queries/msg"
        if ratio is not None:
            text += f"   {ratio:5.2f}x bare"
        say(text)
    say("targets:")
    verdict = "PASS" if unbatched >= TARGET_UNBATCHED else "MISS"
    say(f"  {verdict}  batching off >= {TARGET_UNBATCHED}x bare   ({unbatched:.2f}x)")
    verdict = "PASS" if batched > TARGET_BATCHED else "MISS"
    say(f"  {verdict}  batching on  >  {TARGET_BATCHED:.0f}x bare     ({batched:.2f}x)")


# ---------------------------------------------------------------------------- main


def run(args, registry, url):
    n = args.messages
    connector_id = setup_connector(registry, url)
    say(f"connector 'bench' -> {url} (batch size 1, instance environment 'test')")
    results = {"bare": bare_loop(url, args.baseline_requests)}
    ok = True

    ids, rate, queries = enqueue(registry, connector_id, 0, n)
    results["enqueue"] = (rate, queries)
    vacuum(args.db, ["integration_message"])
    say(f"deliver, batching off: {n:,} messages, one request each ...")
    rate, queries, _totals = deliver(registry, n)
    results["unbatched"] = (rate, queries)
    ok &= check_all_sent(registry, ids, n, "batching off")

    ids, _rate, _queries = enqueue(registry, connector_id, n, n)
    vacuum(args.db, ["integration_message"])
    set_batch_size(registry, connector_id, args.batch_size)
    say(f"deliver, batch size {args.batch_size}: {n:,} messages ...")
    rate, queries, _totals = deliver(registry, n)
    results["batched"] = (rate, queries)
    ok &= check_all_sent(registry, ids, n, f"batch size {args.batch_size}")
    return results, ok


def main(argv=None):
    args = parse_args(argv)
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.db, "--log-level=warn"], setup_logging=True
    )
    ok = False
    receiver = None
    with tempfile.NamedTemporaryFile("w+", prefix="receiver-", suffix=".log") as log_file:
        try:
            create_database(args.config, args.db, MODULE)
            receiver, url = start_receiver(log_file)
            registry = Registry(args.db)
            results, ok = run(args, registry, url)
            expected = args.baseline_requests + 2 * args.messages
            counts = receiver_counts(log_file.name, expected)
            if counts is None:
                say("receiver: no status line to cross-check (it prints one every 5 s)")
            else:
                applied, replays = counts
                say(
                    f"receiver: {applied:,} keys applied (expected {expected:,}), {replays} replays"
                )
                ok &= applied >= expected
            report(args, results)
        finally:
            if receiver is not None:
                stop_receiver(receiver)
            if args.keep_db:
                say(f"database {args.db} kept (--keep-db)")
            else:
                drop_database(args.db)
    if not ok:
        say("FAILED: messages were lost or not sent (see above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
