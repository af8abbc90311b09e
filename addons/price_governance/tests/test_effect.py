from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
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
