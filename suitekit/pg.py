"""PostgreSQL for the tests and benchmarks: queries outside any Odoo transaction, whole
databases (created by odoo-bin, copied, dropped), VACUUM and table statistics.

Connections use the variables ./suite exports and writes into every Odoo configuration it
generates: PGHOST, PGPORT, ODOO_DB_USER, ODOO_DB_PASSWORD.
"""

import os
import subprocess
import sys
import time

import psycopg2
from psycopg2 import sql

import odoo
from odoo.modules.registry import Registry

from suitekit import odoo_bin, say


def connect(dbname):
    """An autocommit connection to `dbname`, as Odoo's role."""
    conn = psycopg2.connect(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=os.environ.get("PGPORT", "5432"),
        user=os.environ.get("ODOO_DB_USER", "odoo"),
        password=os.environ.get("ODOO_DB_PASSWORD") or None,
        dbname=dbname,
    )
    conn.autocommit = True
    return conn


def query(db, statement, params=()):
    """Rows of one query on `db`, outside any test transaction."""
    conn = connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute(statement, params)
            return cr.fetchall()
    finally:
        conn.close()


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


def create_database(config_path, db, modules):
    """A fresh database with `modules` installed and no demo data, by odoo-bin."""
    say(f"creating database {db} with {modules}, no demo data ...")
    start = time.monotonic()
    command = [
        sys.executable, str(odoo_bin()), "-c", config_path, "-d", db, "-i", modules,
        "--without-demo=all", "--stop-after-init", "--no-http", "--log-level=warn",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"installing {modules} into {db} failed (exit {result.returncode})")
    say(f"  database ready in {time.monotonic() - start:.0f} s")


def drop_database(db):
    """Drop `db`, this process's registry and pooled connections first, anyone else's cut."""
    say(f"dropping database {db}")
    Registry.delete(db)
    odoo.sql_db.close_db(db)
    conn = connect("postgres")
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
    conn = connect("postgres")
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
    conn = connect(db)
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
    conn = connect(db)
    try:
        with conn.cursor() as cr:
            cr.execute(_TABLE_STATS, [table])
            return dict(zip(TABLE_STAT_NAMES, cr.fetchone(), strict=True))
    finally:
        conn.close()
