"""Shared set-up of promotion_sync tests: users on both sides of the approval, products
with SKUs, a channel allowed promotions, and helpers to build and release programs."""

from datetime import timedelta

from odoo import Command, fields

from odoo.addons.integration_core.compat.groups import USER_GROUPS
from odoo.addons.integration_core.tests.common import IntegrationCase


class PromotionSetup:
    """Mixed into TransactionCase and HttpCase classes (``cls.env`` is set)."""

    @classmethod
    def setup_promotions(cls):
        env = cls.env
        # Programs already live in the database (Odoo's demo, our demo) must not apply to the
        # tests' orders nor count as conflicts.
        live = (
            env["loyalty.program"]
            .with_context(active_test=False)
            .search([("release_state", "not in", ("expired", "cancelled"))])
        )
        live._approval_write({"release_state": "cancelled"})
        live._propagate_active(False)
        cls.domain_promotion = env.ref("integration_core.domain_promotion")
        cls.domain_promotion.owner_connector_id = False
        sales_manager = env.ref("sales_team.group_sale_manager")
        promotion_manager = env.ref("promotion_sync.group_promotion_manager")
        cls.requester = env["res.users"].create(
            {
                "name": "Sam Sales",
                "login": "sam.sales@example.com",
                "email": "sam.sales@example.com",
                "password": "sam.sales@example.com",
                USER_GROUPS: [Command.set([sales_manager.id, promotion_manager.id])],
            }
        )
        cls.approver = env["res.users"].create(
            {
                "name": "Paula Approver",
                "login": "paula.approver@example.com",
                "email": "paula.approver@example.com",
                "password": "paula.approver@example.com",
                USER_GROUPS: [Command.set([sales_manager.id, promotion_manager.id])],
            }
        )
        cls.salesman = env["res.users"].create(
            {
                "name": "Ned No-rights",
                "login": "ned@example.com",
                "email": "ned@example.com",
                USER_GROUPS: [Command.set([sales_manager.id])],
            }
        )
        cls.desk = env["product.product"].create(
            {
                "name": "Test desk",
                "default_code": "T-DESK",
                "list_price": 100.0,
                "type": "consu",
                "taxes_id": [Command.clear()],
                "invoice_policy": "order",
            }
        )
        cls.chair = env["product.product"].create(
            {
                "name": "Test chair",
                "default_code": "T-CHAIR",
                "list_price": 50.0,
                "type": "consu",
                "taxes_id": [Command.clear()],
                "invoice_policy": "order",
            }
        )
        cls.lamp = env["product.product"].create(
            {
                "name": "Test lamp",
                "default_code": "T-LAMP",
                "list_price": 20.0,
                "type": "consu",
                "taxes_id": [Command.clear()],
                "invoice_policy": "order",
            }
        )
        cls.partner = env["res.partner"].create({"name": "Carla Customer"})

    @classmethod
    def make_program(cls, products=None, discount=10.0, **vals):
        """A draft promotion: `discount` % on `products` (default: the desk), as the requester."""
        products = products if products is not None else cls.desk
        values = {
            "name": vals.pop("name", f"{discount:g}% on {', '.join(products.mapped('name'))}"),
            "program_type": "promotion",
            "trigger": "auto",
            "rule_ids": [
                Command.create({"product_ids": [Command.set(products.ids)], "minimum_qty": 1})
            ],
            "reward_ids": [
                Command.create(
                    {
                        "reward_type": "discount",
                        "discount": discount,
                        "discount_mode": "percent",
                        "discount_applicability": "specific",
                        "discount_product_ids": [Command.set(products.ids)],
                    }
                )
            ],
        }
        values.update(vals)
        return cls.env["loyalty.program"].with_user(cls.requester).create(values)

    @classmethod
    def release(cls, program):
        """Submit as the requester, approve as the approver."""
        program.with_user(cls.requester).action_submit()
        program.with_user(cls.approver).action_approve()
        return program

    @staticmethod
    def hours(n):
        return fields.Datetime.now() + timedelta(hours=n)


class PromotionCase(PromotionSetup, IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_promotions()
        cls.channel = cls.make_connector(
            "promo-channel", allowed_domain_ids=[Command.set([cls.domain_promotion.id])]
        )

    def make_order(self, *product_qty):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner.id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": qty})
                    for product, qty in product_qty
                ],
            }
        )
        return order

    def apply_promotions(self, order):
        """What a salesperson's "Promotions" button does: update, then claim each reward."""
        order._update_programs_and_rewards()
        claimable = order._get_claimable_rewards()
        for coupon, rewards in claimable.items():
            for reward in rewards:
                order._apply_program_reward(reward, coupon)
        return order.order_line.filtered("reward_id")

    def promotion_messages(self, program):
        """Messages about the program to the tests' connectors (demo ones may exist too)."""
        return self.env["integration.message"].search(
            [
                ("res_model", "=", "loyalty.program"),
                ("res_id", "=", program.id),
                ("connector_id.code", "=like", "t-%"),
            ],
            order="id",
        )
