"""Issue #18, item 2: a connector receives only what its scope allows, as precisely as its
granularity allows.

A dealer connector is scoped to one product category (and its subcategories), one
warehouse and one pricelist, and told stock as availability bands (0 / 1-9 / 10+). Prices,
promotions and stock are published by the real publishers and delivered to a real local
receiver: the dealer never receives a product outside its category, a warehouse outside its
scope, nor a number anywhere in a stock payload; an unrestricted connector beside it gets
everything, exactly. _enqueue refuses what the publishers leave out, and a plain user cannot
widen a scope over XML-RPC."""

import xmlrpc.client
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, get_db_name, new_test_user, tagged

from odoo.addons.integration_core.compat.groups import USER_GROUPS
from odoo.addons.integration_core.tests.rpc import XmlRpcClientMixin
from odoo.addons.integration_core.tools.granularity import numbers_in
from odoo.addons.price_governance.tests.common import PriceCase
from odoo.addons.promotion_sync.tests.common import PromotionSetup


def password(login):
    return f"{login}-scope-pw"


@tagged("standard", "post_install", "-at_install")
class TestConnectorScope(XmlRpcClientMixin, PromotionSetup, PriceCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = get_db_name()
        cls.setup_promotions()
        # The promotion requester prepares price changes too (PriceCase's helpers use him).
        price_user = cls.env.ref("price_governance.group_price_user")
        cls.requester.write({USER_GROUPS: [Command.link(price_user.id)]})
        cls.env.cr.execute("DELETE FROM stock_publication_dirty")
        Category = cls.env["product.category"]
        cls.dealer_category = Category.create({"name": "Dealer line"})
        cls.dealer_sub = Category.create(
            {"name": "Dealer spare parts", "parent_id": cls.dealer_category.id}
        )
        cls.other_category = Category.create({"name": "Direct only"})
        cls.wh_dealer = cls.env["stock.warehouse"].create({"name": "Dealer hub", "code": "DH1"})
        cls.wh_other = cls.env["stock.warehouse"].create({"name": "Central", "code": "CE2"})
        cls.pump, cls.seal, cls.secret = cls.env["product.product"].create(
            [
                {
                    "name": name,
                    "default_code": code,
                    "is_storable": True,
                    "categ_id": category.id,
                    "list_price": 100.0,
                    "standard_price": 10.0,
                }
                for name, code, category in (
                    ("Scope pump", "SC-PUMP", cls.dealer_category),
                    ("Scope seal", "SC-SEAL", cls.dealer_sub),
                    ("Scope prototype", "SC-SECRET", cls.other_category),
                )
            ]
        )
        domains = cls.domain_stock | cls.domain_price | cls.domain_promotion
        cls.connector.allowed_domain_ids = [Command.set(domains.ids)]
        cls.dealer = cls.make_connector(
            "dealer",
            allowed_domain_ids=[Command.set(domains.ids)],
            scope_category_ids=[Command.set(cls.dealer_category.ids)],
            scope_warehouse_ids=[Command.set(cls.wh_dealer.ids)],
            scope_pricelist_ids=[Command.set(cls.pricelist.ids)],
            granularity_ids=[
                Command.create({"domain_id": cls.domain_stock.id, "granularity": "bands"})
            ],
        )
        cls.plain = new_test_user(
            cls.env,
            login="scope_integration_user",
            groups="integration_core.group_integration_user",
            password=password("scope_integration_user"),
        )
        cls.stock_manager = new_test_user(
            cls.env,
            login="scope_stock_manager",
            groups="stock.group_stock_manager",
            password=password("scope_stock_manager"),
        )

    def rpc_password(self, user):
        return password(user.login)

    def payloads(self, code):
        """Payloads the receiver got for the connector `code`: stock payloads name it,
        prices and promotions end their idempotency key with it."""
        return [
            d.json["payload"]
            for d in self.receiver.deliveries()
            if d.json["idempotency_key"].endswith(f":{code}")
            or d.json["payload"].get("channel") == code
        ]

    def dealer_payloads(self):
        return self.payloads("t-dealer")

    def dealer_messages(self):
        return self.Message.search([("connector_id", "=", self.dealer.id)], order="id")

    # ------------------------------------------------------------------ stock

    def test_stock_reaches_the_dealer_as_bands_of_its_warehouse_and_category(self):
        Channel = self.env["stock.publication.channel"]
        dealer_channel = Channel.create(
            {
                "name": "Dealer stock",
                "connector_id": self.dealer.id,
                "warehouse_ids": [Command.set((self.wh_dealer | self.wh_other).ids)],
            }
        )
        shop_channel = Channel.create(
            {
                "name": "Own shop stock",
                "connector_id": self.connector.id,
                "warehouse_ids": [Command.set((self.wh_dealer | self.wh_other).ids)],
            }
        )
        Quant = self.env["stock.quant"]
        for product, warehouse, quantity in (
            (self.pump, self.wh_dealer, 7),
            (self.pump, self.wh_other, 50),
            (self.seal, self.wh_dealer, 30),
            (self.secret, self.wh_dealer, 20),
        ):
            Quant._update_available_quantity(product, warehouse.lot_stock_id, quantity)
        Channel._cron_publish_dirty()
        self.process()
        dealer = {p["sku"]: p for p in self.dealer_payloads()}
        self.assertEqual(set(dealer), {"SC-PUMP", "SC-SEAL"}, "never the other category")
        self.assertEqual(dealer["SC-PUMP"]["availability"], "Low stock", "7 in its warehouse")
        self.assertEqual(dealer["SC-SEAL"]["availability"], "In stock")
        self.assertEqual({p["warehouse"] for p in dealer.values()}, {"DH1"})
        for payload in dealer.values():
            self.assertEqual(numbers_in(payload), [], "no figure anywhere in the payload")
        self.assertEqual(
            set(self.dealer_messages().mapped("schema_id.name")), {"stock_availability"}
        )
        # The unrestricted connector beside it is told everything, exactly.
        shop = {p["sku"]: p for p in self.payloads("t-webshop")}
        self.assertEqual(shop["SC-PUMP"]["quantity"], 57)
        self.assertEqual(shop["SC-SECRET"]["quantity"], 20)
        # A new quantity in the same band tells the dealer nothing new; a new band does.
        self.receiver.reset()
        Quant._update_available_quantity(self.pump, self.wh_dealer.lot_stock_id, 1)
        Channel._cron_publish_dirty()
        self.assertFalse(
            self.Message.search([("connector_id", "=", self.dealer.id), ("state", "=", "pending")])
        )
        Quant._update_available_quantity(self.pump, self.wh_dealer.lot_stock_id, 4)
        Channel._cron_publish_dirty()
        self.process()
        [payload] = self.dealer_payloads()
        self.assertEqual((payload["sku"], payload["availability"]), ("SC-PUMP", "In stock"))
        self.assertTrue(shop_channel.state_count)
        # The whole snapshot tells it nothing out of scope either.
        self.receiver.reset()
        (dealer_channel | shop_channel).write({"safety_buffer": 25.0})
        Channel._cron_snapshot()
        self.process()
        dealer = {p["sku"]: p for p in self.dealer_payloads()}
        self.assertEqual(set(dealer), {"SC-PUMP", "SC-SEAL"})
        self.assertEqual(dealer["SC-PUMP"]["availability"], "Out of stock")  # 12 - 25
        self.assertEqual(dealer["SC-SEAL"]["availability"], "Low stock")  # 30 - 25
        for payload in dealer.values():
            self.assertEqual(numbers_in(payload), [])

    def test_in_stock_flag(self):
        self.dealer.granularity_ids.granularity = "in_stock"
        channel = self.env["stock.publication.channel"].create(
            {
                "name": "Dealer stock",
                "connector_id": self.dealer.id,
                "warehouse_ids": [Command.set(self.wh_dealer.ids)],
            }
        )
        self.env["stock.quant"]._update_available_quantity(
            self.pump, self.wh_dealer.lot_stock_id, 3
        )
        channel._publish(channel._publishable_products((self.pump | self.seal).ids))
        self.process()
        payloads = {p["sku"]: p for p in self.dealer_payloads()}
        self.assertEqual(payloads["SC-PUMP"]["in_stock"], True)
        self.assertEqual(payloads["SC-SEAL"]["in_stock"], False)
        for payload in payloads.values():
            self.assertEqual(numbers_in(payload), [])

    # ------------------------------------------------------------------ prices

    def test_prices_reach_the_dealer_for_its_products_and_pricelist_only(self):
        self.pricelist.integration_connector_ids = [Command.set((self.connector | self.dealer).ids)]
        with self.assertRaisesRegex(ValidationError, "outside the scope of Dealer"):
            self.other_pricelist.integration_connector_ids = [Command.set(self.dealer.ids)]
        change = self.approved_change(
            [
                (self.pump, self.pricelist, 90.0),
                (self.seal, self.pricelist, 9.0),
                (self.secret, self.pricelist, 80.0),
            ],
            start=fields.Datetime.now() - timedelta(minutes=1),
        )
        self.effect()
        self.process()
        self.assertEqual(sorted(p["sku"] for p in self.dealer_payloads()), ["SC-PUMP", "SC-SEAL"])
        self.assertIn("SC-SECRET", [p["sku"] for p in self.payloads("t-webshop")])
        # Every channel confirmed what it may hold: the change is reconciled, not waiting
        # for the dealer to confirm a product it must never see.
        self.Change._cron_follow_publication()
        self.assertEqual(change.state, "reconciled")

    # ------------------------------------------------------------------ promotions

    def test_promotions_reach_the_dealer_when_all_their_products_are_in_scope(self):
        self.dealer.allowed_domain_ids = [Command.set(self.domain_promotion.ids)]
        inside = self.release(
            self.make_program(self.pump | self.seal, name="Dealer pumps", release_at=self.hours(-1))
        )
        outside = self.release(
            self.make_program(self.secret, name="Prototype only", release_at=self.hours(-1))
        )
        self.process()
        dealer = self.dealer_payloads()
        self.assertEqual([p["program_id"] for p in dealer], [inside.id])
        named = set(dealer[0]["skus"])
        for rule in dealer[0]["rules"]:
            named |= set(rule["skus"] or [])
        for reward in dealer[0]["rewards"]:
            named |= set(reward["discount_skus"]) | set(reward["reward_skus"])
        self.assertEqual(named, {"SC-PUMP", "SC-SEAL"})
        self.assertEqual(
            {p["program_id"] for p in self.payloads("t-webshop")},
            {inside.id, outside.id},
            "the unrestricted connector is told of both",
        )

    # ------------------------------------------------------------------ enqueue

    def test_enqueue_refuses_what_the_scope_or_granularity_forbids(self):
        before = self.Message.search_count([])
        cases = [
            (
                {
                    "payload": {"sku": "SC-SECRET", "availability": "Low stock"},
                    "schema": ("stock_availability", 1),
                    "res_model": "product.product",
                    "res_id": self.secret.id,
                },
                "Scope prototype is outside the scope of Dealer",
            ),
            (
                {
                    "payload": {"sku": "SC-PUMP", "availability": "Low stock"},
                    "schema": ("stock_availability", 1),
                    "res_model": "product.product",
                    "res_id": self.pump.id,
                    "scope": {"stock.warehouse": [self.wh_other.id]},
                },
                "Central is outside the scope of Dealer",
            ),
            (
                {
                    "payload": {"sku": "SC-PUMP", "quantity": 7},
                    "schema": ("stock", 1),
                    "res_model": "product.product",
                    "res_id": self.pump.id,
                },
                "without quantities",
            ),
            (
                {"payload": {"sku": "SC-PUMP", "availability": "Low"}, "schema": None},
                "does not say which products",
            ),
        ]
        for extra, error in cases:
            message = {
                "connector": self.dealer,
                "domain": "stock",
                "event_type": "stock.level",
                **extra,
            }
            with self.subTest(error=error), self.assertRaisesRegex(ValidationError, error):
                # The in-scope message before it is not queued either: all or nothing.
                self.Message._enqueue(
                    [
                        {
                            "connector": self.dealer,
                            "domain": "stock",
                            "event_type": "stock.level",
                            "payload": {"sku": "SC-SEAL", "in_stock": True},
                            "schema": ("stock_availability", 1),
                            "res_model": "product.product",
                            "res_id": self.seal.id,
                        },
                        message,
                    ]
                )
        self.assertEqual(self.Message.search_count([]), before)

    # ------------------------------------------------------------------ security

    def test_a_plain_user_cannot_widen_a_scope_over_rpc(self):
        attempts = [
            (
                "integration.connector",
                "write",
                [self.dealer.id],
                {"scope_category_ids": [[5, 0, 0]]},
            ),
            (
                "integration.connector",
                "write",
                [self.dealer.id],
                {"scope_warehouse_ids": [[4, self.wh_other.id, 0]]},
            ),
            ("integration.connector", "write", [self.dealer.id], {"scope_product_domain": "[]"}),
            (
                "integration.connector.granularity",
                "write",
                self.dealer.granularity_ids.ids,
                {"granularity": "exact"},
            ),
            ("integration.connector.granularity", "unlink", self.dealer.granularity_ids.ids),
            (
                "integration.availability.band",
                "write",
                self.dealer.granularity_ids.band_ids.ids,
                {"label": "42 left"},
            ),
        ]
        for model, method, *args in attempts:
            with self.subTest(model=model, method=method, args=args):
                result = self.xmlrpc(self.plain, model, method, *args)
                self.assertIsInstance(result, xmlrpc.client.Fault)
                self.assertIn("You are not allowed to", result.faultString)
        result = self.xmlrpc(
            self.plain, "integration.connector", "_in_scope", [self.dealer.id], "x", []
        )
        self.assertIsInstance(result, xmlrpc.client.Fault)
        self.assertEqual(self.dealer.scope_category_ids, self.dealer_category)
        self.assertEqual(self.dealer.scope_warehouse_ids, self.wh_dealer)
        self.assertEqual(self.dealer.granularity_ids.granularity, "bands")
        self.assertEqual(len(self.dealer.granularity_ids.band_ids), 3)
        # A stock manager may add a warehouse to the dealer's channel: it still publishes
        # only the warehouse of the connector's scope.
        channel = self.env["stock.publication.channel"].create(
            {
                "name": "Dealer stock",
                "connector_id": self.dealer.id,
                "warehouse_ids": [Command.set(self.wh_dealer.ids)],
            }
        )
        result = self.xmlrpc(
            self.stock_manager,
            "stock.publication.channel",
            "write",
            channel.ids,
            {"warehouse_ids": [[4, self.wh_other.id, 0]]},
        )
        self.assertIs(result, True)
        header = channel._get_stock_header_values()
        self.assertEqual(header["warehouse"], "DH1")
