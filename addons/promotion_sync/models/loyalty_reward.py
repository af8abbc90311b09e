# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models

from .loyalty_rule import TECHNICAL_FIELDS


class LoyaltyReward(models.Model):
    """A program's rewards are part of its approved content."""

    _name = "loyalty.reward"
    _inherit = ["loyalty.reward", "integration.approval.content.mixin"]
    _approval_parent_field = "program_id"
    _approval_technical_fields = TECHNICAL_FIELDS
