"""Shared set-up of price_governance tests: products, a pricelist, requesters and approvers,
and (from IntegrationCase) a real local receiver with connectors to it."""

from datetime import timedelta

from odoo import fields

from odoo.addons.integration_core.compat.groups import USER_GROUPS
from odoo.addons.integration_core.tests.common import IntegrationCase


class PriceCase(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("price_governance.max_drop_percent", "20")
        params.set_param("price_governance.below_cost_needs_manager", "True")
        params.set_param("price_governance.margin_floor_percent", False)
        params.set_param("price_governance.inbound_guardrail_percent", False)
        user_group = cls.env.ref("price_governance.group_price_user")
        manager_group = cls.env.ref("price_governance.group_price_manager")

        def user(login, group):
            return cls.env["res.users"].create(
                {
                    "name": login.title(),
                    "login": f"{login}@pg.example.com",
                    "email": f"{login}@pg.example.com",
                    USER_GROUPS: [(6, 0, [group.id])],
                }
            )

        cls.requester = user("paula", user_group)
        cls.approver = user("quentin", user_group)
        cls.manager = user("marta", manager_group)
        cls.currency = cls.env.company.currency_id
        cls.pricelist = cls.env["product.pricelist"].create(
            {"name": "PG Test Retail", "currency_id": cls.currency.id}
        )
        cls.other_pricelist = cls.env["product.pricelist"].create(
            {"name": "PG Test Wholesale", "currency_id": cls.currency.id}
        )
        cls.product = cls.env["product.product"].create(
            {
                "name": "PG Kettle",
                "default_code": "PG-KETTLE",
                "barcode": "9990000000011",
                "list_price": 100.0,
                "standard_price": 60.0,
            }
        )
        cls.product2 = cls.env["product.product"].create(
            {
                "name": "PG Toaster",
                "default_code": "PG-TOASTER",
                "list_price": 50.0,
                "standard_price": 20.0,
            }
        )
        cls.Change = cls.env["price.change"]
        cls.Version = cls.env["price.version"]

    def now(self):
        return fields.Datetime.now()

    def make_change(self, lines, start=None, end=None, user=None, **vals):
        """lines: (product, pricelist, price[, min_quantity]) tuples."""
        values = {
            "description": "test",
            "effective_from": start or self.now() - timedelta(minutes=1),
            "effective_to": end or False,
            "line_ids": [
                (
                    0,
                    0,
                    {
                        "product_id": product.id,
                        "pricelist_id": pricelist.id,
                        "fixed_price": price,
                        "min_quantity": qty[0] if qty else 0.0,
                    },
                )
                for product, pricelist, price, *qty in lines
            ],
        }
        values.update(vals)
        return self.Change.with_user(user or self.requester).create(values)

    def approved_change(self, lines, start=None, end=None, **vals):
        change = self.make_change(lines, start=start, end=end, **vals)
        change.action_submit()
        change.with_user(self.manager).action_approve()
        return change.with_user(self.env.user)

    def price(self, product=None, pricelist=None, quantity=1.0, date=None):
        pricelist = pricelist or self.pricelist
        return pricelist._get_product_price(product or self.product, quantity, date=date)

    def effect(self):
        return self.Version._cron_effect()
