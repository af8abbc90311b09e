"""Delivery by real Odoo servers: `odoo-bin` processes left alone with their Scheduled Actions,
against the local receiver, beside the bare loop measured in the same run.

Phases, each printing a line as it goes:

1. **Bare loop**: one ``requests.Session`` POSTing queue-like envelopes to the receiver: req/s.
2. **One server**: N messages are queued while no server runs; one ``odoo-bin`` is started
   (``--max-cron-threads`` C, "Parallel deliverers" at C: the one-node default) and nothing
   else is done: its start wakes delivery, its Scheduled Actions deliver. Timed from the
   process's spawn (loading Odoo included) to the last message's ``sent_at``: msg/s and the
   ratio to the bare loop.
3. **S servers** (``--servers S``, from 2): N new messages, S ``odoo-bin`` processes started
   together, "Parallel deliverers" at S x C; msg/s, ratio to one server, messages per node.
4. **Faults** (``--faults``, on by default): the receiver restarted with the issue's fault mix
   (30 % 500, 5 % 429 with Retry-After 1, 5 % connections dropped); F messages; one server.
   Timed from the spawn to the last message reaching a final state (sent, or dead letter with
   its category): time to drain, attempts per message, dead letters by category.

Targets (issue #17): one server at least 0.6x the bare loop for 20,000 messages; S = 3 servers
at least 1.3x one server on a 2-core machine; with faults, 2,000 messages drained in under 3
minutes. Each is printed PASS or MISS; the exit status is 0 either way, and 1 only when a
message was lost (not final, or applied twice by the receiver).

Run it with ``./suite bench queue_servers [--messages 20000] [--servers 3] [--cron-threads 2]
[--fault-messages 2000] [--no-faults] [--keep-db]``.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from queue_throughput import bare_loop, enqueue

import odoo
from odoo.modules.registry import Registry

# Run as a script (./suite bench): suitekit and the receiver are found from the repository root.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "addons/integration_core/tests")]
from receiver import ISSUE_FAULT_MIX  # noqa: E402

from suitekit import say  # noqa: E402
from suitekit.pg import connect, create_database, drop_database, vacuum  # noqa: E402
from suitekit.processes import start_server, stop  # noqa: E402
from suitekit.receivers import start_receiver, stop_receiver  # noqa: E402

MODULE = "integration_core"
TARGET_ONE_SERVER = 0.6  # one server, start to last sent, vs. the bare loop
TARGET_SERVERS = 1.3  # S servers vs. one server
TARGET_FAULTS_SECONDS = 180  # 2,000 messages with faults drained within
# The connector of the fault phase, as an operator facing a flaky but living remote sets it:
# fast first retry, six attempts, a circuit that opens on ten failures in a row (a remote
# failing 40 % of the time makes five in a row every ~300 attempts) and rests two seconds.
FAULT_SETTINGS = {
    "retry_base_delay": 1.0,
    "max_attempts": 6,
    "circuit_threshold": 10,
    "circuit_cooldown": 2,
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="Odoo configuration (./suite bench)")
    parser.add_argument("--messages", type=int, default=20_000, help="N (default 20000)")
    parser.add_argument("--servers", type=int, default=3, help="S (default 3; 1: no phase 3)")
    parser.add_argument("--cron-threads", type=int, default=2, help="C per server (default 2)")
    parser.add_argument("--baseline-requests", type=int, help="bare loop requests (min(N, 5000))")
    parser.add_argument("--fault-messages", type=int, default=2000, help="F (default 2000)")
    parser.add_argument("--no-faults", action="store_true", help="skip the fault phase")
    parser.add_argument("--db", default=f"bench_servers_{os.getpid()}", help="database name")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    args = parser.parse_args(argv)
    args.baseline_requests = args.baseline_requests or min(args.messages, 5000)
    return args


def env_of(cr):
    return odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


def new_connector(registry, url, code, **settings):
    """A connector to `url` for one phase (its messages are told apart by it)."""
    with registry.cursor() as cr:
        env = env_of(cr)
        env["ir.config_parameter"].set_param("integration_core.instance_environment", "test")
        connector = env["integration.connector"].create(
            {
                "name": code,
                "code": code,
                "base_url": url,
                "environment": "test",
                "allowed_domain_ids": [(6, 0, [env.ref("integration_core.domain_stock").id])],
                "batch_size": 1,
                **settings,
            }
        )
        return connector.id


def set_deliverers(registry, count):
    """The setting "Parallel deliverers", as Settings saves it."""
    with registry.cursor() as cr:
        env = env_of(cr)
        settings = env["res.config.settings"].create({"integration_delivery_workers": count})
        settings.execute()
        return len(env["integration.message"]._delivery_crons())


def start_servers(args, count, log):
    """`count` odoo-bin processes on the database, spawned at once; (processes, spawn time)."""
    spawned = time.time()
    processes = [
        start_server(args.config, args.db, f"--max-cron-threads={args.cron_threads}", output=log)[0]
        for _ in range(count)
    ]
    return processes, spawned


def figures(db, connector_id):
    """(states, last final time as epoch, attempts, dead by category, sent by node)."""
    conn = connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute(
                "SELECT state, count(*) FROM integration_message WHERE connector_id = %s "
                "GROUP BY state",
                [connector_id],
            )
            states = dict(cr.fetchall())
            cr.execute(
                "SELECT extract(epoch FROM max(COALESCE(sent_at, dead_at))), sum(attempts) "
                "FROM integration_message WHERE connector_id = %s",
                [connector_id],
            )
            last, attempts = cr.fetchone()
            cr.execute(
                "SELECT error_category, count(*) FROM integration_message "
                "WHERE connector_id = %s AND state = 'dead' GROUP BY 1",
                [connector_id],
            )
            dead = dict(cr.fetchall())
            cr.execute(
                "SELECT split_part(claimed_by, ':', 2), count(*) FROM integration_message "
                "WHERE connector_id = %s AND state = 'sent' GROUP BY 1 ORDER BY 2 DESC",
                [connector_id],
            )
            nodes = [count for _pid, count in cr.fetchall()]
    finally:
        conn.close()
    return states, float(last or 0), int(attempts or 0), dead, nodes


def run_servers(args, registry, url, servers, count, label, timeout, **settings):
    """Queue `count` messages to a new connector, start `servers` servers and wait until every
    message is final; returns (seconds from spawn to the last final, figures)."""
    code = f"bench-{label}"
    connector_id = new_connector(registry, url, code, **settings)
    say(f"{label}: {count:,} messages, {servers} server(s) ...")
    jobs = set_deliverers(registry, servers * args.cron_threads)
    enqueue(registry, connector_id, 0, count)  # coalescing keys are per connector
    vacuum(args.db, ["integration_message"])
    with tempfile.NamedTemporaryFile("w+", prefix="odoo-", suffix=".log") as log:
        processes, spawned = start_servers(args, servers, log)
        say(f"  {servers} odoo-bin started ({args.cron_threads} cron threads each, {jobs} "
            "delivery jobs); waiting for every message to be final")  # fmt: skip
        deadline = time.monotonic() + timeout
        shown = time.monotonic()
        try:
            while True:
                states, _last, _attempts, _dead, _nodes = figures(args.db, connector_id)
                open_ = sum(v for k, v in states.items() if k not in ("sent", "dead"))
                if not open_:
                    break
                if time.monotonic() > deadline:
                    say(f"  GAVE UP after {timeout} s: {states}")
                    break
                if time.monotonic() - shown >= 10:
                    shown = time.monotonic()
                    say(f"  {time.time() - spawned:5.0f} s: {states}")
                time.sleep(0.25)
        finally:
            for process in processes:
                stop(process)
            if any(p.returncode not in (0, -15) for p in processes):
                log.seek(0)
                say("  a server failed:\n" + log.read()[-3000:])
    states, last, attempts, dead, nodes = figures(args.db, connector_id)
    elapsed = last - spawned
    rate = states.get("sent", 0) / elapsed if elapsed > 0 else 0
    say(f"  {states} in {elapsed:.1f} s from the spawn: {rate:,.0f} msg/s; "
        f"{attempts / max(1, count):.2f} attempts/msg; sent by node {nodes}"
        + (f"; dead by category {dead}" if dead else ""))  # fmt: skip
    return {"seconds": elapsed, "rate": rate, "states": states, "nodes": nodes, "dead": dead}


def verdict(ok, text):
    say(f"  {'PASS' if ok else 'MISS'}  {text}")


def main(argv=None):
    args = parse_args(argv)
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.db, "--log-level=warn"], setup_logging=True
    )
    lost = False
    results = {}
    receiver = None
    with tempfile.NamedTemporaryFile("w+", prefix="receiver-", suffix=".log") as receiver_log:
        try:
            create_database(args.config, args.db, MODULE)
            registry = Registry(args.db)
            receiver, url = start_receiver(receiver_log)
            results["bare"] = bare_loop(url, args.baseline_requests)
            timeout = max(600, args.messages // 20)
            results["one"] = run_servers(args, registry, url, 1, args.messages, "one", timeout)
            if args.servers > 1:
                results["many"] = run_servers(
                    args, registry, url, args.servers, args.messages, f"{args.servers}-servers",
                    timeout,
                )  # fmt: skip
            stop_receiver(receiver)
            receiver = None
            if not args.no_faults:
                receiver, url = start_receiver(receiver_log, "--fault-mix", ISSUE_FAULT_MIX,
                                               "--seed", "17")  # fmt: skip
                say(f"receiver answers with faults {ISSUE_FAULT_MIX}; connector {FAULT_SETTINGS}")
                results["faults"] = run_servers(
                    args, registry, url, 1, args.fault_messages, "faults", 900, **FAULT_SETTINGS
                )
            for phase in ("one", "many", "faults"):
                if phase in results:
                    states = results[phase]["states"]
                    lost |= bool(set(states) - {"sent", "dead"})
                    lost |= phase != "faults" and set(states) != {"sent"}
        finally:
            if receiver is not None:
                stop_receiver(receiver)
            if args.keep_db:
                say(f"database {args.db} kept (--keep-db)")
            else:
                drop_database(args.db)
    n, s = args.messages, args.servers
    say(f"queue_servers: N={n:,}, {args.cron_threads} cron threads per server, "
        f"{os.cpu_count()} cores")  # fmt: skip
    bare = results["bare"]
    one = results["one"]["rate"]
    say(f"  bare requests.Session loop        {bare:8,.0f} req/s")
    say(f"  1 server, spawn to last sent       {one:8,.0f} msg/s   {one / bare:.2f}x bare")
    if "many" in results:
        many = results["many"]["rate"]
        say(f"  {s} servers, spawn to last sent      {many:8,.0f} msg/s   {many / one:.2f}x one "
            f"server (by node {results['many']['nodes']})")  # fmt: skip
    if "faults" in results:
        faults = results["faults"]
        say(f"  faults: {args.fault_messages:,} messages final in {faults['seconds']:.0f} s "
            f"{faults['states']}, dead by category {faults['dead']}")  # fmt: skip
    say("targets:")
    verdict(
        one / bare >= TARGET_ONE_SERVER,
        f"1 server >= {TARGET_ONE_SERVER}x bare ({one / bare:.2f}x)",
    )
    if "many" in results:
        ratio = results["many"]["rate"] / one
        verdict(ratio >= TARGET_SERVERS, f"{s} servers >= {TARGET_SERVERS}x one ({ratio:.2f}x)")
    if "faults" in results:
        seconds = results["faults"]["seconds"]
        verdict(seconds < TARGET_FAULTS_SECONDS,
                f"faults: drained in < {TARGET_FAULTS_SECONDS} s ({seconds:.0f} s)")  # fmt: skip
    if lost:
        say("FAILED: messages were not all final (or sent, without faults)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
