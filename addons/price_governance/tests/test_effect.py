from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import sql_db
from odoo.exceptions import UserError
from odoo.models import LOG_ACCESS_COLUMNS
from odoo.tests import tagged

from .common import PriceCase

T0 = datetime(2031, 3, 1, 8, 0, 0)


@tagged("post_install", "-at_install")
class TestEffect(PriceCase):
    def item(self, product=None, pricelist=None):
        return self.env["product.pricelist.item"].search(
            [
                ("pricelist_id", "=", (pricelist or self.pricelist).id),
                ("product_id", "=", (product or self.product).id),
                ("price_version_id", "!=", False),
            ]
        )

    def test_price_a_customer_gets_before_during_and_after_the_window(self):
        with freeze_time(T0):
            permanent = self.approved_change([(self.product, self.pricelist, 90.0)], start=T0)
            promo = self.approved_change(
                [(self.product, self.pricelist, 75.0)],
                start=T0 + timedelta(days=2),
                end=T0 + timedelta(days=4),
            )
            # Approved is not effective: nothing in the pricelist yet.
            self.assertFalse(self.item())
            self.assertEqual(permanent.state, "approved")
            self.effect()
            self.assertEqual(permanent.state, "effective")
            self.assertEqual(promo.state, "approved")
            self.assertEqual(self.price(), 90.0)
            item = self.item()
            self.assertEqual(item.price_version_id, permanent.version_ids)
            self.assertEqual(item.applied_on, "0_product_variant")
            self.assertEqual(item.product_tmpl_id, self.product.product_tmpl_id)
        with freeze_time(T0 + timedelta(days=2, minutes=1)):
            self.effect()
            self.assertEqual(promo.state, "effective")
            self.assertEqual(self.price(), 75.0)
            self.assertEqual(permanent.version_ids.state, "overridden")
            self.assertEqual(self.item().price_version_id, promo.version_ids)
            self.assertEqual(promo.version_ids.previous_version_id, permanent.version_ids)
        with freeze_time(T0 + timedelta(days=4, minutes=1)):
            self.effect()
            self.assertEqual(promo.state, "expired")
            self.assertEqual(promo.version_ids.state, "retired")
            self.assertEqual(permanent.version_ids.state, "effective")
            self.assertEqual(self.item().price_version_id, permanent.version_ids)
            self.assertEqual(self.price(), 90.0)
            # A second run changes nothing.
            self.assertEqual(self.effect(), 0)
            self.assertEqual(len(self.item()), 1)

    def test_a_later_permanent_price_supersedes_the_earlier_one(self):
        with freeze_time(T0):
            first = self.approved_change([(self.product, self.pricelist, 90.0)], start=T0)
            second = self.approved_change(
                [(self.product, self.pricelist, 95.0)], start=T0 + timedelta(days=1)
            )
            self.effect()
            self.assertEqual(self.price(), 90.0)
        with freeze_time(T0 + timedelta(days=1, minutes=1)):
            self.effect()
            self.assertEqual(self.price(), 95.0)
            self.assertEqual(first.state, "superseded")
            self.assertEqual(first.version_ids.state, "superseded")
            self.assertEqual(second.state, "effective")
            self.assertEqual(second.version_ids.version, first.version_ids.version + 1)
            self.assertEqual(len(self.item()), 1)

    def test_window_end_without_previous_version_falls_back_to_the_list_price(self):
        with freeze_time(T0):
            change = self.approved_change(
                [(self.product, self.pricelist, 80.0)], start=T0, end=T0 + timedelta(hours=1)
            )
            self.effect()
            self.assertEqual(self.price(), 80.0)
        with freeze_time(T0 + timedelta(hours=2)):
            self.effect()
            self.assertEqual(change.state, "expired")
            self.assertFalse(self.item())
            self.assertEqual(self.price(), 100.0)

    def test_quantity_breaks(self):
        with freeze_time(T0):
            self.approved_change(
                [(self.product, self.pricelist, 90.0), (self.product, self.pricelist, 80.0, 10.0)],
                start=T0,
            )
            self.effect()
            self.assertEqual(self.price(quantity=1), 90.0)
            self.assertEqual(self.price(quantity=10), 80.0)
            self.assertEqual(len(self.item()), 2)

    def test_nothing_reaches_the_pricelist_before_approval(self):
        with freeze_time(T0):
            waiting = self.make_change([(self.product, self.pricelist, 10.0)], start=T0)
            waiting.action_submit()
            self.effect()
            self.assertFalse(self.item())
            self.assertEqual(self.price(), 100.0)
            waiting.with_user(self.manager)._approval_reject("no")
            self.effect()
            self.assertFalse(self.item())

    def test_cancelled_approved_change_never_applies(self):
        with freeze_time(T0):
            change = self.approved_change(
                [(self.product, self.pricelist, 90.0)], start=T0 + timedelta(days=1)
            )
            change.action_cancel()
        with freeze_time(T0 + timedelta(days=2)):
            self.effect()
            self.assertFalse(self.item())
            self.assertEqual(change.state, "cancelled")
            with self.assertRaises(UserError):
                change.action_cancel()

    def test_effective_change_cannot_be_cancelled(self):
        with freeze_time(T0):
            change = self.approved_change([(self.product, self.pricelist, 90.0)], start=T0)
            self.effect()
            with self.assertRaisesRegex(UserError, "roll back"):
                change.action_cancel()

    def test_batches_are_bounded(self):
        products = self.env["product.product"].create(
            [{"name": f"PG Batch {i}", "list_price": 10.0, "standard_price": 1.0} for i in range(5)]
        )
        with freeze_time(T0):
            change = self.approved_change([(p, self.pricelist, 9.0) for p in products], start=T0)
            self.assertEqual(self.Version._cron_effect(batch_size=2, max_batches=1), 1)
            self.assertEqual(len(change.version_ids.filtered(lambda v: v.state == "effective")), 2)
            self.assertEqual(change.state, "approved")
            self.Version._cron_effect(batch_size=2)
            self.assertEqual(change.state, "effective")
            self.assertEqual(set(change.version_ids.mapped("state")), {"effective"})

    def test_an_effective_price_is_the_rule_create_would_write(self):
        """The effect inserts its rules in SQL: each holds what create() stores, computed fields
        included, and the ORM's caches show it."""
        self.assertFalse(self.pricelist.item_ids)  # in cache before the effect
        end = T0 + timedelta(days=3)
        with freeze_time(T0):
            change = self.approved_change(
                [(self.product, self.pricelist, 90.0, 5.0)], start=T0, end=end
            )
            self.effect()
        item = self.item()
        self.assertEqual(self.pricelist.item_ids, item)
        self.assertEqual(item.price_version_id, change.version_ids)
        self.assertEqual(item.create_uid, self.env.user)
        expected = self.env["product.pricelist.item"].create(
            {
                "pricelist_id": self.other_pricelist.id,
                "applied_on": "0_product_variant",
                "product_id": self.product.id,
                "compute_price": "fixed",
                "fixed_price": 90.0,
                "min_quantity": 5.0,
                "date_start": T0,
                "date_end": end,
            }
        )
        names = [
            name
            for name, field in item._fields.items()
            if field.store
            and name not in ("id", "pricelist_id", "price_version_id", *LOG_ACCESS_COLUMNS)
        ]
        self.env.flush_all()
        self.env.invalidate_all()
        values, expected_values = (record.read(names)[0] for record in (item, expected))
        values.pop("id")
        expected_values.pop("id")
        self.assertEqual(values, expected_values)
        self.assertEqual(item.name, expected.name)
        self.assertEqual(item.price, expected.price)

    def test_a_batch_runs_the_same_queries_for_10_lines_as_for_250(self):
        """Items, versions and publication are written set-based: the queries of an effect
        batch do not grow with its lines (after a one-line batch warmed the caches; the ORM would
        write them in statements of 100 rows)."""
        self.pricelist.integration_connector_ids = [(6, 0, [self.connector.id])]
        products = self.env["product.product"].create(
            [
                {"name": f"PG Many {i}", "default_code": f"PG-MANY-{i}", "list_price": 10.0}
                for i in range(261)
            ]
        )
        queries = {}
        for hours, batch in enumerate((products[:1], products[1:11], products[11:])):
            start = T0 + timedelta(hours=hours)
            with freeze_time(start):
                change = self.approved_change(
                    [(p, self.pricelist, 9.0) for p in batch], start=start
                )
                self.env.flush_all()
                self.env.invalidate_all()
                before = sql_db.sql_counter
                self.effect()
                self.env.flush_all()
                queries[len(batch)] = sql_db.sql_counter - before
            self.assertEqual(change.state, "effective")
            items = self.env["product.pricelist.item"].search(
                [("pricelist_id", "=", self.pricelist.id), ("product_id", "in", batch.ids)]
            )
            self.assertEqual(items.price_version_id, change.version_ids)
            messages = self.Message.search(
                [("res_model", "=", "price.version"), ("res_id", "in", change.version_ids.ids)]
            )
            self.assertEqual(len(messages), len(batch))
        self.assertEqual(queries[10], queries[250], queries)
