# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models

# Written by Odoo itself when a program is (un)archived: not a change of approved content.
TECHNICAL_FIELDS = {"active", "discount_line_product_id"}


class LoyaltyRule(models.Model):
    _inherit = "loyalty.rule"

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        rules.program_id._promotion_content_changed()
        return rules

    def write(self, vals):
        programs = self.program_id
        result = super().write(vals)
        if set(vals) - TECHNICAL_FIELDS:
            (programs | self.program_id)._promotion_content_changed()
        return result

    def unlink(self):
        programs = self.program_id
        result = super().unlink()
        programs.exists()._promotion_content_changed()
        return result
