# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

from ..compat.constraints import sql_constraints


@sql_constraints
class IntegrationDataDomain(models.Model):
    """A kind of business data exchanged with channels (base price, stock, ...): connectors
    are allowed domains, and each domain has one system of record."""

    _name = "integration.data.domain"
    _description = "Integration Data Domain"
    _order = "sequence, name"

    name = fields.Char(
        required=True, translate=True, help="The kind of data, as people call it, e.g. Stock."
    )
    code = fields.Char(required=True, help="Technical code used by the enqueue API, e.g. stock.")
    sequence = fields.Integer(default=10)
    description = fields.Text(
        translate=True, help="What this data covers, for the people who set owners and access."
    )
    owner_connector_id = fields.Many2one(
        "integration.connector",
        "System of record",
        ondelete="restrict",
        help="The external system that owns this data. Empty: Odoo owns it. Inbound events "
        "of this domain are accepted only from its owner, and Odoo never publishes the domain "
        "back to the system that owns it.",
    )

    _sql_constraints = [("code_uniq", "unique(code)", "A data domain with this code exists.")]

    def _odoo_owns(self):
        self.ensure_one()
        return not self.owner_connector_id
