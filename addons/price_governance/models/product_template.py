# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    price_version_count = fields.Integer(
        compute="_compute_price_version_count", groups="price_governance.group_price_user"
    )

    def _compute_price_version_count(self):
        groups = self.env["price.version"]._read_group(
            [("product_tmpl_id", "in", self.ids)], ["product_tmpl_id"], ["__count"]
        )
        counts = {template.id: count for template, count in groups}
        for template in self:
            template.price_version_count = counts.get(template.id, 0)

    def action_open_price_versions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "price_governance.price_version_action"
        )
        action["domain"] = [("product_tmpl_id", "=", self.id)]
        action["context"] = {"search_default_group_pricelist": 1}
        return action
