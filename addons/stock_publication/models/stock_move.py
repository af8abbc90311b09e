# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_confirm(self, merge=True, merge_into=False):
        # A confirmed receipt or delivery changes the incoming quantities and backorder
        # commitments that payload v2 publishes.
        moves = super()._action_confirm(merge=merge, merge_into=merge_into)
        self.env["stock.publication.dirty"]._mark((self | moves).product_id.ids)
        return moves

    def _action_done(self, cancel_backorder=False):
        moves = super()._action_done(cancel_backorder=cancel_backorder)
        delivered = (self | moves).filtered(
            lambda m: m.state == "done" and m.location_dest_id.usage == "customer"
        )
        Dirty = self.env["stock.publication.dirty"]
        Dirty._mark(((self | moves) - delivered).product_id.ids)
        # A delivery goes out at real-time priority, as a reservation does.
        Dirty._mark(delivered.product_id.ids, realtime=True)
        return moves
