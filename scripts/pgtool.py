"""Small PostgreSQL chores of ./suite, with psycopg2 so no client binaries are needed.

pgtool.py ping                         exit 0 when the server answers
pgtool.py ensure-role                  create ODOO_DB_USER (LOGIN CREATEDB) when missing
pgtool.py exists DB                    exit 0 when DB exists
pgtool.py copy SOURCE TARGET           CREATE DATABASE TARGET TEMPLATE SOURCE
pgtool.py drop DB                      drop DB (and its connections) if it exists
pgtool.py check-installed DB A,B,C     exit 0 when every module listed is installed
"""

import os
import sys

import psycopg2
from psycopg2 import sql

HOST = os.environ.get("PGHOST", "127.0.0.1")
PORT = os.environ.get("PGPORT", "5432")
USER = os.environ.get("ODOO_DB_USER", "odoo")
PASSWORD = os.environ.get("ODOO_DB_PASSWORD") or None
ADMIN = os.environ.get("PGADMIN_USER", "postgres")


def connect(user=USER, dbname="postgres", password=PASSWORD):
    conn = psycopg2.connect(
        host=HOST, port=PORT, user=user, password=password, dbname=dbname, connect_timeout=5
    )
    conn.autocommit = True
    return conn


def ping():
    try:
        connect(user=ADMIN, password=None).close()
        return 0
    except psycopg2.OperationalError as exc:
        if "does not exist" in str(exc) or "authentication" in str(exc):
            # The server answers; only this role cannot log in.
            return 0
        return 1


def ensure_role():
    try:
        connect().close()
        return 0
    except psycopg2.OperationalError as exc:
        if f'role "{USER}" does not exist' not in str(exc):
            print(f"Cannot connect to PostgreSQL as {USER}: {exc}".strip(), file=sys.stderr)
            return 1
    try:
        conn = connect(user=ADMIN, password=None)
    except psycopg2.OperationalError as exc:
        print(
            f"The role {USER} is missing and connecting as {ADMIN} to create it failed ({exc}). "
            f"Create it once (sudo -u postgres createuser --createdb {USER}) or set PGADMIN_USER.",
            file=sys.stderr,
        )
        return 1
    with conn.cursor() as cr:
        cr.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB").format(sql.Identifier(USER)))
    conn.close()
    print(f"Created the PostgreSQL role {USER} (LOGIN CREATEDB).", file=sys.stderr)
    return 0


def exists(db):
    with connect() as conn, conn.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,))
        return 0 if cr.fetchone() else 1


def drop(db):
    conn = connect()
    with conn.cursor() as cr:
        cr.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (db,),
        )
        cr.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(db)))
    conn.close()
    return 0


def copy(source, target):
    conn = connect()
    with conn.cursor() as cr:
        cr.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(target), sql.Identifier(source)
            )
        )
    conn.close()
    return 0


def check_installed(db, modules):
    names = [m for m in modules.split(",") if m]
    conn = connect(dbname=db)
    with conn.cursor() as cr:
        cr.execute(
            "SELECT name, state FROM ir_module_module WHERE name = ANY(%s)",
            (names,),
        )
        states = dict(cr.fetchall())
    conn.close()
    missing = [n for n in names if states.get(n) != "installed"]
    if missing:
        print(
            "Not installed: " + ", ".join(f"{n} ({states.get(n, 'unknown')})" for n in missing),
            file=sys.stderr,
        )
        return 1
    return 0


def main(argv):
    commands = {
        "ping": ping,
        "ensure-role": ensure_role,
        "exists": exists,
        "copy": copy,
        "drop": drop,
        "check-installed": check_installed,
    }
    if not argv or argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[0]](*argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
