# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

from ..compat.constraints import sql_constraints


@sql_constraints
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
    sender = fields.Selection(
        [
            ("owner", "Its system of record"),
            ("receiver", "A system that receives this data"),
        ],
        default="owner",
        required=True,
        help="Who may send this event. Its system of record: the event changes the data in "
        "Odoo (a WMS counting stock). A system that receives this data: the event tells what "
        "the system did with what Odoo sent it (a channel acknowledging a price).",
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [("code_uniq", "unique(code)", "This event type is already declared.")]

    @api.model
    def _by_code(self, code):
        return self.sudo().search([("code", "=", code)], limit=1)

    def _sender_refusal(self, connector):
        """Why ``connector`` may not send events of this type, as (error code, words), or
        None. The one rule: the endpoint answers it as a 403, and processing refuses an event
        with it (the system of record may have changed while the event waited)."""
        self.ensure_one()
        domain = self.domain_id
        if self.sender == "receiver":
            return self._receiver_refusal(connector)
        if domain not in connector.allowed_domain_ids:
            return (
                "domain_not_allowed",
                self.env._(
                    "%(connector)s is not allowed to send %(domain)s data.",
                    connector=connector.name,
                    domain=domain.name,
                ),
            )
        if domain.owner_connector_id != connector:
            return (
                "not_system_of_record",
                self.env._(
                    "%(connector)s is not the system of record for %(domain)s data (%(owner)s "
                    "is), so Odoo does not accept changes to it from %(connector)s.",
                    connector=connector.name,
                    domain=domain.name,
                    owner=domain.owner_connector_id.name or "Odoo",
                ),
            )
        return None

    def _receiver_refusal(self, connector):
        """Why ``connector`` may not send this event about data it receives, or None: the
        rule of who receives a domain is the queue's (integration.connector._filter_receivers)."""
        domain = self.domain_id
        if connector._filter_receivers(domain.code):
            return None
        return (
            "domain_not_allowed",
            self.env._(
                "%(connector)s does not receive %(domain)s data from Odoo, so it has nothing "
                "to acknowledge.",
                connector=connector.name,
                domain=domain.name,
            ),
        )

    def _payload_errors(self, payload):
        """What is wrong with a payload of this type (formats included), [] when nothing."""
        self.ensure_one()
        return self.schema_id._errors(payload)
