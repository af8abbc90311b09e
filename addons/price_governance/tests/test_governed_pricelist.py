"""Live prices are governed: the rules of a governed pricelist are written only by the price
change workflow; the flag is the Pricing Managers'; drift from the approved prices is reported."""

from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.integration_core.compat.groups import USER_GROUPS

from .common import PriceCase

T0 = datetime(2031, 6, 1, 8, 0, 0)
REFUSED = "governed: its rules change only through approved price changes"


@tagged("post_install", "-at_install")
class TestGovernedPricelist(PriceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Item = cls.env["product.pricelist.item"]
        sale_manager = cls.env.ref("sales_team.group_sale_manager", raise_if_not_found=False)
        # The Sales Administrator's rights on pricelist rules come from the sale module.
        cls.sales_admin = sale_manager and cls.env["res.users"].create(
            {
                "name": "Sam Sales Admin",
                "login": "sam@pg.example.com",
                USER_GROUPS: [Command.set(sale_manager.ids)],
            }
        )
        # Pricing Managers have no rights on pricelists as such: some are Sales Administrators.
        cls.sales_pricing_manager = sale_manager and cls.env["res.users"].create(
            {
                "name": "Mia Sales And Pricing",
                "login": "mia@pg.example.com",
                USER_GROUPS: [
                    Command.set(
                        [sale_manager.id, cls.env.ref("price_governance.group_price_manager").id]
                    )
                ],
            }
        )
        # A hand-written rule of a pricelist nobody governs.
        cls.manual_item = cls.Item.create(
            {
                "pricelist_id": cls.other_pricelist.id,
                "applied_on": "0_product_variant",
                "product_id": cls.product2.id,
                "compute_price": "fixed",
                "fixed_price": 40.0,
            }
        )

    def setUp(self):
        super().setUp()
        if not self.sales_admin or "sale.order" not in self.env:
            self.skipTest("the sale module gives Sales Administrators their rights on rules")

    def governed_item(self, price=90.0):
        """Govern self.pricelist and put an approved price in effect: its item."""
        self.pricelist._mark_governed()
        change = self.approved_change([(self.product, self.pricelist, price)])
        self.effect()
        item = self.Item.search([("price_version_id", "in", change.version_ids.ids)])
        self.assertEqual(len(item), 1)
        return item

    def item_table(self):
        self.env.flush_all()
        return self.env.execute_query(
            SQL(
                """
                SELECT id, pricelist_id, product_id, fixed_price, min_quantity, date_start,
                       date_end, price_version_id
                  FROM product_pricelist_item
                 ORDER BY id
                """
            )
        )

    def assert_refused(self, call, exception=UserError, message=REFUSED):
        """The call is refused and the item table is as before (no savepoint hides a write
        made before the refusal)."""
        before = self.item_table()
        with self.assertRaisesRegex(exception, message):
            call()
        self.env.invalidate_all()
        self.assertEqual(self.item_table(), before)

    def sql_insert_item(self, pricelist, product, price):
        return self.env.execute_query(
            SQL(
                """
                INSERT INTO product_pricelist_item
                       (pricelist_id, product_tmpl_id, product_id, applied_on,
                        display_applied_on, base, compute_price, fixed_price, min_quantity)
                VALUES (%s, %s, %s, '0_product_variant', '1_product', 'list_price', 'fixed',
                        %s, 0)
                RETURNING id
                """,
                pricelist.id,
                product.product_tmpl_id.id,
                product.id,
                price,
            )
        )[0][0]

    # ------------------------------------------------------------------ the workflow

    def test_effect_writes_and_retires_items_of_a_governed_pricelist(self):
        self.pricelist._mark_governed()
        self.assertTrue(self.pricelist.price_governed)
        with freeze_time(T0):
            change = self.approved_change(
                [(self.product, self.pricelist, 80.0)], start=T0, end=T0 + timedelta(days=1)
            )
            self.effect()
            item = self.Item.search([("pricelist_id", "=", self.pricelist.id)])
            self.assertEqual(item.price_version_id, change.version_ids)
            self.assertEqual(item.fixed_price, 80.0)
            self.assertEqual(self.price(), 80.0)
        with freeze_time(T0 + timedelta(days=1, minutes=1)):
            self.effect()
            self.assertEqual(change.version_ids.state, "retired")
            self.assertFalse(self.Item.search([("pricelist_id", "=", self.pricelist.id)]))
            self.assertEqual(self.price(), 100.0)
        self.assertEqual(self.pricelist._governance_drift(), {})

    def test_approval_governs_without_being_a_pricing_manager(self):
        # A Pricing User approving within the thresholds governs the pricelist.
        self.pricelist.with_user(self.approver)._mark_governed()
        self.assertTrue(self.pricelist.price_governed)

    # ------------------------------------------------------------------ everyone else

    def test_sales_administrator_cannot_touch_rules_of_a_governed_pricelist(self):
        item = self.governed_item()
        admin = self.sales_admin
        Item = self.Item.with_user(admin)
        pricelist = self.pricelist.with_user(admin)
        new_rule = {
            "pricelist_id": self.pricelist.id,
            "applied_on": "0_product_variant",
            "product_id": self.product2.id,
            "fixed_price": 10.0,
        }
        self.assert_refused(lambda: Item.create([new_rule]))
        self.assert_refused(
            lambda: Item.with_context(default_pricelist_id=self.pricelist.id).create(
                [{"product_id": self.product2.id, "fixed_price": 10.0}]
            )
        )
        self.assert_refused(lambda: item.with_user(admin).write({"fixed_price": 1.0}))
        self.assert_refused(lambda: item.with_user(admin).unlink())
        self.assert_refused(lambda: item.with_user(admin).copy())
        # Moving a rule out of, or into, a governed pricelist.
        self.assert_refused(
            lambda: item.with_user(admin).write({"pricelist_id": self.other_pricelist.id})
        )
        self.assert_refused(
            lambda: self.manual_item.with_user(admin).write({"pricelist_id": self.pricelist.id})
        )
        # The pricelist form sends its rules as commands.
        for command in (
            Command.create({"product_id": self.product2.id, "fixed_price": 10.0}),
            Command.update(item.id, {"fixed_price": 1.0}),
            Command.delete(item.id),
            Command.unlink(item.id),
            Command.link(self.manual_item.id),
            Command.clear(),
            Command.set([]),
        ):
            self.assert_refused(lambda command=command: pricelist.write({"item_ids": [command]}))
        self.assertEqual(item.fixed_price, 90.0)
        self.assertEqual(self.price(), 90.0)

    def test_sales_administrator_cannot_switch_governance_or_the_currency(self):
        self.governed_item()
        admin_pricelist = self.pricelist.with_user(self.sales_admin)
        self.assert_refused(
            lambda: admin_pricelist.write({"price_governed": False}),
            AccessError,
            "Only a Pricing Manager",
        )
        self.assert_refused(
            lambda: self.other_pricelist.with_user(self.sales_admin).write(
                {"price_governed": True}
            ),
            AccessError,
            "Only a Pricing Manager",
        )
        self.assert_refused(
            lambda: (
                self.env["product.pricelist"]
                .with_user(self.sales_admin)
                .create({"name": "Sneaky", "price_governed": True})
            ),
            AccessError,
            "Only a Pricing Manager",
        )
        # A Pricing User neither.
        self.assert_refused(
            lambda: self.pricelist.with_user(self.approver).write({"price_governed": False}),
            AccessError,
            "Only a Pricing Manager",
        )
        other_currency = self.env["res.currency"].search([("id", "!=", self.currency.id)], limit=1)
        self.assert_refused(
            lambda: admin_pricelist.write({"currency_id": other_currency.id}),
            UserError,
            "were approved in",
        )
        self.assertTrue(self.pricelist.price_governed)
        self.assertEqual(self.pricelist.currency_id, self.currency)
        # Writing the flag's current value, or other fields, is not switching it.
        admin_pricelist.write({"price_governed": True, "name": "PG Retail"})
        self.assertEqual(self.pricelist.name, "PG Retail")

    def test_who_gets_governed_prices_changes_only_once_released(self):
        self.governed_item()
        company = self.env["res.company"].create({"name": "PG Elsewhere"})
        group = self.env["res.country.group"].create({"name": "PG Benelux"})
        for user in (self.sales_admin, self.sales_pricing_manager):
            pricelist = self.pricelist.with_user(user)
            for name, value in (
                ("active", False),
                ("company_id", company.id),
                ("country_group_ids", [(6, 0, [group.id])]),
            ):
                with self.subTest(user=user.name, field=name):
                    self.assert_refused(
                        lambda p=pricelist, n=name, v=value: p.write({n: v}),
                        UserError,
                        "must release it",
                    )
            self.assert_refused(pricelist.action_archive, UserError, "must release it")
        self.assertTrue(self.pricelist.active)
        self.assertFalse(self.pricelist.country_group_ids)
        # The same values are no change; once released, the pricelist is a plain one again.
        self.pricelist.with_user(self.sales_admin).write({"active": True})
        self.pricelist.with_user(self.sales_pricing_manager).action_release_prices()
        self.pricelist.with_user(self.sales_admin).action_archive()
        self.assertFalse(self.pricelist.active)

    def test_nobody_links_a_rule_to_a_version_by_hand(self):
        version = self.governed_item().price_version_id
        self.assert_refused(
            lambda: self.manual_item.write({"price_version_id": version.id}),
            message="Only an approved price change",
        )

    def test_sales_administrator_edits_rules_of_a_pricelist_nobody_governs(self):
        self.governed_item()
        Item = self.Item.with_user(self.sales_admin)
        rule = Item.create(
            {
                "pricelist_id": self.other_pricelist.id,
                "applied_on": "0_product_variant",
                "product_id": self.product.id,
                "fixed_price": 70.0,
            }
        )
        rule.write({"fixed_price": 71.0})
        self.assertEqual(self.price(pricelist=self.other_pricelist), 71.0)
        rule.unlink()
        self.other_pricelist.with_user(self.sales_admin).write(
            {"item_ids": [Command.update(self.manual_item.id, {"fixed_price": 41.0})]}
        )
        self.assertEqual(self.manual_item.fixed_price, 41.0)
        self.assertFalse(rule.exists())

    # ------------------------------------------------------------------ Pricing Managers

    def tracked_flags(self):
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking values are written at commit
        return self.pricelist.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "price_governed"
        )

    def test_pricing_manager_switches_governance_off_and_on(self):
        # The pricelist was created in this transaction: close its creation first.
        self.assertFalse(self.tracked_flags())
        item = self.governed_item()
        self.assertEqual(len(self.tracked_flags()), 1, "approval governs, on the chatter")
        self.pricelist.with_user(self.sales_pricing_manager).action_release_prices()
        self.assertFalse(self.pricelist.price_governed)
        self.assertEqual(len(self.tracked_flags()), 2)
        # Released: the Sales Administrator edits the rules as in Odoo.
        item.with_user(self.sales_admin).write({"fixed_price": 85.0})
        self.assertEqual(self.price(), 85.0)
        self.pricelist.with_user(self.manager).action_govern_prices()
        self.assertTrue(self.pricelist.price_governed)
        self.assert_refused(lambda: item.with_user(self.sales_admin).write({"fixed_price": 1.0}))
        # The buttons are the Pricing Managers' only.
        for action in ("action_release_prices", "action_govern_prices"):
            self.assert_refused(
                getattr(self.other_pricelist.with_user(self.sales_admin), action),
                AccessError,
                "Only a Pricing Manager",
            )
        self.assertFalse(self.other_pricelist.price_governed)
        # A Pricing Manager who may edit pricelists sets the flag itself.
        self.other_pricelist.with_user(self.sales_pricing_manager).price_governed = True
        self.assertTrue(self.other_pricelist.price_governed)

    def test_copy_is_not_governed_and_a_governed_pricelist_is_not_deleted(self):
        item = self.governed_item()
        self.pricelist.integration_connector_ids = self.connector
        copy = self.pricelist.with_user(self.sales_admin).copy()
        self.assertFalse(copy.price_governed)
        self.assertFalse(copy.integration_connector_ids, "a copy publishes nowhere")
        self.assertEqual(copy.item_ids.fixed_price, 90.0)
        self.assertFalse(copy.item_ids.price_version_id)
        copy.item_ids.with_user(self.sales_admin).write({"fixed_price": 60.0})
        self.assertEqual(item.fixed_price, 90.0)
        self.other_pricelist._mark_governed()
        for user in (self.sales_admin, self.sales_pricing_manager):
            self.assert_refused(
                lambda user=user: self.other_pricelist.with_user(user).unlink(),
                message="cannot be deleted",
            )
        self.other_pricelist.with_user(self.manager).action_release_prices()
        self.other_pricelist.with_user(self.sales_admin).unlink()
        self.assertFalse(self.other_pricelist.exists())
        self.assertFalse(self.manual_item.exists())

    # ------------------------------------------------------------------ drift

    def test_drift_after_sql_update_and_sql_insert(self):
        item = self.governed_item()
        version = item.price_version_id
        self.other_pricelist._mark_governed()  # its hand-written rule predates governance
        self.assertEqual(
            self.pricelist._governance_drift(), {}, "what the workflow wrote is no drift"
        )
        self.env.execute_query(
            SQL("UPDATE product_pricelist_item SET fixed_price = 1 WHERE id = %s", item.id)
        )
        inserted = self.sql_insert_item(self.pricelist, self.product2, 5.0)
        self.env.invalidate_all()
        drift = (self.pricelist | self.other_pricelist)._governance_drift()
        self.assertEqual(drift[self.pricelist.id]["changed"], item)
        self.assertEqual(drift[self.pricelist.id]["untracked"].ids, [inserted])
        self.assertFalse(drift[self.pricelist.id]["missing"])
        self.assertEqual(drift[self.other_pricelist.id]["untracked"], self.manual_item)
        # A price in effect whose rule is gone.
        self.env.execute_query(SQL("DELETE FROM product_pricelist_item WHERE id = %s", item.id))
        self.env.invalidate_all()
        drift = self.pricelist._governance_drift()
        self.assertEqual(drift[self.pricelist.id]["missing"], version)
        self.assertFalse(drift[self.pricelist.id]["changed"])
        # Pricelists nobody governs have no drift.
        self.other_pricelist.with_user(self.manager).action_release_prices()
        self.assertEqual(self.other_pricelist._governance_drift(), {})

    def test_drift_is_reported_once(self):
        item = self.governed_item()
        Pricelist = self.env["product.pricelist"]
        Pricelist._cron_report_governance_drift()
        reports = lambda: self.pricelist.message_ids.filtered(  # noqa: E731
            lambda m: "approved prices" in (m.body or "")
        )
        self.assertFalse(reports(), "no drift, nothing posted")
        self.env.execute_query(
            SQL("UPDATE product_pricelist_item SET fixed_price = 1 WHERE id = %s", item.id)
        )
        self.env.invalidate_all()
        Pricelist._cron_report_governance_drift()
        Pricelist._cron_report_governance_drift()
        self.assertEqual(len(reports()), 1)
        report = reports()
        self.assertIn("differ from their approved version", report.body)
        self.assertIn("PG Kettle", report.body)
        self.assertIn(self.manager.partner_id, report.partner_ids)
        # New drift: a new report; once the rules match again, one last one.
        self.sql_insert_item(self.pricelist, self.product2, 5.0)
        self.env.invalidate_all()
        Pricelist._cron_report_governance_drift()
        self.assertEqual(len(reports()), 2)
        self.assertIn("no price change wrote", reports()[0].body)
        self.env.execute_query(
            SQL(
                """
                DELETE FROM product_pricelist_item
                 WHERE pricelist_id = %s AND price_version_id IS NULL
                """,
                self.pricelist.id,
            )
        )
        self.env.execute_query(
            SQL("UPDATE product_pricelist_item SET fixed_price = 90 WHERE id = %s", item.id)
        )
        self.env.invalidate_all()
        Pricelist._cron_report_governance_drift()
        Pricelist._cron_report_governance_drift()
        self.assertEqual(len(reports()), 3)
        self.assertIn("match its approved prices again", reports()[0].body)

    def test_pricelist_form_shows_the_flag_and_the_buttons_to_pricing_managers(self):
        def form(user):
            views = self.env["product.pricelist"].with_user(user).get_views([(False, "form")])
            return views["views"]["form"]["arch"]

        self.assertIn('name="price_governed"', form(self.sales_admin))
        self.assertNotIn("action_release_prices", form(self.sales_admin))
        self.assertIn("action_release_prices", form(self.sales_pricing_manager))
        self.assertIn("managed by price changes", form(self.sales_admin))

    def test_drift_cron_is_scheduled_daily(self):
        cron = self.env.ref("price_governance.ir_cron_price_drift")
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "days"))
        self.assertEqual(cron.model_id.model, "product.pricelist")
