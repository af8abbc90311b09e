# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, models

from .loyalty_rule import TECHNICAL_FIELDS


class LoyaltyReward(models.Model):
    _inherit = "loyalty.reward"

    @api.model_create_multi
    def create(self, vals_list):
        rewards = super().create(vals_list)
        rewards.program_id._promotion_content_changed()
        return rewards

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
