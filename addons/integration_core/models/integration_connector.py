# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models


class IntegrationConnector(models.Model):
    """One external system the suite exchanges data with (webshop, marketplace, WMS, ...)."""

    _name = "integration.connector"
    _description = "Integration Connector"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, name"

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        required=True,
        help="Short technical name, unique per company, used in URLs and logs (e.g. webshop).",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    environment = fields.Selection(
        [("production", "Production"), ("staging", "Staging"), ("test", "Test")],
        required=True,
        default="test",
        tracking=True,
        help="Which environment of the remote system this connector talks to. "
        "Production and test data are never mixed.",
    )
    base_url = fields.Char(
        "Base URL", tracking=True, help="Root URL of the remote API, e.g. https://shop.example.com/api"
    )
    frozen = fields.Boolean(
        tracking=True,
        help="Frozen connectors keep queuing messages but send nothing until unfrozen.",
    )
    responsible_user_id = fields.Many2one(
        "res.users",
        "Responsible",
        tracking=True,
        default=lambda self: self.env.user,
        help="Receives an activity when a message to this connector needs attention.",
    )

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(code, company_id)",
            "Another connector of this company already uses this code.",
        ),
    ]

    @api.depends("name", "environment")
    def _compute_display_name(self):
        labels = dict(self._fields["environment"]._description_selection(self.env))
        for connector in self:
            if connector.environment and connector.environment != "production":
                connector.display_name = f"{connector.name} ({labels[connector.environment]})"
            else:
                connector.display_name = connector.name
