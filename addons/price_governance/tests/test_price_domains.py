"""Price types and geography: a pricelist's customers or country groups decide the data
domain of its changes (base or customer price), who receives them, and which approval
thresholds apply."""

import xmlrpc.client
from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged

from odoo.addons.integration_core.compat.groups import USER_GROUPS
from odoo.addons.integration_core.tests.rpc import XmlRpcClientMixin

from .common import PriceCase

T0 = datetime(2021, 7, 1, 8, 0, 0)


@tagged("post_install", "-at_install")
class TestPriceDomains(XmlRpcClientMixin, PriceCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.domain_customer = cls.env.ref("integration_core.domain_customer_price")
        Partner = cls.env["res.partner"]
        cls.acme = Partner.create({"name": "PG Acme", "is_company": True})
        cls.globex = Partner.create({"name": "PG Globex", "is_company": True})
        both = [Command.set([cls.domain_price.id, cls.domain_customer.id])]
        # Dealers, each limited to its own customers; the webshop receives base prices only.
        cls.acme_dealer = cls.make_connector(
            "acme-dealer", allowed_domain_ids=both, scope_partner_ids=[Command.set(cls.acme.ids)]
        )
        cls.globex_dealer = cls.make_connector(
            "globex-dealer",
            allowed_domain_ids=both,
            scope_partner_ids=[Command.set(cls.globex.ids)],
        )
        cls.contract = cls.env["product.pricelist"].create(
            {"name": "PG Acme contract", "currency_id": cls.currency.id}
        )
        cls.acme.property_product_pricelist = cls.contract
        cls.contract.integration_connector_ids = [
            Command.set((cls.acme_dealer | cls.globex_dealer).ids)
        ]

    def rpc_password(self, user):
        return f"{user.login}-pw"

    def messages(self, change):
        return self.Message.search(
            [("res_model", "=", "price.version"), ("res_id", "in", change.version_ids.ids)]
        )

    def test_the_pricelist_decides_its_price_domain(self):
        self.assertEqual(self.pricelist._price_domain_code(), "base_price")
        self.assertEqual(self.contract._price_domain_code(), "customer_price")
        self.assertEqual(self.contract.price_domain_id, self.domain_customer)
        self.pricelist.price_customer_specific = True
        self.assertEqual(self.pricelist._price_domain_code(), "customer_price")
        # A customer pricelist goes nowhere that may not receive customer prices.
        with self.assertRaisesRegex(ValidationError, "Customer price"):
            self.contract.integration_connector_ids = [Command.link(self.connector.id)]

    def test_customer_prices_reach_only_the_channels_of_their_customers(self):
        # The webshop (no customer scope) would take any customer price it is allowed.
        self.connector.allowed_domain_ids = [Command.link(self.domain_customer.id)]
        self.contract.integration_connector_ids = [Command.link(self.connector.id)]
        with freeze_time(T0):
            change = self.approved_change([(self.product, self.contract, 80.0)], start=T0)
            self.effect()
        messages = self.messages(change)
        self.assertEqual(messages.connector_id, self.acme_dealer | self.connector)
        self.assertEqual(set(messages.mapped("domain_id.code")), {"customer_price"})
        # A contact of Acme counts as Acme; a second customer outside its scope does not.
        self.globex.property_product_pricelist = self.contract
        self.assertEqual(
            self.contract._publication_connectors(), self.connector, "Acme's dealer has no Globex"
        )
        self.process()
        self.assertEqual(set(messages.mapped("state")), {"sent"})
        deliveries = self.receiver.deliveries()
        self.assertEqual(len(deliveries), 2)
        self.assertEqual({d.json["domain"] for d in deliveries}, {"customer_price"})

    def test_regional_prices_reach_the_channels_of_their_countries(self):
        be, fr = self.env.ref("base.be"), self.env.ref("base.fr")
        benelux = self.env["res.country.group"].create(
            {"name": "PG Benelux", "country_ids": [Command.set(be.ids)]}
        )
        regional = self.env["product.pricelist"].create(
            {
                "name": "PG Benelux retail",
                "currency_id": self.currency.id,
                "country_group_ids": [Command.set(benelux.ids)],
            }
        )
        french = self.make_connector("french", scope_country_ids=[Command.set(fr.ids)])
        belgian = self.make_connector("belgian", scope_country_ids=[Command.set(be.ids)])
        with self.assertRaisesRegex(ValidationError, "outside the scope of French"):
            regional.integration_connector_ids = [Command.set((french | belgian).ids)]
        # Subscribed while it served every region, then limited to France: left out.
        french.scope_country_ids = False
        regional.integration_connector_ids = [Command.set((french | belgian).ids)]
        french.scope_country_ids = [Command.set(fr.ids)]
        self.assertEqual(regional._price_domain_code(), "base_price")
        with freeze_time(T0):
            change = self.approved_change([(self.product, regional, 95.0)], start=T0)
            self.effect()
        messages = self.messages(change)
        self.assertEqual(messages.connector_id, belgian)
        self.assertEqual(messages.domain_id.code, "base_price")

    def test_each_price_domain_has_its_approval_thresholds(self):
        # Settings (base prices): a drop over 20 % needs a manager; customer prices: over 5 %.
        self.domain_customer.write({"price_own_policy": True, "price_max_drop_percent": 5.0})
        base = self.make_change([(self.product, self.pricelist, 90.0)])
        customer = self.make_change([(self.product, self.contract, 90.0)])
        (base | customer).action_submit()
        self.assertFalse(base.needs_manager)
        self.assertTrue(customer.needs_manager)
        self.assertIn("over 5.0", customer.line_ids.breach)
        # Both in one change: each line by its own domain.
        mixed = self.make_change(
            [(self.product2, self.pricelist, 45.0), (self.product2, self.contract, 45.0)]
        )
        mixed.action_submit()
        self.assertEqual([bool(line.breach) for line in mixed.line_ids.sorted("id")], [False, True])

    def test_only_pricing_managers_set_the_thresholds_over_rpc(self):
        admin_group = self.env.ref("integration_core.group_integration_manager")
        integrator = self.env["res.users"].create(
            {
                "name": "PG Integrator",
                "login": "pg.integrator",
                "password": "pg.integrator-pw",
                USER_GROUPS: [Command.set(admin_group.ids)],
            }
        )
        self.manager.write({USER_GROUPS: [Command.link(admin_group.id)]})
        self.manager.password = f"{self.manager.login}-pw"
        vals = {"price_own_policy": True, "price_max_drop_percent": 90.0}
        args = ("integration.data.domain", "write", [self.domain_customer.id], vals)
        refused = self.xmlrpc(integrator, *args)
        self.assertIsInstance(refused, xmlrpc.client.Fault)
        self.assertIn("Pricing Manager", refused.faultString)
        self.assertFalse(self.domain_customer.price_own_policy)
        self.assertIs(self.xmlrpc(self.manager, *args), True)
        self.assertEqual(self.domain_customer.price_max_drop_percent, 90.0)

    def test_read_back_asks_each_price_domain_for_its_pricelists(self):
        # Acme's dealer also receives the base prices of the retail pricelist.
        self.acme_dealer.readback_path = "/current/{domain}"
        self.pricelist.integration_connector_ids = [Command.set(self.acme_dealer.ids)]
        with freeze_time(T0):
            change = self.approved_change(
                [(self.product, self.pricelist, 90.0), (self.product, self.contract, 80.0)],
                start=T0,
            )
            self.effect()
        retail = change.version_ids.filtered(lambda v: v.pricelist_id == self.pricelist)
        contract = change.version_ids - retail

        def entry(pricelist, price, version):
            return {"sku": "PG-KETTLE", "pricelist": pricelist, "price": price, "version": version}

        resources = self.receiver.resources
        resources["/current/base_price"] = {
            "prices": [entry("PG Test Retail", 90.0, retail.version)]
        }
        resources["/current/customer_price"] = {
            "prices": [entry("PG Acme contract", 75.0, contract.version)]
        }
        self.env["price.drift"]._cron_read_back()
        paths = {r.path for r in self.receiver.requests if r.method == "GET"}
        self.assertEqual(paths, {"/current/base_price", "/current/customer_price"})
        drifts = self.env["price.drift"].search([("connector_id", "=", self.acme_dealer.id)])
        self.assertEqual(
            [(d.version_id, d.field, d.channel_value) for d in drifts],
            [(contract, "price", "75.0")],
        )
