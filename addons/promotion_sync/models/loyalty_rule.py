# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models

# Written by Odoo itself when a reward is created: not a change of approved content. Archiving
# or restoring a rule or reward is one (the snapshot holds the active ones only).
TECHNICAL_FIELDS = frozenset({"discount_line_product_id"})


class LoyaltyRule(models.Model):
    """A program's rules are part of its approved content."""

    _name = "loyalty.rule"
    _inherit = ["loyalty.rule", "integration.approval.content.mixin"]
    _approval_parent_field = "program_id"
    _approval_technical_fields = TECHNICAL_FIELDS
