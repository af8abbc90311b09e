"""What every benchmark in bench/ needs: its own database, a local receiver process, vacuum.

The benchmarks run with the suite's virtualenv (./suite bench NAME), so `odoo` imports and
odoo.tools.config has been parsed from the generated configuration before these are called.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import requests
from psycopg2 import sql

import odoo
from odoo.modules.registry import Registry

ROOT = Path(__file__).resolve().parent.parent
RECEIVER = ROOT / "addons" / "integration_core" / "tests" / "receiver.py"


def say(text):
    print(text, flush=True)


def pg_connect(dbname):
    config = odoo.tools.config
    conn = psycopg2.connect(
        host=config["db_host"] or None,
        port=config["db_port"] or None,
        user=config["db_user"] or None,
        password=config["db_password"] or None,
        dbname=dbname,
    )
    conn.autocommit = True
    return conn


def create_database(config_path, db, modules):
    """A fresh database with `modules` installed and no demo data, by odoo-bin."""
    say(f"creating database {db} with {modules}, no demo data ...")
    start = time.monotonic()
    odoo_bin = Path(os.environ.get("ODOO_SRC", "/opt/odoo/18.0")) / "odoo-bin"
    command = [
        sys.executable, str(odoo_bin), "-c", config_path, "-d", db, "-i", modules,
        "--without-demo=all", "--stop-after-init", "--no-http", "--log-level=warn",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"installing {modules} into {db} failed (exit {result.returncode})")
    say(f"  database ready in {time.monotonic() - start:.0f} s")


def drop_database(db):
    say(f"dropping database {db}")
    Registry.delete(db)
    odoo.sql_db.close_db(db)
    conn = pg_connect("postgres")
    try:
        with conn.cursor() as cr:
            cr.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [db],
            )
            cr.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(db)))
    finally:
        conn.close()


def copy_database(source, target):
    """CREATE DATABASE target TEMPLATE source (Odoo's pooled connections to source closed
    first: PostgreSQL copies only a database nobody is connected to)."""
    start = time.monotonic()
    odoo.sql_db.close_db(source)
    conn = pg_connect("postgres")
    try:
        with conn.cursor() as cr:
            cr.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(target), sql.Identifier(source)
                )
            )
    finally:
        conn.close()
    say(f"  database {target} copied from {source} ({time.monotonic() - start:.1f} s)")


def vacuum(db, tables=None):
    """VACUUM ANALYZE the tables (or the whole database), as autovacuum would; says so, since
    autovacuum is off on these machines."""
    start = time.monotonic()
    conn = pg_connect(db)
    try:
        with conn.cursor() as cr:
            if tables:
                for table in tables:
                    cr.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))
            else:
                cr.execute("VACUUM ANALYZE")
    finally:
        conn.close()
    say(
        f"  VACUUM ANALYZE {', '.join(tables) if tables else '(whole database)'} "
        f"({time.monotonic() - start:.1f} s), as autovacuum would (it is off on these machines)"
    )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_receiver(log_file, *extra):
    """The local test receiver in a process of its own (`extra`: more of its options, e.g.
    --fault-mix); returns (process, base url)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, str(RECEIVER), "--port", str(port), "--no-record-bodies", *extra]
    return _launch_receiver(command, url, log_file)


def _launch_receiver(command, url, log_file):
    """Start a receiver command and wait until it answers GET /health."""
    process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the receiver exited at once (exit {process.returncode})")
        try:
            if requests.get(url + "/health", timeout=1).ok:
                say(f"receiver listening on {url} (separate process, pid {process.pid})")
                return process, url
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the receiver did not answer on {url}/health within 15 s")


