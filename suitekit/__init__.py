"""Helpers that tests/ and bench/ share to drive real processes and PostgreSQL.

- pg: connections outside any Odoo transaction, whole databases (created by odoo-bin, copied,
  dropped), VACUUM and table statistics;
- processes: odoo-bin servers, queue workers, scripts run inside Odoo, free ports and waits;
- receivers: the local test receiver, a recording one and a local promotion engine, in
  processes of their own.

odoo_script.py, recording_receiver.py and promotion_engine.py are programs those start; importing this package
imports neither Odoo nor the receiver.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def say(text):
    """A progress line, flushed at once: a benchmark is read while it runs."""
    print(text, flush=True)


def odoo_bin():
    """odoo-bin of the Odoo source tree ./suite found (ODOO_SRC)."""
    return Path(os.environ.get("ODOO_SRC", "/opt/odoo/18.0")) / "odoo-bin"
