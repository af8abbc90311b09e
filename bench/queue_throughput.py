"""Throughput of integration_core's outbound queue against the local test receiver.

Measures, in one run and against one receiver (a separate process, bodies not recorded):

* a bare loop: one ``requests.Session`` POSTing queue-like JSON envelopes, one per request,
  each with its own Idempotency-Key: the baseline, in requests/s;
* ``integration.message._enqueue()`` called once with N messages: messages/s and SQL queries
  per message;
* delivery of those N messages by ``_process_queue`` (what the Scheduled Action runs) with
  batching off (connector batch size 1, one request per message): messages/s, queries per
  message and the ratio to the bare loop;
* the same with batching on (N new messages, connector batch size ``--batch-size``, one
  request per group to the batch endpoint).

With ``--transport amqp`` the same phases run against the local RabbitMQ (a durable queue
bound to a topic exchange): the bare loop is then one ``pika`` BlockingChannel publishing the
same persistent JSON messages with publisher confirms, one at a time; "batching off" is the
connector publishing one message and waiting for its confirm, "batching on" publishing a
group and then waiting for the group's confirms.

With ``--nodes N`` (N >= 2) two more phases deliver N new messages with batching off, first
by one node and then by N nodes: separate Odoo processes (scripts/queue_worker.py, the
delivery cron's loop) started together on the same database, timed from their common start
to the end of the last one's last batch.

Targets (issue): enqueue at least 20,000 msg/s; delivery with batching off at least 0.7x the bare loop; with batching on,
above the bare loop; N nodes at least 0.75 x N times one node (1.5x for two). Each is printed as PASS or MISS; the exit status is 0 either way, and 1
only when messages were lost or not all sent.

The database is created for the run (integration_core only, no demo data) and dropped at the
end unless --keep-db. PostgreSQL runs with autovacuum off on CI machines, so the benchmark
runs VACUUM ANALYZE on the queue table between phases, as autovacuum would, and says so.

Run it with ``./suite bench queue_throughput [--transport http|amqp] [--nodes N]
[--messages N] [--batch-size 50] [--keep-db]``.
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
from urllib.parse import urlsplit, urlunsplit

import pika
import requests

import odoo
from odoo.modules.registry import Registry

# Run as a script (./suite bench): suitekit is found from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from suitekit import say  # noqa: E402
from suitekit.pg import create_database, drop_database, vacuum  # noqa: E402
from suitekit.processes import start_worker  # noqa: E402
from suitekit.receivers import start_receiver, stop_receiver  # noqa: E402

MODULE = "integration_core"
CLAIM_SIZE = 200  # messages claimed per batch by _process_queue (the cron's default)
PROGRESS_SECONDS = 5.0  # time budget of one _process_queue call: a progress line each
TARGET_UNBATCHED = 0.7  # delivery with batching off vs. the bare loop
TARGET_BATCHED = 1.0  # delivery with batching on vs. the bare loop (strictly above)
TARGET_NODE_EFFICIENCY = 0.75  # N nodes vs. one node: at least 0.75 x N (1.5x for two)
TARGET_ENQUEUE = 20_000  # msg/s: bulk enqueue, schema-validated, coalesced, idempotent
AMQP_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


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
    parser.add_argument(
        "--transport",
        choices=("http", "amqp"),
        default="http",
        help="http: the local test receiver; amqp: the local RabbitMQ (BENCH_AMQP_URL)",
    )
    parser.add_argument(
        "--nodes",
        type=int,
        default=1,
        help="also deliver with this many node processes at once, against one (default 1: "
        "no node phases)",
    )
    parser.add_argument("--db", default=f"bench_queue_{os.getpid()}", help="database name")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    args = parser.parse_args(argv)
    if not args.config:
        parser.error("--config is required (or run it with ./suite bench queue_throughput)")
    if args.messages < 1 or args.batch_size < 2 or args.nodes < 1:
        parser.error("--messages and --nodes must be at least 1 and --batch-size at least 2")
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


class Broker:
    """The local RabbitMQ seen by the benchmark: a topic exchange and a durable queue bound
    to it (persistent messages are written to disk, as in production), purged between phases
    and deleted at the end."""

    def __init__(self, url):
        parts = urlsplit(url)
        self.user, self.password = parts.username or "guest", parts.password or "guest"
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.url = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        try:
            self.connection = pika.BlockingConnection(pika.URLParameters(url))
        except pika.exceptions.AMQPError as exc:
            raise SystemExit(
                f"RabbitMQ cannot be reached at {self.url} ({type(exc).__name__}): start it "
                "(rabbitmq-server -detached) or set BENCH_AMQP_URL."
            ) from exc
        self.channel = self.connection.channel()
        self.exchange = f"bench.integration.{os.getpid()}"
        self.queue = f"bench.integration.{os.getpid()}"
        self.channel.exchange_declare(self.exchange, "topic", durable=True)
        self.channel.queue_declare(self.queue, durable=True)
        self.channel.queue_bind(self.queue, self.exchange, routing_key="#")
        say(f"broker {self.url}: exchange and durable queue {self.exchange}")

    def depth(self):
        return self.channel.queue_declare(self.queue, passive=True).method.message_count

    def purge(self):
        self.channel.queue_purge(self.queue)

    def close(self):
        try:
            self.channel.queue_delete(self.queue)
            self.channel.exchange_delete(self.exchange)
            self.connection.close()
        except pika.exceptions.AMQPError:
            pass


def bare_pika_loop(broker, count):
    """Messages/s of one pika BlockingChannel publishing `count` persistent messages with
    publisher confirms, one at a time (publish, wait for the confirm, next)."""
    say(f"bare loop: {count:,} persistent publishes with confirms, one pika channel ...")
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    channel.confirm_delivery()
    broker.purge()
    start = time.monotonic()
    for i in range(count):
        key = str(uuid.uuid4())
        channel.basic_publish(
            broker.exchange,
            "stock.stock.level",
            envelope(key, f"BARE-{i}", i % 97),
            pika.BasicProperties(
                content_type="application/json",
                delivery_mode=pika.DeliveryMode.Persistent,
                message_id=key,
                type="stock.level",
            ),
            mandatory=True,
        )
    elapsed = time.monotonic() - start
    connection.close()
    depth = broker.depth()
    if depth != count:
        say(f"  warning: the queue holds {depth:,} messages, not {count:,}")
    broker.purge()
    rate = count / elapsed
    say(f"  {rate:,.0f} msg/s ({elapsed:.1f} s)")
    return rate


def deliver_with_nodes(args, count, nodes):
    """Deliver what is due with `nodes` worker processes started together; returns
    (msg/s, sent by each node)."""
    say(f"deliver with {nodes} node(s): {count:,} messages, batching off ...")
    start_at = time.time() + 6.0 + 2.0 * nodes  # time for each process to load Odoo
    workers = [
        start_worker(
            args.config,
            args.db,
            "--batch-size",
            CLAIM_SIZE,
            "--until-empty",
            "--start-at",
            start_at,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        for _node in range(nodes)
    ]
    finals = []
    for worker in workers:
        out, err = worker.communicate(timeout=1800)
        lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        if worker.returncode != 0 or not lines:
            raise SystemExit(f"a node failed (exit {worker.returncode}):\n{err[-3000:]}")
        ready = next((line["ready_at"] for line in lines if "ready_at" in line), None)
        if ready is None or ready > start_at:
            say("  warning: a node was still loading at the common start time")
        finals.append(lines[-1])
    finished = max(final["finished_at"] or start_at for final in finals)
    sent = [final.get("sent", 0) for final in finals]
    elapsed = finished - start_at
    rate = sum(sent) / elapsed
    say(f"  {sum(sent):,} sent in {elapsed:.1f} s: {rate:,.0f} msg/s (by node: {sent})")
    return rate, sent


def setup_connector(registry, target):
    """The benchmark's connector: to the receiver's URL (http) or a Broker (amqp)."""
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["ir.config_parameter"].set_param("integration_core.instance_environment", "test")
        values = {
            "name": "Bench",
            "code": "bench",
            "environment": "test",
            "allowed_domain_ids": [(6, 0, [env.ref("integration_core.domain_stock").id])],
            "batch_size": 1,
            "max_attempts": 3,
        }
        if isinstance(target, Broker):
            values.update(
                transport="amqp",
                base_url=target.url,
                amqp_username=target.user,
                amqp_exchange=target.exchange,
                kind="middleware",
            )
        else:
            values["base_url"] = target
        connector = env["integration.connector"].create(values)
        if isinstance(target, Broker):
            connector.secret_input = target.password
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
        ids = env["integration.message"]._enqueue(messages).ids
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
    amqp = args.transport == "amqp"
    bare = results["bare"]
    enqueue_rate, enqueue_queries = results["enqueue"]
    unbatched_rate, unbatched_queries = results["unbatched"]
    batched_rate, batched_queries = results["batched"]
    unbatched = unbatched_rate / bare
    batched = batched_rate / bare
    one, each = ("publish + confirm", "one at a time") if amqp else ("request", "batching off")
    rows = [  # label, rate, unit, queries per message, ratio to the bare loop
        (
            "bare pika loop (confirm each)" if amqp else "bare requests.Session loop",
            bare,
            "msg/s" if amqp else "req/s",
            None,
            None,
        ),
        ("enqueue (one call)", enqueue_rate, "msg/s", enqueue_queries, None),
        (f"deliver, {each}", unbatched_rate, "msg/s", unbatched_queries, unbatched),
        (f"deliver, batch size {args.batch_size}", batched_rate, "msg/s", batched_queries, batched),
    ]
    say("")
    target = (
        "local RabbitMQ, durable queue"
        if amqp
        else "receiver: separate process, bodies not recorded"
    )
    say(
        f"queue_throughput --transport {args.transport}: N={args.messages:,} ({target}; "
        "VACUUM ANALYZE between phases)"
    )
    for label, rate, unit, queries, ratio in rows:
        text = f"  {label:<34}{rate:>9,.0f} {unit}"
        if queries is not None:
            text += f"   {queries:>#8.2g} queries/msg"
        if ratio is not None:
            text += f"   {ratio:5.2f}x bare"
        say(text)
    if "nodes" in results:
        single, multi = results["nodes"]
        say(f"  {'deliver, 1 node process':<34}{single:>9,.0f} msg/s   ({each})")
        say(
            f"  {f'deliver, {args.nodes} node processes':<34}{multi:>9,.0f} msg/s   "
            f"{multi / single:5.2f}x one node"
        )
    say("targets:")
    verdict = "PASS" if enqueue_rate >= TARGET_ENQUEUE else "MISS"
    say(f"  {verdict}  enqueue >= {TARGET_ENQUEUE:,} msg/s   ({enqueue_rate:,.0f} msg/s)")
    verdict = "PASS" if unbatched >= TARGET_UNBATCHED else "MISS"
    say(f"  {verdict}  {each} >= {TARGET_UNBATCHED}x bare   ({unbatched:.2f}x; one {one} each)")
    verdict = "PASS" if batched > TARGET_BATCHED else "MISS"
    say(
        f"  {verdict}  batch size {args.batch_size} > {TARGET_BATCHED:.0f}x bare   ({batched:.2f}x)"
    )
    if "nodes" in results:
        single, multi = results["nodes"]
        goal = TARGET_NODE_EFFICIENCY * args.nodes
        verdict = "PASS" if multi / single >= goal else "MISS"
        say(f"  {verdict}  {args.nodes} nodes >= {goal:.2f}x one node   ({multi / single:.2f}x)")
        if verdict == "MISS":
            say(
                f"        bound: {os.cpu_count()} CPU cores shared by the nodes, PostgreSQL and "
                "the receiver/broker (see the per-node counts above)"
            )


# ---------------------------------------------------------------------------- main


def run(args, registry, target):
    n = args.messages
    connector_id = setup_connector(registry, target)
    amqp = isinstance(target, Broker)
    where = f"exchange {target.exchange}" if amqp else target
    say(f"connector 'bench' -> {where} (batch size 1, instance environment 'test')")
    if amqp:
        results = {"bare": bare_pika_loop(target, args.baseline_requests)}
    else:
        results = {"bare": bare_loop(target, args.baseline_requests)}
    ok = True

    def check_broker(expected, label):
        if not amqp:
            return True
        depth = target.depth()
        target.purge()
        if depth == expected:
            say(f"  verified: the broker queue received {expected:,} messages ({label})")
            return True
        say(f"  BROKER COUNT WRONG ({label}): {depth:,} messages in the queue, not {expected:,}")
        return False

    ids, rate, queries = enqueue(registry, connector_id, 0, n)
    results["enqueue"] = (rate, queries)
    vacuum(args.db, ["integration_message"])
    say(f"deliver, batching off: {n:,} messages, one at a time ...")
    rate, queries, _totals = deliver(registry, n)
    results["unbatched"] = (rate, queries)
    ok &= check_all_sent(registry, ids, n, "batching off")
    ok &= check_broker(n, "batching off")

    ids, _rate, _queries = enqueue(registry, connector_id, n, n)
    vacuum(args.db, ["integration_message"])
    set_batch_size(registry, connector_id, args.batch_size)
    say(f"deliver, batch size {args.batch_size}: {n:,} messages ...")
    rate, queries, _totals = deliver(registry, n)
    results["batched"] = (rate, queries)
    ok &= check_all_sent(registry, ids, n, f"batch size {args.batch_size}")
    ok &= check_broker(n, f"batch size {args.batch_size}")

    if args.nodes > 1:
        set_batch_size(registry, connector_id, 1)
        rates = []
        for nodes, first in ((1, 2 * n), (args.nodes, 3 * n)):
            ids, _rate, _queries = enqueue(registry, connector_id, first, n)
            vacuum(args.db, ["integration_message"])
            rate, _sent = deliver_with_nodes(args, n, nodes)
            rates.append(rate)
            ok &= check_all_sent(registry, ids, n, f"{nodes} node(s)")
            ok &= check_broker(n, f"{nodes} node(s)")
        results["nodes"] = tuple(rates)
    return results, ok


def main(argv=None):
    args = parse_args(argv)
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.db, "--log-level=warn"], setup_logging=True
    )
    ok = False
    receiver = broker = None
    with tempfile.NamedTemporaryFile("w+", prefix="receiver-", suffix=".log") as log_file:
        try:
            if args.transport == "amqp":
                broker = Broker(AMQP_URL)
            create_database(args.config, args.db, MODULE)
            registry = Registry(args.db)
            if broker:
                results, ok = run(args, registry, broker)
            else:
                receiver, url = start_receiver(log_file)
                results, ok = run(args, registry, url)
                deliveries = 2 + (2 if args.nodes > 1 else 0)
                expected = args.baseline_requests + deliveries * args.messages
                counts = receiver_counts(log_file.name, expected)
                if counts is None:
                    say("receiver: no status line to cross-check (it prints one every 5 s)")
                else:
                    applied, replays = counts
                    say(
                        f"receiver: {applied:,} keys applied (expected {expected:,}), "
                        f"{replays} replays"
                    )
                    ok &= applied >= expected
            report(args, results)
        finally:
            if receiver is not None:
                stop_receiver(receiver)
            if broker is not None:
                broker.close()
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
