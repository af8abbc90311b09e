# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class PromotionSnapshot(models.Model):
    """Immutable copy of a program's rules and rewards as approved."""

    _name = "promotion.snapshot"
    _description = "Promotion Rule Snapshot"
    _order = "program_id, version desc"

    program_id = fields.Many2one("loyalty.program", required=True, ondelete="cascade", index=True)
    version = fields.Integer(required=True)
    content = fields.Json()
