"""integration_core's outbound queue under real load: history, priority, bulk enqueue, retention.

Four phases, in one run, against one local receiver (a separate process that records when each
idempotency key arrives), beside a bare ``requests.Session`` loop measured in the same run:

(a) **history**: N messages (default 20,000) delivered on an empty table, and N delivered on a
    table that has been through the same first run of N and then received H sent messages of
    history (default 100,000). The history is **bulk SQL** for set-up speed, but it goes
    through the states delivery takes (inserted pending, claimed with a lease, sent), so the
    table carries the dead tuples and dead index entries real history leaves. **No VACUUM**
    anywhere (autovacuum is off on these machines). The two tables are two databases (the
    second a copy of the first, made before anything was queued); the two measured runs are
    delivered in alternating chunks of 2,000 so that whatever else loads the machine falls on
    both alike. Printed side by side: msg/s, SQL queries, rows, index entries and buffers read
    per message (pg_stat_user_tables, pg_stat_user_indexes, pg_statio_user_tables, read after
    closing Odoo's pooled connections so that every backend has reported), EXPLAIN (ANALYZE,
    BUFFERS) of the claim statement at the start and at the end of each run, and its plan.
    Target: the run with history within 15 % of the run on the empty table.
(b) **priority**: a backlog of B batch-class messages (default 10,000) drains, one request per
    message, while real-time messages are enqueued one by one, each in its own transaction as
    a user's click would (_enqueue() triggers the delivery Scheduled Actions for real-time
    messages), every --click-interval seconds until the backlog is gone; then a few clicks on
    the idle queue. Delivery is done by an Odoo server process running the shipped delivery
    Scheduled Actions on its cron threads (--driver cron, the default) or by
    scripts/queue_worker.py (--driver worker). Enqueue-to-delivered is measured from just
    before the _enqueue() call to the request's arrival at the receiver. p50/p95/p99 per
    class; target: real-time p95 under 1 s.
(c) **bulk enqueue**: E messages (default 20,000) in one _enqueue() call, JSON Schema validated,
    one coalescing key each; then E more with the same keys, which supersede the first E
    (the coalescing path that does work). msg/s of each; target: 5,000 msg/s or more. Shown
    beside the JSON Schema validation of the same payloads alone.
(d) **retention**: R sent messages older than the retention period (default 1,000,000, bulk
    SQL, write dates 31 to 400 days back). A worker process (scripts/queue_worker.py, one
    request per message) delivers while this process keeps at least 2,000 messages waiting,
    and the retention Scheduled Action's method (_cron_cleanup, batches of --retention-batch
    committed one by one) runs in a process of its own; then the same fed delivery for the
    same length of time without the cleanup. Printed: the cleanup's time and rows/s, and the
    longest pause between two consecutive deliveries at the receiver (and the p99 gap) with
    and without the cleanup. Checked: every old row gone, nothing else removed, every message
    sent once.

The exit status is 0 whether targets pass or miss (a benchmark reports), 1 when a message was
lost, not sent, sent twice, or retention removed what it must not.

Run it with ``./suite bench queue_load [--messages N] [--history H] [--backlog B]
[--bulk E] [--retention-rows R] [--phases history,priority,bulk,retention] [--keep-db]``.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from queue_throughput import check_all_sent, envelope, set_batch_size

import odoo
from odoo.modules.registry import Registry
from odoo.tools import SQL

# Run as a script (./suite bench): suitekit is found from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from suitekit import say  # noqa: E402
from suitekit.pg import copy_database, create_database, drop_database, table_stats  # noqa: E402
from suitekit.processes import start_server, start_worker, stop  # noqa: E402
from suitekit.receivers import Arrivals, start_recording_receiver  # noqa: E402

MODULE = "integration_core"
CLAIM_SIZE = 200  # messages claimed per batch by _process_queue (the cron's default)
PROGRESS_SECONDS = 5.0  # time budget of one in-process _process_queue call
HISTORY_CHUNK = 2000  # messages delivered in one database before the other's turn
RETENTION_DAYS = 30
TARGET_HISTORY = 0.15  # delivery with history at most 15 % slower than on an empty table
TARGET_REALTIME_P95 = 1.0  # seconds, enqueue to delivered, real-time class, during the backlog
TARGET_BULK = 5000  # msg/s, enqueue of E messages in one call
PHASES = ("history", "priority", "bulk", "retention")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="The outbound queue under load: history, priority, bulk enqueue, retention."
    )
    parser.add_argument("--config", default=os.environ.get("SUITE_BENCH_CONFIG"))
    parser.add_argument(
        "--messages",
        type=int,
        default=20_000,
        help="messages of each delivery run in phases history and retention (default 20000)",
    )
    parser.add_argument(
        "--history", type=int, default=100_000, help="sent messages of history (default 100000)"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=50,
        help="connector batch size in phase history (default 50; 1 = one request per message)",
    )
    parser.add_argument(
        "--backlog", type=int, default=10_000, help="batch-class backlog (default 10000)"
    )
    parser.add_argument(
        "--click-interval",
        type=float,
        default=0.05,
        help="seconds between real-time enqueues while the backlog drains (default 0.05)",
    )
    parser.add_argument(
        "--max-clicks", type=int, default=2000, help="real-time messages at most (default 2000)"
    )
    parser.add_argument(
        "--idle-clicks",
        type=int,
        default=20,
        help="real-time messages enqueued on the idle queue afterwards, 0.5 s apart (default 20)",
    )
    parser.add_argument(
        "--driver",
        choices=("cron", "worker"),
        default="cron",
        help="who delivers in phase priority: an Odoo node's cron threads running the shipped "
        "delivery Scheduled Actions (default), or scripts/queue_worker.py",
    )
    parser.add_argument(
        "--bulk", type=int, default=20_000, help="messages of the bulk enqueue (default 20000)"
    )
    parser.add_argument(
        "--retention-rows",
        type=int,
        default=1_000_000,
        help="old sent messages for retention to remove (default 1000000)",
    )
    parser.add_argument(
        "--retention-batch",
        type=int,
        default=5000,
        help="rows removed per committed batch by _cron_cleanup (default 5000, its default)",
    )
    parser.add_argument(
        "--baseline-requests",
        type=int,
        default=5000,
        help="requests of the bare loop (default 5000)",
    )
    parser.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated subset of {','.join(PHASES)} (default all)",
    )
    parser.add_argument("--db", default=f"bench_load_{os.getpid()}", help="database name")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    args = parser.parse_args(argv)
    if not args.config:
        parser.error("--config is required (or run it with ./suite bench queue_load)")
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = sorted(set(args.phases) - set(PHASES))
    if unknown:
        parser.error(f"unknown phase(s) {', '.join(unknown)}: choose among {', '.join(PHASES)}")
    if min(args.messages, args.backlog, args.bulk, args.baseline_requests) < 1:
        parser.error("--messages, --backlog, --bulk and --baseline-requests must be at least 1")
    if args.batch_size < 1 or args.retention_batch < 1:
        parser.error("--batch-size and --retention-batch must be at least 1")
    return args


# ---------------------------------------------------------------------------- helpers


def env_of(cr):
    return odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


def percentile(values, fraction):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]


def fmt_rate(value):
    return f"{value:,.0f}"


def change(before, after):
    return f"{(after - before) / before:+.0%}" if before else "n/a"


def setup_connector(registry, url):
    """A `test` connector to the receiver, allowed stock and base price data, batch size 1."""
    with registry.cursor() as cr:
        env = env_of(cr)
        env["ir.config_parameter"].set_param("integration_core.instance_environment", "test")
        env["ir.config_parameter"].set_param("integration_core.retention_days", RETENTION_DAYS)
        domains = env.ref("integration_core.domain_stock") | env.ref(
            "integration_core.domain_base_price"
        )
        connector = env["integration.connector"].create(
            {
                "name": "Load",
                "code": "load",
                "base_url": url,
                "environment": "test",
                "allowed_domain_ids": [(6, 0, domains.ids)],
                "batch_size": 1,
                "max_attempts": 3,
            }
        )
        cr.commit()
        return connector.id


def stock_messages(connector_id, prefix, count, priority="batch"):
    """`count` stock messages with their own idempotency keys and one coalescing key each."""
    return [
        {
            "connector": connector_id,
            "domain": "stock",
            "event_type": "stock.level",
            "payload": {"sku": f"{prefix}-{i}", "quantity": i % 97},
            "schema": "stock",
            "priority": priority,
            "idempotency_key": f"{prefix}-{i}-{uuid.uuid4().hex[:12]}",
            "coalescing_key": f"stock:{prefix}-{i}",
        }
        for i in range(count)
    ]


def enqueue_timed(registry, messages):
    """One _enqueue() call, committed; returns (ids, seconds, queries)."""
    with registry.cursor() as cr:
        queries = odoo.sql_db.sql_counter
        start = time.monotonic()
        ids = env_of(cr)["integration.message"]._enqueue(messages).ids
        cr.commit()
        elapsed = time.monotonic() - start
        return ids, elapsed, odoo.sql_db.sql_counter - queries


def deliver(registry, count):
    """_process_queue in this process (a fresh cursor per call, as the Scheduled Action runs
    it) until nothing is due; returns (seconds, queries, counts by outcome)."""
    totals = {}
    queries = odoo.sql_db.sql_counter
    start = time.monotonic()
    while True:
        with registry.cursor() as cr:
            counts = env_of(cr)["integration.message"]._process_queue(
                batch_size=CLAIM_SIZE, time_budget=PROGRESS_SECONDS
            )
        if not counts:
            break
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        sent = totals.get("sent", 0)
        say(f"    {sent:,}/{count:,} sent, {sent / (time.monotonic() - start):,.0f} msg/s so far")
    return time.monotonic() - start, odoo.sql_db.sql_counter - queries, totals


def sql_one(registry, query, params=None):
    with registry.cursor() as cr:
        cr.execute(query, params or {})
        return cr.fetchone()


def seed_sent(registry, connector_id, count, newest_days, spread_days, tag, replay=False):
    """Insert `count` sent stock messages by bulk SQL, write dates between `newest_days` and
    `newest_days + spread_days` days ago, in committed chunks; returns seconds.

    With `replay`, each chunk goes through the states delivery takes it through, as three SQL
    statements: inserted pending, claimed ('sending', with a lease long expired), then sent.
    The table then carries the dead tuples and dead index entries that real history leaves
    behind when nothing vacuums it."""
    start = time.monotonic()
    chunk = 200_000
    with registry.cursor() as cr:
        env = env_of(cr)
        domain = env.ref("integration_core.domain_stock").id
        schema = env["integration.schema"]._lookup("stock").id
        for first in range(0, count, chunk):
            cr.execute(
                """
                INSERT INTO integration_message (
                    connector_id, domain_id, event_type, priority_class, state,
                    payload, schema_id, idempotency_key, coalescing_key, attempts,
                    next_attempt_at, last_attempt_at, sent_at, http_status, latency_ms,
                    create_date, write_date)
                SELECT c.id, %(domain)s, 'stock.level', '3_batch', %(state)s,
                       jsonb_build_object('sku', 'OLD-' || g, 'quantity', g %% 97), %(schema)s,
                       %(tag)s || '-' || g, 'stock:OLD-' || (g %% 50000), %(attempts)s,
                       t.at, t.at, t.at, 200, 5, t.at, t.at
                  FROM generate_series(%(first)s, %(last)s) g
                  JOIN integration_connector c ON c.id = %(connector)s
                 CROSS JOIN LATERAL (
                       SELECT (now() AT TIME ZONE 'UTC')
                              - %(newest)s * interval '1 day'
                              - (g %% %(minutes)s) * interval '1 minute' AS at) t
                RETURNING id
                """,
                {
                    "domain": domain,
                    "schema": schema,
                    "tag": tag,
                    "first": first + 1,
                    "last": min(count, first + chunk),
                    "connector": connector_id,
                    "newest": newest_days,
                    "minutes": max(1, int(spread_days * 1440)),
                    "state": "pending" if replay else "sent",
                    "attempts": 0 if replay else 1,
                },
            )
            ids = [row[0] for row in cr.fetchall()]
            if replay:
                cr.execute(
                    "UPDATE integration_message SET state = 'sending', attempts = 1, "
                    "lease_until = write_date + interval '5 minutes', claimed_by = 'history' "
                    "WHERE id = ANY(%s)",
                    [ids],
                )
                cr.execute(
                    "UPDATE integration_message SET state = 'sent', lease_until = NULL "
                    "WHERE id = ANY(%s)",
                    [ids],
                )
            cr.commit()
            if count > chunk:
                say(f"    {min(count, first + chunk):,}/{count:,} rows inserted")
    return time.monotonic() - start


def claim_explain(registry):
    """EXPLAIN (ANALYZE, BUFFERS) of the claim statement, rolled back; returns (plan lines,
    execution ms, shared buffers hit+read)."""
    with registry.cursor() as cr:
        Message = env_of(cr)["integration.message"]
        query = Message._claim_query(CLAIM_SIZE)
        Message._pin_index_scans(True)  # as _claim() does
        cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS) %s", query))
        lines = [row[0] for row in cr.fetchall()]
        cr.rollback()
    ms = next((float(x.split()[2]) for x in lines if x.startswith("Execution Time")), 0.0)
    buffers = 0
    for line in lines:
        text = line.strip()
        if text.startswith("Buffers: shared"):
            # The top node's line carries the totals of the whole statement.
            for part in text.replace("Buffers: shared", "").replace(",", " ").split():
                if part.startswith(("hit=", "read=")):
                    buffers += int(part.split("=")[1])
            break
    return lines, ms, buffers


def plan_shape(lines):
    """The nodes of an EXPLAIN, without figures: to tell whether two plans differ."""
    return [line.split("(")[0].strip() for line in lines if "(cost=" in line]


def fresh_stats(db):
    """Table statistics after closing Odoo's pooled connections (so every backend reported)."""
    odoo.sql_db.close_db(db)
    return table_stats(db, "integration_message")


