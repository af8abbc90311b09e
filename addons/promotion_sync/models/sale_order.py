# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models
from odoo.osv import expression


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _get_program_domain(self):
        # Only programs whose release is live apply, whatever their dates say.
        return expression.AND([super()._get_program_domain(), [("release_state", "=", "active")]])

    def _get_trigger_domain(self):
        return expression.AND(
            [super()._get_trigger_domain(), [("program_id.release_state", "=", "active")]]
        )

    # ------------------------------------------------------------------ combinability

    def _promotion_discounted_products(self, reward):
        """Product ids of this order that `reward` discounts."""
        lines = self.order_line.filtered(lambda line: not line.reward_id and line.product_id)
        if reward.reward_type == "discount" and reward.discount_applicability == "specific":
            domain = reward._get_discount_product_domain()
            return set(lines.product_id.filtered_domain(domain).ids)
        return set(lines.product_id.ids)

    def _promotion_blocking_program(self, reward, ignored_lines=None):
        """The non-combinable program already applied to this order's products that `reward`
        would stack on, if any (lines being recomputed are ignored)."""
        program = reward.program_id
        if program.combinable:
            return None
        applied = self.order_line.filtered(
            lambda line: (
                line.reward_id
                and line.price_unit
                and line not in (ignored_lines or ())
                and line.reward_id.program_id != program
                and not line.reward_id.program_id.combinable
            )
        )
        if not applied:
            return None
        mine = self._promotion_discounted_products(reward)
        for other in applied.reward_id:
            if mine & self._promotion_discounted_products(other):
                return other.program_id
        return None

    def _apply_program_reward(self, reward, coupon, **kwargs):
        blocking = self._promotion_blocking_program(reward, kwargs.get("old_lines"))
        if blocking:
            return {
                "error": self.env._(
                    "%(program)s does not combine with %(other)s, already applied to these "
                    "products.",
                    program=reward.program_id.display_name,
                    other=blocking.display_name,
                )
            }
        return super()._apply_program_reward(reward, coupon, **kwargs)

    def _get_claimable_rewards(self, forced_coupons=None):
        result = super()._get_claimable_rewards(forced_coupons=forced_coupons)
        for coupon in list(result):
            result[coupon] = result[coupon].filtered(
                lambda reward: not self._promotion_blocking_program(reward)
            )
            if not result[coupon]:
                del result[coupon]
        return result
