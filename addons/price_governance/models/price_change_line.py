# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class PriceChangeLine(models.Model):
    _name = "price.change.line"
    _description = "Price Change Line"

    change_id = fields.Many2one("price.change", required=True, ondelete="cascade", index=True)
    product_id = fields.Many2one("product.product", required=True)
    pricelist_id = fields.Many2one("product.pricelist", required=True)
    fixed_price = fields.Float(digits="Product Price")
