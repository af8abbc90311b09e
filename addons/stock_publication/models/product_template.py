# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ProductTemplate(models.Model):
    _inherit = "product.template"

    stock_discontinued = fields.Boolean(
        "Discontinued",
        help="Discontinued products publish a quantity of 0 to every stock channel, with their "
        "substitute's SKU.",
    )
    stock_substitute_product_id = fields.Many2one(
        "product.product",
        "Substitute",
        help="Product announced to the channels in place of this discontinued one.",
    )

    @api.constrains("stock_substitute_product_id")
    def _check_stock_substitute(self):
        for template in self:
            if template.stock_substitute_product_id.product_tmpl_id == template:
                raise ValidationError(
                    self.env._("%s cannot be its own substitute.", template.display_name)
                )

    def write(self, vals):
        result = super().write(vals)
        if {"stock_discontinued", "stock_substitute_product_id", "is_storable"} & set(vals):
            self.env["stock.publication.dirty"]._mark(
                self.with_context(active_test=False).product_variant_ids.ids
            )
        return result
