"""Helpers of the suite-wide tests that work on committed data in real Odoo processes."""

import json
import os
import subprocess
import sys

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
