# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class StockLocation(models.Model):
    _inherit = "stock.location"

    quality_hold = fields.Boolean(
        help="Stock in this location (and the locations under it) is on quality hold: it is "
        "never published as available to promise.",
    )

    def write(self, vals):
        result = super().write(vals)
        if "quality_hold" in vals:
            # Everything stored here may publish another quantity now.
            self.env["stock.publication.channel"].search([])._request_snapshot()
        return result
