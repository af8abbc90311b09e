# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models

WATCHED = {"quantity", "reserved_quantity", "location_id", "product_id"}


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model_create_multi
    def create(self, vals_list):
        quants = super().create(vals_list)
        self.env["stock.publication.dirty"]._mark(quants.product_id.ids)
        return quants

    def write(self, vals):
        result = super().write(vals)
        if WATCHED & set(vals):
            # A reservation (or its release) changes what customers can buy right now.
            self.env["stock.publication.dirty"]._mark(
                self.product_id.ids, realtime="reserved_quantity" in vals
            )
        return result
