# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    integration_instance_environment = fields.Selection(
        [("production", "Production"), ("staging", "Staging"), ("test", "Test")],
        string="This Odoo is",
        config_parameter="integration_core.instance_environment",
        default="production",
        help="An Odoo that is not production (a staging copy, a test database) never sends "
        "to connectors marked production.",
    )
    integration_escalation_hours = fields.Integer(
        "Escalate dead letters after (hours)",
        compute="_compute_integration_escalation_hours",
        inverse="_inverse_integration_escalation_hours",
        readonly=False,
        help="Sets the delay of the shipped automation rule that escalates dead letters.",
    )
    integration_retention_days = fields.Integer(
        "Keep sent messages (days)",
        config_parameter="integration_core.retention_days",
        default=30,
        help="Sent, superseded and cancelled messages older than this are removed every "
        "night. Dead letters stay until someone handles them. 0 keeps everything.",
    )
    integration_metrics_token = fields.Char(
        "Metrics token",
        config_parameter="integration_core.metrics_token",
        help="Prometheus scrapes /integration/metrics with Authorization: Bearer <this token>. "
        "Empty: the endpoint is disabled.",
    )
    integration_connector_count = fields.Integer(compute="_compute_integration_connector_count")

    def _escalation_rule(self):
        return self.env.ref(
            "integration_core.automation_dead_letter_escalation", raise_if_not_found=False
        )

    def _compute_integration_escalation_hours(self):
        rule = self._escalation_rule()
        for settings in self:
            settings.integration_escalation_hours = rule.trg_date_range if rule else 0

    def _inverse_integration_escalation_hours(self):
        rule = self._escalation_rule()
        for settings in self:
            if rule and settings.integration_escalation_hours > 0:
                rule.sudo().write(
                    {
                        "trg_date_range": settings.integration_escalation_hours,
                        "trg_date_range_type": "hour",
                    }
                )

    def _compute_integration_connector_count(self):
        count = self.env["integration.connector"].search_count([])
        for settings in self:
            settings.integration_connector_count = count

    def action_open_integration_connectors(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "integration_core.integration_connector_action"
        )