def bare_loop(url, count):
    """One requests.Session POSTing `count` distinct messages: (req/s, round trips in s)."""
    say(f"bare loop: {count:,} POSTs with one requests.Session ...")
    session = requests.Session()
    failures = 0
    latencies = []
    start = time.monotonic()
    for i in range(count):
        key = str(uuid.uuid4())
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        sent = time.monotonic()
        response = session.post(
            url + "/events", data=envelope(key, f"BARE-{i}", i % 97), headers=headers, timeout=10
        )
        latencies.append(time.monotonic() - sent)
        failures += not response.ok
    elapsed = time.monotonic() - start
    session.close()
    if failures:
        say(f"  warning: {failures} baseline requests were not answered 2xx")
    rate = count / elapsed
    say(
        f"  {rate:,.0f} req/s ({elapsed:.1f} s); round trip p50 {percentile(latencies, 0.5) * 1000:.1f} "
        f"ms, p99 {percentile(latencies, 0.99) * 1000:.1f} ms"
    )
    return rate, latencies


def wait_arrivals(arrivals, keys, timeout):
    """Poll the receiver until every key arrived or `timeout` seconds passed; returns the
    keys still missing."""
    deadline = time.monotonic() + timeout
    missing = set(keys) - arrivals.first.keys()
    while missing and time.monotonic() < deadline:
        time.sleep(0.25)
        arrivals.poll()
        missing -= arrivals.first.keys()
    return missing


