# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class IntegrationEventType(models.Model):
    """An inbound event type the endpoint accepts: its data domain (for ownership checks)
    and the schema its payload must match. Addons declare theirs as data."""

    _name = "integration.event.type"
    _description = "Integration Inbound Event Type"
    _order = "code"
    _rec_name = "code"

    code = fields.Char(required=True, help="As senders write it, e.g. stock.adjusted")
    name = fields.Char(
        required=True, translate=True, help="What the event means, in words, e.g. Stock adjusted."
    )
    domain_id = fields.Many2one(
        "integration.data.domain",
        "Data domain",
        required=True,
        help="The kind of data this event changes. Only the system of record of this data may "
        "send the event.",
    )
    schema_id = fields.Many2one(
        "integration.schema",
        "Payload schema",
        required=True,
        help="The layout the event's content must follow; events that do not follow it are "
        "refused with the reason.",
    )
    description = fields.Text(translate=True, help="What Odoo does when it receives this event.")
    active = fields.Boolean(default=True)

    _sql_constraints = [("code_uniq", "unique(code)", "This event type is already declared.")]

    @api.model
    def _by_code(self, code):
        return self.sudo().search([("code", "=", code)], limit=1)
