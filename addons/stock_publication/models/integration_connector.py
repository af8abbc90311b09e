# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class IntegrationConnector(models.Model):
    _inherit = "integration.connector"

    scope_warehouse_ids = fields.Many2many(
        "stock.warehouse",
        "integration_connector_scope_warehouse_rel",
        "connector_id",
        "warehouse_id",
        string="Warehouses",
        help="Only stock of these warehouses reaches this connector: its stock channel "
        "publishes the free quantity of those of its warehouses listed here. Empty: every "
        "warehouse of its company.",
    )

    def _scope_fields(self):
        return (*super()._scope_fields(), "scope_warehouse_ids")

    def _scope_domain(self, model_name):
        if model_name != "stock.warehouse":
            return super()._scope_domain(model_name)
        self.ensure_one()
        domain = [("company_id", "=", self.company_id.id)]
        if self.scope_warehouse_ids:
            domain += [("id", "in", self.scope_warehouse_ids.ids)]
        return domain

    def write(self, vals):
        result = super().write(vals)
        if set(self._scope_fields()) & set(vals):
            # What the channels of these connectors may be told changed: reconcile them.
            self.env["stock.publication.channel"].sudo().search(
                [("connector_id", "in", self.ids), ("frozen", "=", False)]
            )._request_snapshot()
        return result
