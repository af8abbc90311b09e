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


def start_receiver(log_file):
    """The local test receiver in a process of its own; returns (process, base url)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, str(RECEIVER), "--port", str(port), "--no-record-bodies"]
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
