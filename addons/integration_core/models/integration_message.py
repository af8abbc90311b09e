# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

MESSAGE_STATES = [
    ("pending", "Pending"),
    ("sending", "Sending"),
    ("failed", "Failed, will retry"),
    ("sent", "Sent"),
    ("dead", "Dead letter"),
    ("cancelled", "Cancelled"),
    ("superseded", "Superseded"),
]


class IntegrationMessage(models.Model):
    """One outbound delivery to one connector: the queue record."""

    _name = "integration.message"
    _description = "Integration Message"
    _inherit = ["mail.thread"]
    _order = "id desc"

    connector_id = fields.Many2one(
        "integration.connector", required=True, ondelete="restrict", index=True
    )
    company_id = fields.Many2one(related="connector_id.company_id", store=True, index=True)
    event_type = fields.Char(required=True)
    state = fields.Selection(MESSAGE_STATES, required=True, default="pending", tracking=True)
    payload = fields.Json()
