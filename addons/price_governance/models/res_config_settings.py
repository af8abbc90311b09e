# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models

PARAM_MAX_DROP = "price_governance.max_drop_percent"
PARAM_BELOW_COST = "price_governance.below_cost_needs_manager"
PARAM_MARGIN_FLOOR = "price_governance.margin_floor_percent"
PARAM_GUARDRAIL = "price_governance.inbound_guardrail_percent"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    price_max_drop_percent = fields.Float(
        "Drop needing a manager (%)",
        config_parameter=PARAM_MAX_DROP,
        help="A line lowering a price by more than this percentage needs a Pricing Manager. "
        "0 disables the check.",
    )
    price_below_cost_needs_manager = fields.Boolean(
        "Price below cost needs a manager",
        config_parameter=PARAM_BELOW_COST,
        help="A line pricing a product under its cost needs a Pricing Manager.",
    )
    price_margin_floor_percent = fields.Float(
        "Margin floor (%)",
        config_parameter=PARAM_MARGIN_FLOOR,
        help="A line whose margin over cost falls under this percentage of the price needs "
        "a Pricing Manager. 0 disables the check.",
    )
    price_inbound_guardrail_percent = fields.Float(
        "Auto-approve inbound prices within (%)",
        config_parameter=PARAM_GUARDRAIL,
        help="Prices proposed by the pricing engine that move the current price by at most "
        "this percentage are approved automatically. 0: every proposal waits for a person.",
    )


class PriceGovernancePolicy(models.AbstractModel):
    """The approval thresholds of a price data domain: its own when it has them, else those
    of Settings. Read once per call."""

    _name = "price.governance.policy"
    _description = "Price approval thresholds"

    @api.model
    def _get(self, domain_code=None):
        """{"max_drop", "below_cost", "margin_floor", "guardrail"}: Settings, with the
        thresholds of the data domain `domain_code` instead when it has its own."""
        policy = self._settings()
        domain = self.env["integration.data.domain"].sudo()
        if domain_code:
            domain = domain.search([("code", "=", domain_code)], limit=1)
        if domain.price_own_policy:
            policy.update(
                max_drop=domain.price_max_drop_percent,
                below_cost=domain.price_below_cost_needs_manager,
                margin_floor=domain.price_margin_floor_percent,
            )
        return policy

    @api.model
    def _settings(self):
        params = self.env["ir.config_parameter"].sudo()

        # A setting left empty is stored as no parameter at all: 0 / off.
        def number(key, default):
            try:
                return float(params.get_param(key) or default)
            except (TypeError, ValueError):
                return float(default)

        return {
            "max_drop": number(PARAM_MAX_DROP, 0.0),
            "below_cost": params.get_param(PARAM_BELOW_COST) not in (False, None, "False", "0", ""),
            "margin_floor": number(PARAM_MARGIN_FLOOR, 0.0),
            "guardrail": number(PARAM_GUARDRAIL, 0.0),
        }
