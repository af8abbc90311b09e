# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import AccessError

# The data domains of prices a pricelist's changes belong to (product.pricelist
# _price_domain_code): each has its owner and, when it says so, its own approval thresholds.
PRICE_DOMAINS = ("base_price", "customer_price")
POLICY_FIELDS = (
    "price_own_policy",
    "price_max_drop_percent",
    "price_below_cost_needs_manager",
    "price_margin_floor_percent",
)


class IntegrationDataDomain(models.Model):
    _inherit = "integration.data.domain"

    is_price_domain = fields.Boolean(compute="_compute_is_price_domain")
    price_own_policy = fields.Boolean(
        "Own approval thresholds",
        help="Price changes of this domain are approved by these thresholds instead of "
        "those of Settings (which stay the default). Only a Pricing Manager sets them.",
    )
    price_max_drop_percent = fields.Float(
        "Drop needing a manager (%)",
        help="A line lowering a price by more than this percentage needs a Pricing Manager. "
        "0 disables the check.",
    )
    price_below_cost_needs_manager = fields.Boolean(
        "Price below cost needs a manager",
        help="A line pricing a product under its cost needs a Pricing Manager.",
    )
    price_margin_floor_percent = fields.Float(
        "Margin floor (%)",
        help="A line whose margin over cost falls under this percentage of the price needs "
        "a Pricing Manager. 0 disables the check.",
    )

    @api.depends("code")
    def _compute_is_price_domain(self):
        for domain in self:
            domain.is_price_domain = domain.code in PRICE_DOMAINS

    def write(self, vals):
        if set(POLICY_FIELDS) & set(vals):
            self._check_policy_manager()
        return super().write(vals)

    @api.model_create_multi
    def create(self, vals_list):
        if any(set(POLICY_FIELDS) & set(vals) for vals in vals_list):
            self._check_policy_manager()
        return super().create(vals_list)

    @api.model
    def _check_policy_manager(self):
        """Who approves a price is decided by Pricing Managers, whoever may edit domains."""
        if self.env.su or self.env.user.has_group("price_governance.group_price_manager"):
            return
        raise AccessError(
            self.env._("Only a Pricing Manager may change the approval thresholds of prices.")
        )