def stop_receiver(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---------------------------------------------------------------------------- recording receiver

# The local test receiver, plus GET /arrivals?from=I: the idempotency keys delivered by POST
# requests I, I+1, ... (each item of a batch request counts, with its request's time) and the
# moment each request arrived, on time.monotonic(), a system-wide clock on Linux that the
# benchmark's own process reads too. Latencies and pauses are measured where delivery happens.
_RECORDING_RECEIVER = r"""
import json, signal, sys, time
sys.path.insert(0, sys.argv[1])
from receiver import TestReceiver, TOKEN_PATH

class RecordingReceiver(TestReceiver):
    def _dispatch(self, h, body):
        if h.command == "GET" and h.path.startswith("/arrivals"):
            start = int(h.path.partition("from=")[2] or 0)
            with self._lock:
                requests = self.requests[start:]
                total = len(self.requests)
            arrivals = []
            for r in requests:
                if r.method != "POST" or not r.idempotency_key or r.path.startswith(TOKEN_PATH):
                    continue
                for key in r.item_keys or [r.idempotency_key]:
                    arrivals.append((key, r.received_at))
            answer = {"next": total, "arrivals": arrivals, "replays": self.replays,
                      "applied": len(self.applied)}
            return h._send(None, 200, json.dumps(answer, separators=(",", ":")).encode())
        return super()._dispatch(h, body)

receiver = RecordingReceiver(record_bodies=False, port=int(sys.argv[2])).start()
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("receiver listening on", receiver.url, flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    receiver.stop()
"""


def start_recording_receiver(log_file):
    """The local test receiver in a process of its own, recording when each idempotency key
    arrived (see arrivals()); returns (process, base url)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-c", _RECORDING_RECEIVER, str(RECEIVER.parent), str(port)]
    return _launch_receiver(command, url, log_file)


class Arrivals:
    """Reads a recording receiver's arrivals incrementally: {key: first arrival} and the
    arrival times in order, on time.monotonic()."""

    def __init__(self, url):
        self.url = url
        self.next = 0
        self.first = {}
        self.times = []
        self.replays = 0
        self.applied = 0

    def poll(self):
        answer = requests.get(f"{self.url}/arrivals?from={self.next}", timeout=30).json()
        self.next = answer["next"]
        self.replays, self.applied = answer["replays"], answer["applied"]
        for key, at in answer["arrivals"]:
            self.times.append(at)
            self.first.setdefault(key, at)
        return len(answer["arrivals"])

    def mark(self):
        """Forget what arrived so far: later figures are about what comes next."""
        self.poll()
        self.first, self.times = {}, []


def percentile(values, fraction):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]


# ---------------------------------------------------------------------------- Odoo node

WORKER = ROOT / "scripts" / "queue_worker.py"


def start_worker(config_path, db, *args, stdout=subprocess.DEVNULL, stderr=None):
    """scripts/queue_worker.py (the delivery cron's loop) in a process of its own on `db`;
    `args` are its options. Text output."""
    command = [sys.executable, str(WORKER), "-c", config_path, "-d", db, *map(str, args)]
    return subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True)


def start_odoo_node(config_path, db, log_file, extra=()):
    """An Odoo server process on `db` (its own HTTP port, the configuration's cron threads);
    returns (process, port) once /web/health answers."""
    port = free_port()
    odoo_bin = Path(os.environ.get("ODOO_SRC", "/opt/odoo/18.0")) / "odoo-bin"
    command = [
        sys.executable, str(odoo_bin), "-c", config_path, "-d", db, f"--db-filter=^{db}$",
        "--http-port", str(port), "--log-level=warn", *extra,
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the Odoo node exited at once (exit {process.returncode})")
        try:
            if requests.get(f"http://127.0.0.1:{port}/web/health", timeout=5).ok:
                say(f"Odoo node serving {db} on port {port} (pid {process.pid})")
                return process, port
        except requests.RequestException:
            time.sleep(0.5)
    process.kill()
    raise SystemExit(f"the Odoo node on port {port} did not start within 180 s")


def stop_process(process, timeout=30):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---------------------------------------------------------------------------- table statistics

_TABLE_STATS = """
SELECT t.seq_scan, t.seq_tup_read, coalesce(t.idx_scan, 0), coalesce(t.idx_tup_fetch, 0),
       t.n_live_tup, t.n_dead_tup,
       coalesce(s.heap_blks_hit, 0) + coalesce(s.heap_blks_read, 0),
       coalesce(s.idx_blks_hit, 0) + coalesce(s.idx_blks_read, 0),
       (SELECT coalesce(sum(idx_tup_read), 0) FROM pg_stat_user_indexes i
         WHERE i.relid = t.relid),
       t.last_vacuum, t.last_autovacuum, t.vacuum_count + t.autovacuum_count
  FROM pg_stat_user_tables t JOIN pg_statio_user_tables s ON s.relid = t.relid
 WHERE t.relname = %s
"""
TABLE_STAT_NAMES = (
    "seq_scan", "seq_tup_read", "idx_scan", "idx_tup_fetch", "n_live_tup", "n_dead_tup",
    "heap_blocks", "index_blocks", "idx_tup_read", "last_vacuum", "last_autovacuum", "vacuums",
)  # fmt: skip


def table_stats(db, table):
    """PostgreSQL's cumulative statistics of `table` (pg_stat_user_tables, pg_statio_user_tables,
    entries read from its indexes). Backends report them at most once a second and at exit:
    close Odoo's pooled connections first (odoo.sql_db.close_db) for figures up to date."""
    time.sleep(0.3)  # let exiting backends report
    conn = pg_connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute(_TABLE_STATS, [table])
            return dict(zip(TABLE_STAT_NAMES, cr.fetchone(), strict=True))
    finally:
        conn.close()