def states(registry, where, params=None):
    with registry.cursor() as cr:
        cr.execute(
            f"SELECT state, count(*) FROM integration_message WHERE {where} GROUP BY state",  # noqa: S608
            params or {},
        )
        return dict(cr.fetchall())


# ---------------------------------------------------------------------------- (a) history


def deliver_chunk(registry, batches):
    """Up to `batches` claims of _process_queue in this process; returns (seconds, queries,
    messages sent)."""
    queries = odoo.sql_db.sql_counter
    start = time.monotonic()
    with registry.cursor() as cr:
        counts = env_of(cr)["integration.message"]._process_queue(
            batch_size=CLAIM_SIZE, time_budget=120, max_batches=batches
        )
    return time.monotonic() - start, odoo.sql_db.sql_counter - queries, counts.get("sent", 0)


def phase_history(args, registry, connector_id, bare_rate):
    n = args.messages
    say("")
    say(
        f"(a) history: {n:,} messages delivered on an empty table, and {n:,} on a table that "
        f"already went through a first run of {n:,} and holds {args.history:,} sent messages "
        f"of history; connector batch size {args.batch_size}; NO VACUUM in this phase "
        "(autovacuum is off on these machines)"
    )
    set_batch_size(registry, connector_id, args.batch_size)
    hist_db = f"{args.db}_history"
    copy_database(args.db, hist_db)
    hist_registry = None
    ok = True
    try:
        hist_registry = Registry(hist_db)
        dbs = {"empty": (args.db, registry), "history": (hist_db, hist_registry)}
        messages = stock_messages(connector_id, "Afirst", n)
        ids, _seconds, _queries = enqueue_timed(hist_registry, messages)
        say(f"  {hist_db}: first run, {n:,} messages on its empty table, alone ...")
        seconds, _queries, _totals = deliver(hist_registry, n)
        first_rate = n / seconds
        ok &= check_all_sent(hist_registry, ids, n, "the first run")
        say(
            f"  {hist_db}: seeding {args.history:,} sent messages of history by bulk SQL, "
            "through the states delivery takes (pending, sending with a lease, sent) ..."
        )
        seconds = seed_sent(hist_registry, connector_id, args.history, 0, 29, "history", True)
        say(f"    done in {seconds:.1f} s (no VACUUM, no ANALYZE)")

        runs = {}
        for label, (db, reg) in dbs.items():
            rows = sql_one(reg, "SELECT count(*) FROM integration_message")[0]
            ids, enqueue_seconds, _queries = enqueue_timed(
                reg, stock_messages(connector_id, f"A{label}", n)
            )
            plan, ms, buffers = claim_explain(reg)
            runs[label] = {
                "ids": ids,
                "rows": rows,
                "enqueue": n / enqueue_seconds,
                "plan": plan,
                "claim_start": (ms, buffers),
            }
            say(f"  {db}: {rows:,} rows, {len(ids):,} enqueued in {enqueue_seconds:.2f} s")
        before = {label: fresh_stats(db) for label, (db, _reg) in dbs.items()}

        # Both deliveries in alternating chunks, so that whatever else loads the machine
        # falls on both alike.
        say(
            f"  delivering {n:,} in each database, in alternating chunks of {HISTORY_CHUNK:,} "
            "(first mover alternating too) ..."
        )
        spent = {label: [0.0, 0, 0] for label in dbs}  # seconds, queries, sent
        done = set()
        turn = 0
        while len(done) < len(dbs):
            order = list(dbs) if turn % 2 == 0 else list(reversed(dbs))
            for label in order:
                if label in done:
                    continue
                seconds, queries, sent = deliver_chunk(dbs[label][1], HISTORY_CHUNK // CLAIM_SIZE)
                spent[label][0] += seconds
                spent[label][1] += queries
                spent[label][2] += sent
                if not sent:
                    done.add(label)
            turn += 1
            say(
                "    "
                + ", ".join(
                    f"{label}: {spent[label][2]:,} sent, {spent[label][2] / spent[label][0]:,.0f}"
                    " msg/s"
                    for label in dbs
                )
            )
        after = {label: fresh_stats(db) for label, (db, _reg) in dbs.items()}
        for label, (_db, reg) in dbs.items():
            run = runs[label]
            ok &= check_all_sent(reg, run["ids"], n, f"history phase, {label}")
            ms, buffers = claim_explain(reg)[1:]
            b, a = before[label], after[label]
            run.update(
                dead=b["n_dead_tup"],
                rate=n / spent[label][0],
                queries=spent[label][1] / n,
                rows_read=(
                    a["seq_tup_read"] - b["seq_tup_read"] + a["idx_tup_fetch"] - b["idx_tup_fetch"]
                )
                / n,  # fmt: skip
                seq_scans=a["seq_scan"] - b["seq_scan"],
                entries=(a["idx_tup_read"] - b["idx_tup_read"]) / n,
                buffers=(
                    a["heap_blocks"] - b["heap_blocks"] + a["index_blocks"] - b["index_blocks"]
                )
                / n,  # fmt: skip
                claim_end=(ms, buffers),
                vacuums=a["vacuums"],
            )
    finally:
        if args.keep_db:
            say(f"database {hist_db} kept (--keep-db)")
        else:
            drop_database(hist_db)
    say("")
    if plan_shape(runs["empty"]["plan"]) != plan_shape(runs["history"]["plan"]):
        say("  claim statement, plan on the empty table (it differs from the one below):")
        for line in runs["empty"]["plan"]:
            say(f"    {line}")
    say(
        "  claim statement (integration.message._claim_query after _pin_index_scans), "
        "EXPLAIN (ANALYZE, BUFFERS) with the history, start of the run:"
    )
    for line in runs["history"]["plan"]:
        say(f"    {line}")
    return {"runs": runs, "bare": bare_rate, "first": first_rate}, ok


def report_history(args, result):
    runs = result["runs"]
    empty, history = runs["empty"], runs["history"]
    say("")
    say(
        f"(a) history: {args.messages:,} messages per run, connector batch size "
        f"{args.batch_size}, the two runs in alternating chunks of {HISTORY_CHUNK:,}; no VACUUM "
        f"(vacuums of the table: {empty['vacuums']} and {history['vacuums']})"
    )
    say(f"  {'':<44}{'empty table':>14}{'with history':>16}{'change':>9}")

    def row(label, a, b, fmt, show_change=True):
        say(f"  {label:<44}{fmt(a):>14}{fmt(b):>16}{change(a, b) if show_change else '':>9}")

    row("rows in the table before the run", empty["rows"], history["rows"], fmt_rate, False)
    row("dead tuples in the table before the run", empty["dead"], history["dead"], fmt_rate, False)
    row("enqueue (one call), msg/s", empty["enqueue"], history["enqueue"], fmt_rate)
    row("deliver, msg/s", empty["rate"], history["rate"], fmt_rate)
    row("SQL queries per message", empty["queries"], history["queries"], lambda v: f"{v:.3f}")
    row(
        "rows read per message (seq + index fetch)",
        empty["rows_read"],
        history["rows_read"],
        lambda v: f"{v:.1f}",
    )
    row("sequential scans of the table", empty["seq_scans"], history["seq_scans"], fmt_rate, False)
    row(
        "index entries read per message", empty["entries"], history["entries"], lambda v: f"{v:.1f}"
    )
    row(
        "buffers touched per message (heap + index)",
        empty["buffers"],
        history["buffers"],
        lambda v: f"{v:.1f}",
    )
    for key, label in (("claim_start", "start of the run"), ("claim_end", "end, nothing due")):
        row(f"claim, {label}: ms", empty[key][0], history[key][0], lambda v: f"{v:.2f}", False)
        row(f"claim, {label}: buffers", empty[key][1], history[key][1], fmt_rate, False)
    say(
        f"  bare requests.Session loop: {result['bare']:,.0f} req/s (deliver/bare: "
        f"{empty['rate'] / result['bare']:.2f}x empty, {history['rate'] / result['bare']:.2f}x history)"
    )
    say(
        f"  the history table's own first run, alone on its empty table: {result['first']:,.0f}"
        " msg/s (not interleaved: the machine's load at that moment included)"
    )
    slower = 1 - history["rate"] / empty["rate"]
    verdict = "PASS" if slower <= TARGET_HISTORY else "MISS"
    return [
        f"{verdict}  deliver with {args.history:,} of history within {TARGET_HISTORY:.0%} of "
        f"the empty table ({-slower:+.1%})"
    ]


# ---------------------------------------------------------------------------- (b) priority


def start_driver(args, db, node_log):
    """Who delivers in phase priority: an Odoo node (cron threads) or a worker process."""
    if args.driver == "cron":
        process, port = start_server(args.config, db, output=node_log, wait=180)
        say(f"Odoo node serving {db} on port {port} (pid {process.pid})")
        return process
    process = start_worker(
        args.config, db, "--batch-size", CLAIM_SIZE, "--idle-wait", 0.05, "--max-seconds", 900,
        stdout=subprocess.DEVNULL, stderr=node_log,
    )  # fmt: skip
    say(f"  worker process scripts/queue_worker.py (pid {process.pid})")
    return process


def quiet_crons(registry, delivery_due):
    """Only the delivery Scheduled Actions may run on the node; they wait for a trigger."""
    with registry.cursor() as cr:
        delivery = env_of(cr)["integration.message"]._delivery_crons()
        cr.execute(
            "UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') + interval '1 day' "
            "WHERE NOT (id = ANY(%s))",
            [delivery.ids],
        )
        cr.execute(
            "UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') + %s * interval '1 hour' "
            "WHERE id = ANY(%s)",
            [0 if delivery_due else 24, delivery.ids],
        )
        cr.execute("DELETE FROM ir_cron_trigger")
        cr.commit()
        return len(delivery)


def click(registry, connector_id, index):
    """One real-time price correction, enqueued in a transaction of its own, as a user's
    click would; returns (idempotency key, monotonic time just before _enqueue())."""
    key = f"click-{index}-{uuid.uuid4().hex[:12]}"
    message = {
        "connector": connector_id,
        "domain": "base_price",
        "event_type": "price.updated",
        "payload": {"sku": f"URGENT-{index}", "pricelist": "Public", "currency": "EUR",
                    "price": 10.0 + index},
        "schema": "price",
        "priority": "realtime",
        "idempotency_key": key,
        "coalescing_key": f"price:URGENT-{index}",
    }  # fmt: skip
    at = time.monotonic()
    with registry.cursor() as cr:
        env_of(cr)["integration.message"]._enqueue([message])
        cr.commit()  # its post-commit hook wakes the cron threads (NOTIFY cron_trigger)
    return key, at


def phase_priority(args, registry, connector_id, arrivals, node_log):
    say("")
    say(
        f"(b) priority: {args.backlog:,} batch-class messages drain (one request each, "
        f"driver: {args.driver}) while real-time messages are enqueued one by one"
    )
    set_batch_size(registry, connector_id, 1)
    jobs = quiet_crons(registry, delivery_due=False)
    driver = start_driver(args, args.db, node_log)
    ok = True
    try:
        arrivals.mark()
        backlog = stock_messages(connector_id, "BACKLOG", args.backlog, priority="batch")
        backlog_at = time.monotonic()
        ids, seconds, _q = enqueue_timed(registry, backlog)
        say(f"  backlog of {len(ids):,} enqueued in {seconds:.2f} s (batch class: no trigger)")
        if args.driver == "cron":
            # What the delivery jobs' next scheduled minute would do, now.
            with registry.cursor() as cr:
                env_of(cr)["integration.message"]._trigger_delivery()
                cr.commit()
            say(f"  {jobs} delivery Scheduled Actions triggered on the node")
        backlog_keys = {m["idempotency_key"] for m in backlog}
        while not backlog_keys & arrivals.first.keys():
            time.sleep(0.05)
            arrivals.poll()
        say("  backlog draining; real-time clicks start")
        clicks = {}
        while len(clicks) < args.max_clicks:
            key, at = click(registry, connector_id, len(clicks))
            clicks[key] = at
            if len(clicks) % 10 == 0:
                arrivals.poll()
                if len(backlog_keys & arrivals.first.keys()) >= len(backlog_keys):
                    break
            time.sleep(args.click_interval)
        missing = wait_arrivals(arrivals, backlog_keys | set(clicks), timeout=300)
        if missing:
            say(f"  NOT DELIVERED: {len(missing):,} messages")
            ok = False
        idle = {}
        for i in range(args.idle_clicks):
            key, at = click(registry, connector_id, 100_000 + i)
            idle[key] = at
            time.sleep(0.5)
        missing = wait_arrivals(arrivals, set(idle), timeout=120)
        if missing:
            say(f"  NOT DELIVERED on the idle queue: {len(missing):,} messages")
            ok = False
    finally:
        stop(driver)
    first = arrivals.first
    last_backlog = max((first[k] for k in backlog_keys if k in first), default=0.0)
    # Enqueued while batch messages were still waiting: the backlog's last one had not arrived.
    during = [k for k, at in clicks.items() if at < last_backlog]
    say(
        f"  {len(during):,} real-time messages enqueued while the backlog drained "
        f"({len(clicks) - len(during)} just after)"
    )
    latencies = {
        "realtime, during the backlog": [first[k] - clicks[k] for k in during if k in first],
        "batch backlog": [first[k] - backlog_at for k in backlog_keys if k in first],
        "realtime, idle queue": [first[k] - at for k, at in idle.items() if k in first],
    }
    overtaken = sum(1 for k in during if k in first and first[k] < last_backlog)
    wrong = states(
        registry,
        "connector_id = %(c)s AND state <> 'sent' AND state <> 'superseded'"
        " AND (idempotency_key LIKE 'BACKLOG-%%' OR idempotency_key LIKE 'click-%%')",
        {"c": connector_id},
    )
    if wrong:
        say(f"  NOT SENT: {wrong}")
        ok = False
    if arrivals.replays:
        say(f"  the receiver saw {arrivals.replays} replays")
    return {"latencies": latencies, "overtaken": overtaken, "during": len(during)}, ok


def report_priority(args, result, bare_latencies):
    say("")
    say(
        f"(b) priority: enqueue to delivered (at the receiver), driver {args.driver}, "
        f"{args.backlog:,} batch-class backlog, one request per message"
    )
    say(f"  {'class':<34}{'messages':>9}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    rows = list(result["latencies"].items()) + [("bare loop round trip", bare_latencies)]
    for label, values in rows:
        if not values:
            say(f"  {label:<34}{0:>9}")
            continue
        cells = [percentile(values, f) for f in (0.5, 0.95, 0.99)] + [max(values)]
        say(f"  {label:<34}{len(values):>9,}" + "".join(f"{v:>8.3f}s" for v in cells))
    say(
        f"  real-time messages delivered before the last batch message: {result['overtaken']:,}"
        f" of {result['during']:,} enqueued during the backlog"
    )
    during = result["latencies"]["realtime, during the backlog"]
    p95 = percentile(during, 0.95) if during else float("inf")
    verdict = "PASS" if p95 < TARGET_REALTIME_P95 else "MISS"
    return [
        f"{verdict}  real-time p95 during a {args.backlog:,} batch backlog under "
        f"{TARGET_REALTIME_P95:.0f} s ({p95:.3f} s)"
    ]


# ---------------------------------------------------------------------------- (c) bulk


def phase_bulk(args, registry, connector_id):
    say("")
    say(
        f"(c) bulk enqueue: {args.bulk:,} messages in one _enqueue() call, twice (the second "
        "supersedes the first by coalescing key)"
    )
    first = stock_messages(connector_id, "BULK", args.bulk)
    second = stock_messages(connector_id, "BULK", args.bulk)
    from odoo.addons.integration_core.tools.schema import validation_errors

    with registry.cursor() as cr:
        schema = env_of(cr)["integration.schema"]._lookup("stock")
        text = schema._read_file(schema.file_path)
    start = time.monotonic()
    for message in first:
        validation_errors(text, message["payload"])
    validation = args.bulk / (time.monotonic() - start)
    say(f"  JSON Schema validation alone: {validation:,.0f} payloads/s")
    ids1, s1, q1 = enqueue_timed(registry, first)
    say(
        f"  new keys: {len(ids1):,} queued in {s1:.2f} s: {args.bulk / s1:,.0f} msg/s, {q1} queries"
    )
    ids2, s2, q2 = enqueue_timed(registry, second)
    say(
        f"  same coalescing keys: {len(ids2):,} queued in {s2:.2f} s: {args.bulk / s2:,.0f} msg/s, "
        f"{q2} queries"
    )
    got1 = states(registry, "id = ANY(%(ids)s)", {"ids": ids1})
    got2 = states(registry, "id = ANY(%(ids)s)", {"ids": ids2})
    ok = got1 == {"superseded": args.bulk} and got2 == {"pending": args.bulk}
    if not ok:
        say(f"  WRONG STATES: first call {got1}, second call {got2}")
    with registry.cursor() as cr:
        # Nothing delivers in this phase; out of the way of the next one (bulk SQL): cancelled.
        cr.execute("UPDATE integration_message SET state = 'cancelled' WHERE id = ANY(%s)", [ids2])
        cr.commit()
    return {
        "validation": validation,
        "new": args.bulk / s1,
        "coalesced": args.bulk / s2,
        "queries": (q1, q2),
    }, ok


def report_bulk(args, result):
    say("")
    say(
        f"(c) bulk enqueue of {args.bulk:,} messages in one call (schema validated, coalescing keys)"
    )
    say(f"  JSON Schema validation alone (floor)        {result['validation']:>9,.0f} msg/s")
    say(
        f"  enqueue, new keys                           {result['new']:>9,.0f} msg/s   "
        f"{result['queries'][0]} queries"
    )
    say(
        f"  enqueue, superseding {args.bulk:,} waiting       {result['coalesced']:>9,.0f} msg/s   "
        f"{result['queries'][1]} queries"
    )
    worst = min(result["new"], result["coalesced"])
    verdict = "PASS" if worst >= TARGET_BULK else "MISS"
    return [
        f"{verdict}  bulk enqueue >= {TARGET_BULK:,} msg/s ({worst:,.0f} msg/s, the slower call)"
    ]


# ---------------------------------------------------------------------------- (d) retention


# The retention Scheduled Action's method in a process of its own, as a cron worker runs it;
# prints the rows removed and when it started and ended, on time.monotonic().
CLEANUP = """
import json, sys, time
import odoo
from odoo.modules.registry import Registry
odoo.tools.config.parse_config(["-c", sys.argv[1], "-d", sys.argv[2], "--log-level=warn"])
registry = Registry(sys.argv[2])
with registry.cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    print("START", flush=True)
    start = time.monotonic()
    removed = env["integration.message"]._cron_cleanup(batch_size=int(sys.argv[3]), time_budget=3600)
    print("RESULT " + json.dumps([removed, start, time.monotonic()]), flush=True)
"""
FEED_CHUNK = 1000  # messages per _enqueue() of the feeder
FEED_AHEAD = 2000  # the feeder keeps at least this many messages waiting


def fed_delivery(args, registry, connector_id, arrivals, prefix, seconds=None):
    """A worker process delivers while this process keeps FEED_AHEAD messages waiting, for
    `seconds`, or (seconds None) for as long as the cleanup, started in a process of its own
    once deliveries flow, runs. Returns (arrival times inside the window, window, messages,
    cleanup result or None, ok)."""
    arrivals.mark()
    keys, ids = set(), []

    def feed(count):
        messages = stock_messages(connector_id, f"{prefix}{len(ids)}", count)
        keys.update(m["idempotency_key"] for m in messages)
        ids.extend(enqueue_timed(registry, messages)[0])

    feed(2 * FEED_AHEAD)
    worker = start_worker(
        args.config, args.db, "--batch-size", CLAIM_SIZE, "--idle-wait", 0.05,
        "--max-seconds", 3600, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    cleanup = outcome = None
    try:
        while not arrivals.times:
            if worker.poll() is not None:
                raise SystemExit(f"the worker exited: {worker.stderr.read()[-2000:]}")
            time.sleep(0.05)
            arrivals.poll()
        if seconds is None:
            command = [
                sys.executable, "-c", CLEANUP, args.config, args.db, str(args.retention_batch)
            ]  # fmt: skip
            cleanup = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
            if cleanup.stdout.readline().strip() != "START":
                raise SystemExit("the cleanup process did not start")
        start = time.monotonic()
        while (cleanup.poll() is None) if cleanup else (time.monotonic() < start + seconds):
            arrivals.poll()
            if len(keys) - len(keys & arrivals.first.keys()) < FEED_AHEAD:
                feed(FEED_CHUNK)
            time.sleep(0.1)
        window = (start, time.monotonic())
        if cleanup:
            out = cleanup.communicate(timeout=60)[0]
            if cleanup.returncode:
                raise SystemExit(f"the cleanup failed (exit {cleanup.returncode})")
            removed, started, ended = json.loads(out.split("RESULT ", 1)[1])
            outcome = (removed, ended - started)
            window = (started, ended)
        missing = wait_arrivals(arrivals, keys, timeout=120)
        # Arrived is not yet recorded: let the worker commit its last batch before it stops.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and states(
            registry, "id = ANY(%(ids)s) AND state <> 'sent'", {"ids": ids}
        ):
            time.sleep(0.2)
    finally:
        stop(worker)
        if cleanup is not None:
            stop(cleanup)
    times = sorted(t for k, t in arrivals.first.items() if k in keys)
    ok = not missing and check_all_sent(registry, ids, len(ids), prefix)
    inside = [t for t in times if window[0] <= t <= window[1]]
    return inside, window, len(ids), outcome, ok


def gaps_of(times):
    return [b - a for a, b in zip(times, times[1:])]


def phase_retention(args, registry, connector_id, arrivals):
    say("")
    say(
        f"(d) retention: {args.retention_rows:,} sent messages older than {RETENTION_DAYS} days, "
        f"removed by _cron_cleanup (batches of {args.retention_batch:,}, a process of its own) "
        "while a worker process delivers (one request per message) a queue kept fed"
    )
    set_batch_size(registry, connector_id, 1)
    cutoff_sql = "write_date < (now() AT TIME ZONE 'UTC') - %(days)s * interval '1 day'"
    finished = "state IN ('sent', 'superseded', 'cancelled')"
    say(f"  seeding {args.retention_rows:,} old sent messages by bulk SQL ...")
    seconds = seed_sent(registry, connector_id, args.retention_rows, RETENTION_DAYS + 1, 369, "old")
    say(f"    done in {seconds:.1f} s")
    params = {"days": RETENTION_DAYS}
    keep_before = states(registry, f"NOT ({cutoff_sql} AND {finished})", params)
    count_old = f"SELECT count(*) FROM integration_message WHERE {cutoff_sql} AND {finished}"
    old_before = sql_one(registry, count_old, params)[0]
    say(f"  rows to remove: {old_before:,}; rows to keep by state: {keep_before}")

    say("  delivery while the cleanup runs ...")
    times, window, delivered, (removed, clean_seconds), ok = fed_delivery(
        args, registry, connector_id, arrivals, "RETLOAD"
    )
    say(f"    cleanup: {removed:,} rows in {clean_seconds:.1f} s; {delivered:,} messages queued")
    keep_after = states(registry, f"NOT ({cutoff_sql} AND {finished})", params)
    old_after = sql_one(registry, count_old, params)[0]
    expected_keep = dict(keep_before)
    expected_keep["sent"] = expected_keep.get("sent", 0) + delivered
    if old_after or keep_after != expected_keep or removed != old_before:
        say(
            f"  RETENTION WRONG: removed {removed:,} of {old_before:,}, {old_after:,} old rows left;"
            f" kept {keep_after}, expected {expected_keep}"
        )
        ok = False
    else:
        say(f"  verified: {removed:,} old rows removed, every other row kept ({keep_after})")
    length = window[1] - window[0]
    say(f"  the same delivery for the same {length:.0f} s, without the cleanup ...")
    base_times, base_window, base_delivered, _none, good = fed_delivery(
        args, registry, connector_id, arrivals, "RETBASE", seconds=length
    )
    ok &= good
    return {
        "removed": removed,
        "seconds": clean_seconds,
        "base_gaps": gaps_of(base_times),
        "base_rate": len(base_times) / (base_window[1] - base_window[0]),
        "gaps": gaps_of(times),
        "rate": len(times) / length,
        "delivered": (delivered, base_delivered),
    }, ok


def report_retention(args, result):
    say("")
    say(
        f"(d) retention of {args.retention_rows:,} old sent messages during delivery (worker "
        "process, one request per message, the queue kept fed for the cleanup's whole run)"
    )
    say(
        f"  cleanup: {result['removed']:,} rows in {result['seconds']:.1f} s, "
        f"{result['removed'] / max(result['seconds'], 1e-9):,.0f} rows/s, batches of "
        f"{args.retention_batch:,} committed one by one"
    )
    say(f"  {'delivery, same length of time':<36}{'msg/s':>9}{'longest pause':>15}{'p99 gap':>10}")
    for label, rate, gaps in (
        ("without the cleanup", result["base_rate"], result["base_gaps"]),
        ("while the cleanup runs", result["rate"], result["gaps"]),
    ):
        if gaps:
            say(
                f"  {label:<36}{rate:>9,.0f}{max(gaps) * 1000:>13.0f}ms"
                f"{percentile(gaps, 0.99) * 1000:>8.1f}ms"
            )
    longest = max(result["gaps"], default=0.0)
    return [
        f"INFO  retention: {result['removed'] / max(result['seconds'], 1e-9):,.0f} rows/s; "
        f"longest delivery pause {longest * 1000:.0f} ms while it ran "
        f"({max(result['base_gaps'], default=0) * 1000:.0f} ms without)"
    ]


# ---------------------------------------------------------------------------- main


def run(args, registry, url, node_log):
    connector_id = setup_connector(registry, url)
    say(f"connector 'load' -> {url} (instance environment 'test', retention {RETENTION_DAYS} days)")
    arrivals = Arrivals(url)
    bare_rate, bare_latencies = bare_loop(url, args.baseline_requests)
    results, verdicts, ok = {}, [], True
    if "history" in args.phases:
        results["history"], good = phase_history(args, registry, connector_id, bare_rate)
        ok &= good
    if "priority" in args.phases:
        results["priority"], good = phase_priority(args, registry, connector_id, arrivals, node_log)
        ok &= good
    if "bulk" in args.phases:
        results["bulk"], good = phase_bulk(args, registry, connector_id)
        ok &= good
    if "retention" in args.phases:
        results["retention"], good = phase_retention(args, registry, connector_id, arrivals)
        ok &= good

    say("")
    say("=" * 100)
    say(
        f"queue_load summary (receiver: separate process; bare requests.Session loop "
        f"{bare_rate:,.0f} req/s in this run; VACUUM: none, in any phase)"
    )
    if "history" in results:
        verdicts += report_history(args, results["history"])
    if "priority" in results:
        verdicts += report_priority(args, results["priority"], bare_latencies)
    if "bulk" in results:
        verdicts += report_bulk(args, results["bulk"])
    if "retention" in results:
        verdicts += report_retention(args, results["retention"])
    say("targets:")
    for line in verdicts:
        say(f"  {line}")
    return ok


def main(argv=None):
    args = parse_args(argv)
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.db, "--log-level=warn"], setup_logging=True
    )
    ok = False
    receiver = None
    with (
        tempfile.NamedTemporaryFile("w+", prefix="receiver-", suffix=".log") as log_file,
        tempfile.NamedTemporaryFile("w+", prefix="node-", suffix=".log") as node_log,
    ):
        try:
            create_database(args.config, args.db, MODULE)
            receiver, url = start_recording_receiver(log_file)
            registry = Registry(args.db)
            ok = run(args, registry, url, node_log)
        finally:
            if receiver is not None:
                stop(receiver)
            if args.keep_db:
                say(f"database {args.db} kept (--keep-db)")
            else:
                drop_database(args.db)
    if not ok:
        say(
            "FAILED: messages were lost, not sent or sent twice, or retention removed the wrong rows"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
