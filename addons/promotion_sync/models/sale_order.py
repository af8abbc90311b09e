# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import uuid
from contextlib import closing

from odoo import SUPERUSER_ID, Command, api, models
from odoo.exceptions import UserError

from odoo.addons.integration_core.compat.renamed import SALE_LINE_TAXES
from odoo.addons.integration_core.tools.workflow import workflow_scope

from ..tools import eligibility
from .promotion_snapshot import product_sku


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _get_program_domain(self):
        # Only programs whose release is live apply, whatever their dates say.
        domain = [("release_state", "=", "active")]
        only = eligibility.restricted_programs()
        if only is not None:  # an eligibility check: its copies of the approved snapshots
            domain = [*domain, ("id", "in", list(only))]
        # Odoo's domain is a list of complete terms: appending ours ANDs it.
        return [*super()._get_program_domain(), *domain]

    def _get_trigger_domain(self):
        domain = [("program_id.release_state", "=", "active")]
        only = eligibility.restricted_programs()
        if only is not None:
            domain = [*domain, ("program_id", "in", list(only))]
        return [*super()._get_trigger_domain(), *domain]

    # ------------------------------------------------------------------ eligibility

    @api.model
    def _promotion_cart_rewards(self, lines, codes, snapshots):
        """What a cart gets from approved `snapshots`, computed by Odoo's own loyalty code:
        in a savepoint that is always rolled back, each snapshot becomes a program again, the
        cart a quotation (untaxed, at the cart's prices), codes are applied and rewards
        claimed, best first, as a salesperson would; the reward lines are read and
        everything is undone. Returns [{"snapshot", "discount", "reward_type",
        "free_products"}] of the programs that gave something."""
        skus = {line["sku"] for line in lines}
        snapshots = snapshots.filtered(lambda s: eligibility.may_apply(s.content, skus, codes))
        if not snapshots:
            return []
        with closing(self.env.cr.savepoint()):
            # As the superuser: a calling system has no user, and nothing of it is kept.
            env = self.env(
                user=SUPERUSER_ID,
                su=True,
                context=dict(self.env.context, tracking_disable=True, mail_create_nolog=True),
            )
            return env["sale.order"]._promotion_cart_rewards_in_savepoint(lines, codes, snapshots)

    @api.model
    def _promotion_cart_rewards_in_savepoint(self, lines, codes, snapshots):
        reward_skus = {
            sku
            for s in snapshots
            for r in s.content.get("rewards") or []
            for sku in r.get("reward_skus") or []
        }
        product_ids = self._promotion_cart_products(lines, reward_skus)
        prefix = f"{uuid.uuid4().hex}:"
        program_of = {}
        for snapshot in snapshots:
            vals = snapshot._eligibility_program_values(product_ids, prefix)
            if vals:
                with workflow_scope("loyalty.program"):
                    program = self.env["loyalty.program"].create(vals)
                program_of[program] = snapshot
        if not program_of:
            return []
        order = self._promotion_cart_order(lines, product_ids)
        with eligibility.only_programs([p.id for p in program_of]):
            for code in sorted(codes):
                order._try_apply_code(prefix + code)
            order._update_programs_and_rewards()
            order._promotion_claim_best_rewards()
        prices = {product_ids[line["sku"]]: line["price"] for line in lines}
        return order._promotion_reward_summary(program_of, prices)

    @api.model
    def _promotion_cart_products(self, lines, reward_skus):
        """{sku: product id} of the cart's and reward SKUs: products known by their SKU, and
        for cart SKUs Odoo does not know, a product made for the check (rolled back)."""
        wanted = {line["sku"] for line in lines} | set(reward_skus)
        Product = self.env["product.product"]
        found = {
            sku: product.id
            for sku, product in self.env["integration.product.mapping"]
            ._products_for_internal_skus(wanted)
            .items()
            if product.active
        }
        unknown = [line for line in lines if line["sku"] not in found]
        unknown = list({line["sku"]: line for line in unknown}.values())
        made = Product.create(
            [
                {
                    "name": line["sku"],
                    "default_code": line["sku"],
                    "list_price": line["price"],
                    "type": "consu",
                    "taxes_id": [Command.clear()],
                }
                for line in unknown
            ]
        )
        found.update({line["sku"]: product.id for line, product in zip(unknown, made)})
        return found

    @api.model
    def _promotion_cart_order(self, lines, product_ids):
        """The cart as a quotation of an anonymous customer: the cart's quantities and prices,
        no taxes (amounts are untaxed)."""
        partner = self.env["res.partner"].create({"name": "Eligibility check"})
        return self.create(
            {
                "name": "eligibility",  # no sequence number is used up
                "partner_id": partner.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product_ids[line["sku"]],
                            "product_uom_qty": line["qty"],
                            "price_unit": line["price"],
                            "technical_price_unit": line["price"],
                            SALE_LINE_TAXES: [Command.clear()],
                        }
                    )
                    for line in lines
                ],
            }
        )

    def _promotion_claim_best_rewards(self):
        """Claim one reward per coupon, the most valuable first (a non-combinable program
        already applied to the same products refuses the next ones, see
        _apply_program_reward)."""
        self.ensure_one()
        claimed = set()
        while True:
            candidates = [
                (self._promotion_reward_value(reward, coupon, product), coupon, reward, product)
                for coupon, rewards in self._get_claimable_rewards().items()
                if coupon not in claimed
                for reward in rewards
                for product in (
                    reward.reward_product_ids if reward.reward_type == "product" else [None]
                )
            ]
            candidates = [c for c in candidates if c[0] > 0]
            if not candidates:
                return
            _value, coupon, reward, product = max(candidates, key=lambda c: (c[0], -c[2].id))
            claimed.add(coupon)
            kwargs = {"product": product} if product else {}
            self._apply_program_reward(reward, coupon, **kwargs)

    def _promotion_reward_value(self, reward, coupon, product=None):
        """What claiming `reward` would give, untaxed, from Odoo's reward line values."""
        try:
            values = self._get_reward_line_values(reward, coupon, product=product)
        except UserError:
            return 0.0
        if reward.reward_type == "product":
            cart = self.order_line.filtered(
                lambda line: line.product_id == product and not line.reward_id
            )
            price = cart[:1].price_unit if cart else product.lst_price
            return sum(vals.get("product_uom_qty", 0.0) for vals in values) * price
        return -sum(
            vals.get("price_unit", 0.0) * vals.get("product_uom_qty", 1.0) for vals in values
        )

    def _promotion_reward_summary(self, program_of, prices):
        """What each program gave on this order, from its reward lines."""
        self.ensure_one()
        given = []
        lines_of = self.order_line.filtered("reward_id").grouped(
            lambda line: line.reward_id.program_id
        )
        for program, snapshot in program_of.items():
            reward_lines = lines_of.get(program)
            if not reward_lines:
                continue
            discount, free = 0.0, []
            for line in reward_lines:
                if line.reward_id.reward_type == "product":
                    price = prices.get(line.product_id.id, line.price_unit)
                    discount += line.product_uom_qty * price
                    free.append({"sku": product_sku(line.product_id), "qty": line.product_uom_qty})
                else:
                    discount -= line.price_subtotal
            given.append(
                {
                    "snapshot": snapshot,
                    "discount": self.currency_id.round(discount),
                    "reward_type": reward_lines[0].reward_id.reward_type,
                    "free_products": free,
                }
            )
        return given

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
