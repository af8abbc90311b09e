# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_confirm(self, *args, **kwargs):
        # A confirmed receipt or delivery changes the incoming quantities and backorder
        # commitments that payload v2 publishes. (Arguments passed on as given: 19.0 adds
        # create_proc to 18.0's merge and merge_into.)
        moves = super()._action_confirm(*args, **kwargs)
        self.env["stock.publication.dirty"]._mark((self | moves).product_id.ids)
        return moves

    def _action_done(self, *args, **kwargs):
        moves = super()._action_done(*args, **kwargs)
        delivered = (self | moves).filtered(
            lambda m: m.state == "done" and m.location_dest_id.usage == "customer"
        )
        Dirty = self.env["stock.publication.dirty"]
        Dirty._mark(((self | moves) - delivered).product_id.ids)
        # A delivery goes out at real-time priority, as a reservation does.
        Dirty._mark(delivered.product_id.ids, realtime=True)
        return moves
