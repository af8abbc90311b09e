"""Helpers of the suite-wide tests that work on committed data in real Odoo processes."""

import configparser
import json
import os
import socket
import subprocess
import sys
import time

import psycopg2

# Runs a script in its own Odoo process on a database and commits: loading a second registry
# inside the test process would run Odoo's at-install tests of every module. The script gets
# `env` and `args` (JSON) and may set `result` (printed back as JSON).
RUNNER = """
import json, sys
import odoo
from odoo.modules.registry import Registry
odoo.tools.config.parse_config(["-c", sys.argv[1], "-d", sys.argv[2], "--log-level=warn"])
with Registry(sys.argv[2]).cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
    scope = {"env": env, "args": json.loads(sys.argv[3])}
    exec(sys.stdin.read(), scope)
print("RESULT " + json.dumps(scope.get("result")))
"""


def run_in_odoo(config, db, script, args=None, env=None):
    """Run `script` in an Odoo process on `db`; return the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-c", RUNNER, config, db, json.dumps(args or {})],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def result_of(proc):
    """The `result` a successful run_in_odoo script set."""
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


def query(db, sql, params=()):
    """Rows of one query on `db`, outside any test transaction."""
    conn = psycopg2.connect(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=os.environ.get("PGPORT", "5432"),
        user=os.environ.get("ODOO_DB_USER", "odoo"),
        password=os.environ.get("ODOO_DB_PASSWORD") or None,
        dbname=db,
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()
    finally:
        conn.close()


WORKER = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "queue_worker.py"
)


def start_worker(config, db, *args):
    """scripts/queue_worker.py in a process of its own (a delivery node), output captured."""
    return subprocess.Popen(
        [sys.executable, WORKER, "-c", config, "-d", db, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_worker(proc, timeout=180):
    """Wait for a worker to end well; returns its last JSON line (its totals)."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"worker failed ({proc.returncode}):\n{err[-4000:]}"
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return lines[-1] if lines else {}


def free_port():
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def node_config(base_config, path, **options):
    """A copy of the Odoo config `base_config` at `path` with `options` set."""
    parser = configparser.ConfigParser()
    parser.read(base_config)
    for name, value in options.items():
        parser["options"][name] = str(value)
    with open(path, "w") as handle:
        parser.write(handle)
    return str(path)


def start_server(odoo_src, config, db, *args):
    """A real `odoo-bin` server on `db` on a port of its own (HTTP and cron threads);
    returns (process, port)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, os.path.join(odoo_src, "odoo-bin"), "-c", config, "-d", db,
         f"--db-filter=^{db}$", "--http-port", str(port), "--log-level=warn", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return process, port


def stop(process):
    """Terminate a process started here, if it still runs."""
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


def wait_until(predicate, timeout, step=0.5):
    """Seconds it took `predicate()` to hold; AssertionError after `timeout` seconds."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(step)
    return time.monotonic() - start


def states_of(db, connector_id):
    """{state: count} of the messages of a connector."""
    return dict(
        query(
            db,
            "SELECT state, count(*) FROM integration_message WHERE connector_id = %s "
            "GROUP BY state",
            [connector_id],
        )
    )
