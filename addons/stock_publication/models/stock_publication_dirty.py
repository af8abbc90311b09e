# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.tools import SQL


class StockPublicationDirty(models.Model):
    """Products whose available-to-promise may have changed since the last publication.

    A deliberately small table, written with one INSERT ... ON CONFLICT by stock moves and
    quant changes in the user's own transaction (so a rolled-back move marks nothing), and
    emptied in batches by the publication cron. A product marked `realtime` (a reservation or a
    delivery changed what a customer can buy) is published at real-time priority, and marking
    it asks the publication cron to run now."""

    _name = "stock.publication.dirty"
    _description = "Stock Publication Dirty Product"
    _auto = False
    _log_access = False
    _table = "stock_publication_dirty"
    _rec_name = "product_id"

    product_id = fields.Many2one("product.product", readonly=True)
    marked_at = fields.Datetime(readonly=True)
    realtime = fields.Boolean(readonly=True)

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
                "ALTER TABLE stock_publication_dirty "
                "ADD COLUMN IF NOT EXISTS realtime boolean NOT NULL DEFAULT FALSE"
            )
        )
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS stock_publication_dirty_marked_at_idx "
                "ON stock_publication_dirty (marked_at)"
            )
        )

    @api.model
    def _mark(self, product_ids, realtime=False):
        """Mark products dirty: one statement, no compute, no HTTP. `realtime`: publish them at
        real-time priority (a product once marked so keeps it until published)."""
        product_ids = [pid for pid in set(product_ids) if pid]
        if not product_ids:
            return
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO stock_publication_dirty AS d (product_id, marked_at, realtime)
                SELECT unnest(%(products)s::int[]), now() at time zone 'UTC', %(realtime)s
                ON CONFLICT (product_id) DO UPDATE
                   SET marked_at = EXCLUDED.marked_at, realtime = d.realtime OR EXCLUDED.realtime
                """,
                products=sorted(product_ids),
                realtime=bool(realtime),
            )
        )
        if realtime:
            self._trigger_publication()

    def _trigger_publication(self):
        """Ask the publication cron to run once this transaction commits (one trigger per
        transaction, however many reservations it makes)."""
        data = self.env.cr.precommit.data
        if data.get("stock_publication.triggered"):
            return
        data["stock_publication.triggered"] = True
        cron = self.env.ref("stock_publication.ir_cron_stock_publication_dirty", False)
        if cron:
            cron.sudo()._trigger()
