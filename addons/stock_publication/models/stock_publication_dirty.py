# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.tools import SQL


class StockPublicationDirty(models.Model):
    """Products whose available-to-promise may have changed since the last publication.

    A deliberately small table, written with one INSERT ... ON CONFLICT by stock moves and
    quant changes in the user's own transaction (so a rolled-back move marks nothing), and
    emptied in batches by the publication cron."""

    _name = "stock.publication.dirty"
    _description = "Stock Publication Dirty Product"
    _auto = False
    _log_access = False
    _table = "stock_publication_dirty"
    _rec_name = "product_id"

    product_id = fields.Many2one("product.product", readonly=True)
    marked_at = fields.Datetime(readonly=True)

    def init(self):
        self.env.cr.execute(
            SQL(
                """
                CREATE TABLE IF NOT EXISTS stock_publication_dirty (
                    product_id integer PRIMARY KEY
                        REFERENCES product_product(id) ON DELETE CASCADE,
                    marked_at timestamp without time zone NOT NULL DEFAULT (now() at time zone 'UTC')
                )
                """
            )
        )
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS stock_publication_dirty_marked_at_idx "
                "ON stock_publication_dirty (marked_at)"
            )
        )

    @api.model
    def _mark(self, product_ids):
        """Mark products dirty: one statement, no compute, no HTTP."""
        product_ids = [pid for pid in set(product_ids) if pid]
        if not product_ids:
            return
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO stock_publication_dirty (product_id, marked_at)
                SELECT unnest(%s::int[]), now() at time zone 'UTC'
                ON CONFLICT (product_id) DO UPDATE SET marked_at = EXCLUDED.marked_at
                """,
                sorted(product_ids),
            )
        )
