# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

RELEASE_STATES = [
    ("draft", "Draft"),
    ("to_approve", "To Approve"),
    ("approved", "Approved"),
    ("scheduled", "Scheduled"),
    ("active", "Active"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
]


class LoyaltyProgram(models.Model):
    _inherit = "loyalty.program"

    release_state = fields.Selection(
        RELEASE_STATES, default="draft", required=True, copy=False, tracking=True
    )
    snapshot_ids = fields.One2many("promotion.snapshot", "program_id", readonly=True)
