# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ProductPricelistItem(models.Model):
    _inherit = "product.pricelist.item"

    price_version_id = fields.Many2one(
        "price.version",
        "Price version",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The approved price version this rule applies; the effect Scheduled Action "
        "writes and retires it.",
    )
