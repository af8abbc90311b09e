"""The connector's scope and granularity: the one rule (_in_scope) and its configuration."""

import doctest

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..tools import granularity
from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestScope(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Category = cls.env["product.category"]
        cls.tools = Category.create({"name": "Scope tools"})
        cls.drills = Category.create({"name": "Scope drills", "parent_id": cls.tools.id})
        cls.garden = Category.create({"name": "Scope garden"})
        cls.other_company = cls.env["res.company"].create({"name": "Scope Other Co"})
        Product = cls.env["product.product"]
        cls.drill = Product.create(
            {"name": "Drill", "default_code": "S-DRILL", "categ_id": cls.drills.id}
        )
        cls.saw = Product.create(
            {"name": "Saw", "default_code": "S-SAW", "categ_id": cls.tools.id, "sale_ok": False}
        )
        cls.hose = Product.create(
            {"name": "Hose", "default_code": "S-HOSE", "categ_id": cls.garden.id}
        )
        cls.foreign = Product.create(
            {
                "name": "Foreign drill",
                "categ_id": cls.drills.id,
                "company_id": cls.other_company.id,
            }
        )
        cls.products = cls.drill | cls.saw | cls.hose | cls.foreign

    def test_granularity_doctests(self):
        result = doctest.testmod(granularity)
        self.assertFalse(result.failed)
        self.assertGreater(result.attempted, 5)

    def test_unrestricted_connector_keeps_to_its_company(self):
        self.assertFalse(self.connector._scope_restricts_products())
        self.assertEqual(
            self.connector._in_scope("product.product", self.products.ids),
            set((self.drill | self.saw | self.hose).ids),
        )
        # Models the scope does not speak of are not restricted.
        self.assertEqual(self.connector._in_scope("res.currency", [1, 2]), {1, 2})

    def test_categories_include_subcategories_and_the_filter_narrows(self):
        self.connector.scope_category_ids = [Command.set(self.tools.ids)]
        self.assertTrue(self.connector._scope_restricts_products())
        self.assertEqual(
            self.connector._in_scope("product.product", self.products.ids),
            set((self.drill | self.saw).ids),
        )
        self.connector.scope_product_domain = "[('sale_ok', '=', True)]"
        with self.assertQueryCount(2):  # the categories below, then the products
            found = self.connector._in_scope("product.product", self.products.ids)
        self.assertEqual(found, set(self.drill.ids))

    def test_pricelists_and_company(self):
        Pricelist = self.env["product.pricelist"]
        mine, other = Pricelist.create([{"name": "Scope A"}, {"name": "Scope B"}])
        foreign = Pricelist.create({"name": "Scope C", "company_id": self.other_company.id})
        ids = (mine | other | foreign).ids
        self.assertEqual(self.connector._in_scope("product.pricelist", ids), {mine.id, other.id})
        self.connector.scope_pricelist_ids = [Command.set(mine.ids)]
        self.assertEqual(self.connector._in_scope("product.pricelist", ids), {mine.id})

    def test_countries_decide_regional_pricelists(self):
        Group = self.env["res.country.group"]
        be, fr = self.env.ref("base.be"), self.env.ref("base.fr")
        benelux = Group.create({"name": "Scope Benelux", "country_ids": [Command.set(be.ids)]})
        france = Group.create({"name": "Scope France", "country_ids": [Command.set(fr.ids)]})
        Pricelist = self.env["product.pricelist"]
        everywhere, north, south = Pricelist.create(
            [
                {"name": "Scope everywhere"},
                {"name": "Scope north", "country_group_ids": [Command.set(benelux.ids)]},
                {"name": "Scope south", "country_group_ids": [Command.set(france.ids)]},
            ]
        )
        ids = (everywhere | north | south).ids
        self.assertEqual(self.connector._in_scope("product.pricelist", ids), set(ids))
        self.connector.scope_country_ids = [Command.set(be.ids)]
        self.assertEqual(
            self.connector._in_scope("product.pricelist", ids), {everywhere.id, north.id}
        )

    def test_customers_bring_their_contacts(self):
        Partner = self.env["res.partner"]
        acme, other = Partner.create([{"name": "Scope Acme", "is_company": True}, {"name": "X"}])
        buyer = Partner.create({"name": "Scope buyer", "parent_id": acme.id})
        ids = (acme | other | buyer).ids
        self.assertEqual(self.connector._in_scope("res.partner", ids), set(ids))
        self.connector.scope_partner_ids = [Command.set(acme.ids)]
        with self.assertQueryCount(1):
            found = self.connector._in_scope("res.partner", ids)
        self.assertEqual(found, {acme.id, buyer.id})

    def test_a_bad_product_filter_is_refused(self):
        for text in ("[('no_such_field', '=', 1)]", "not a domain", "{'a': 1}"):
            with self.subTest(text=text), self.assertRaises(ValidationError):
                self.connector.scope_product_domain = text
        self.assertFalse(self.connector.scope_product_domain)

    def test_granularity_lines(self):
        line = self.env["integration.connector.granularity"].create(
            {
                "connector_id": self.connector.id,
                "domain_id": self.domain_stock.id,
                "granularity": "bands",
            }
        )
        self.assertEqual(
            [(b.from_quantity, b.label) for b in line.band_ids], granularity.DEFAULT_BANDS
        )
        self.assertEqual(self.connector._granularity("stock"), ("bands", granularity.DEFAULT_BANDS))
        self.assertEqual(self.connector._granularity("base_price"), ("exact", []))
        with self.assertRaisesRegex(ValidationError, "need one from 0"):
            line.band_ids.filtered(lambda b: b.from_quantity == 0).unlink()
        with self.assertRaisesRegex(ValidationError, "need one from 0"):
            line.band_ids[0].from_quantity = 0.5
        with self.assertRaisesRegex(ValidationError, "carries no quantity"):
            self.env["integration.connector.granularity"].create(
                {
                    "connector_id": self.connector.id,
                    "domain_id": self.domain_price.id,
                    "granularity": "in_stock",
                }
            )

    def test_enqueue_refuses_an_out_of_scope_product_and_an_unsaid_one(self):
        self.connector.scope_category_ids = [Command.set(self.tools.ids)]
        self.assertEqual(len(self.enqueue(self.stock_message("S-DRILL", record=self.drill))), 1)
        with self.assertRaisesRegex(ValidationError, "Hose is outside the scope of Webshop"):
            self.enqueue(self.stock_message("S-HOSE", record=self.hose))
        with self.assertRaisesRegex(ValidationError, "does not say which products"):
            self.enqueue(self.stock_message("S-DRILL"))
        with self.assertRaisesRegex(ValidationError, "outside the scope"):
            self.enqueue(
                self.stock_message("S-DRILL", scope={"product.product": [self.foreign.id]})
            )
        with self.assertRaisesRegex(ValidationError, "scope must map"):
            self.enqueue(self.stock_message("S-DRILL", scope={"product.product": "all"}))

    def test_scope_changes_are_noted(self):
        self.connector.scope_category_ids = [Command.set(self.tools.ids)]
        self.assertIn("Scope changed", self.connector.message_ids[0].body)
