# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models

# Written by Odoo itself when a program is (un)archived: not a change of approved content.
TECHNICAL_FIELDS = {"active", "discount_line_product_id"}


class PromotionContentMixin(models.AbstractModel):
    """Rules and rewards are the approved content of a program: creating, changing or deleting
    one tells the program, which then needs a new version approved."""

    _name = "promotion.content.mixin"
    _description = "Part of a program's approved content"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records.program_id._promotion_content_changed()
        return records

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


class LoyaltyRule(models.Model):
    _name = "loyalty.rule"
    _inherit = ["loyalty.rule", "promotion.content.mixin"]
