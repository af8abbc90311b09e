# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Channels that existed before stock payload v2 keep v1: their connectors read v1.

The column is made here, before the ORM would fill it with the default of new channels (v2).
"""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        SQL(
            "ALTER TABLE stock_publication_channel ADD COLUMN IF NOT EXISTS payload_version varchar"
        )
    )
    cr.execute(
        SQL(
            "UPDATE stock_publication_channel SET payload_version = '1' WHERE payload_version IS NULL"
        )
    )
