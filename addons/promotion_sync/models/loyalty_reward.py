# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models

from .loyalty_rule import TECHNICAL_FIELDS


class LoyaltyReward(models.Model):
    """A program's rewards are part of its approved content."""

    _name = "loyalty.reward"
    _inherit = ["loyalty.reward", "integration.approval.content.mixin"]
    _approval_parent_field = "program_id"
    _approval_technical_fields = TECHNICAL_FIELDS

    # A reward's discount product is Odoo's technical product for its order lines: loyalty
    # creates it with the reward, renames it with the description and archives it with the
    # reward, as the caller. 19.0 asks "Products / Create" (product.group_product_manager)
    # for that, which a promotion user need not have (18.0's sales managers had product
    # rights anyway): the suite does that part as superuser on both series, once the caller's
    # own right on the reward is checked. No other product is created or changed this way.
    _DISCOUNT_PRODUCT_FIELDS = frozenset({"description", "active"})

    def _create_missing_discount_line_products(self):
        return super(LoyaltyReward, self.sudo())._create_missing_discount_line_products()

    def write(self, vals):
        if self.env.su or not self._DISCOUNT_PRODUCT_FIELDS & set(vals):
            return super().write(vals)
        self.check_access("write")
        return super(LoyaltyReward, self.sudo()).write(vals)

    def _settlement_point_value(self):
        """What one point is worth when spent on this reward, in the program's currency: a
        fixed amount per point, a fixed amount for the points it needs, or the sales price of
        the free product for them. A percentage is worth nothing before an order: 0."""
        self.ensure_one()
        points = self.required_points or 1.0
        if self.reward_type == "discount" and self.discount_mode == "per_point":
            return self.discount
        if self.reward_type == "discount" and self.discount_mode == "per_order":
            return self.discount / points
        if self.reward_type == "product" and self.reward_product_id:
            return self.reward_product_id.lst_price * (self.reward_product_qty or 1) / points
        return 0.0
