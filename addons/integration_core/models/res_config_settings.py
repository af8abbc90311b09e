# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import crypto

_logger = logging.getLogger(__name__)

# The metrics token is stored only as a salted hash (crypto.hash_token). A value under the
# former key is a token stored in clear by an earlier version: it is hashed and removed the
# first time it is met (registry load after the upgrade, a scrape, the settings).
METRICS_TOKEN_HASH_PARAM = "integration_core.metrics_token_hash"
LEGACY_METRICS_TOKEN_PARAM = "integration_core.metrics_token"


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
    integration_metrics_enabled = fields.Boolean(
        "Metrics enabled", compute="_compute_integration_metrics_enabled"
    )
    integration_metrics_token = fields.Char(
        "New metrics token",
        compute="_compute_integration_metrics_token",
        inverse="_inverse_integration_metrics_token",
        help="Prometheus scrapes /integration/metrics with Authorization: Bearer <this token>. "
        "Write-only: at least 32 characters; only a salted hash of it "
        "is stored. Or generate one.",
    )
    integration_connector_count = fields.Integer(compute="_compute_integration_connector_count")
    integration_delivery_workers = fields.Integer(
        "Parallel deliverers",
        config_parameter="integration_core.delivery_workers",
        default=2,
        help="Delivery Scheduled Actions that may run at once, on every Odoo node together.",
    )

    @api.constrains("integration_delivery_workers")
    def _check_integration_delivery_workers(self):
        for settings in self:
            if not 1 <= settings.integration_delivery_workers <= 64:
                raise ValidationError(self.env._("Parallel deliverers must be between 1 and 64."))

    def set_values(self):
        super().set_values()
        self.env["integration.message"].sudo()._sync_delivery_crons()

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

    # A dependency, as base_setup's company count has: without one, Odoo never computes the
    # field for the new record the web client opens Settings with (it showed 0).
    @api.depends("company_id")
    def _compute_integration_connector_count(self):
        count = self.env["integration.connector"].search_count([])
        for settings in self:
            settings.integration_connector_count = count

    def action_open_integration_connectors(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "integration_core.integration_connector_action"
        )

    # ------------------------------------------------------------------ metrics token

    def _compute_integration_metrics_enabled(self):
        enabled = bool(self._integration_metrics_token_hash())
        for settings in self:
            settings.integration_metrics_enabled = enabled

    def _compute_integration_metrics_token(self):
        for settings in self:
            settings.integration_metrics_token = False

    def _inverse_integration_metrics_token(self):
        for settings in self:
            if settings.integration_metrics_token:
                settings._set_integration_metrics_token(settings.integration_metrics_token)

    def action_integration_generate_metrics_token(self):
        """Replace the metrics token by a random one, shown once in a notification."""
        token = crypto.new_token()
        self._set_integration_metrics_token(token)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("New metrics token"),
                "message": self.env._(
                    "Put it in the scraper's configuration now: Odoo keeps only its hash and "
                    "cannot show it again. %(token)s",
                    token=token,
                ),
                "type": "warning",
                "sticky": True,
            },
        }

    def action_integration_disable_metrics(self):
        """Forget the metrics token: the endpoint answers 403 until a new one is set."""
        self.env["ir.config_parameter"].set_param(METRICS_TOKEN_HASH_PARAM, False)

    def _set_integration_metrics_token(self, token):
        if len(token) < crypto.MIN_TOKEN_LENGTH:
            raise ValidationError(
                self.env._(
                    "A metrics token needs at least %(length)s characters, so that nobody can "
                    "guess it: generate one instead.",
                    length=crypto.MIN_TOKEN_LENGTH,
                )
            )
        # Not sudo: only who may write system parameters (administrators) sets the token.
        self.env["ir.config_parameter"].set_param(
            METRICS_TOKEN_HASH_PARAM, crypto.hash_token(token)
        )

    @api.model
    def _integration_metrics_token_hash(self):
        """The stored hash of the metrics token (False: metrics disabled). Hashes and removes
        a token an earlier version stored in clear."""
        params = self.env["ir.config_parameter"].sudo()
        clear = params.get_param(LEGACY_METRICS_TOKEN_PARAM)
        if clear:
            _logger.info("Metrics token found in clear: stored as a salted hash from now on.")
            params.set_param(METRICS_TOKEN_HASH_PARAM, crypto.hash_token(clear))
            params.set_param(LEGACY_METRICS_TOKEN_PARAM, False)
        return params.get_param(METRICS_TOKEN_HASH_PARAM) or False

    def _register_hook(self):
        # Runs at every registry load, the upgrade included: a clear token does not outlive it.
        super()._register_hook()
        if not self.env.cr.readonly:
            self._integration_metrics_token_hash()
