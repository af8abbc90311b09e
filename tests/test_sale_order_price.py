"""The price a customer actually gets on a sale order before, during and after an approved
price change's window (price_governance writes the pricelist; sale reads it)."""

from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.price_governance.tests.common import PriceCase

T0 = datetime(2031, 6, 1, 8, 0, 0)


@tagged("standard", "post_install", "-at_install")
class TestSaleOrderPrice(PriceCase):
    def order_price(self):
        partner = self.env["res.partner"].create({"name": "Window Shopper"})
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "pricelist_id": self.pricelist.id,
                "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})],
            }
        )
        return order.order_line.price_unit

    def test_order_price_follows_the_approved_window(self):
        with freeze_time(T0):
            list_price = self.order_price()
            self.approved_change(
                [(self.product, self.pricelist, 61.0)],
                start=T0 + timedelta(days=1),
                end=T0 + timedelta(days=3),
            )
            self.effect()
            self.assertEqual(self.order_price(), list_price, "approved is not yet effective")
        with freeze_time(T0 + timedelta(days=1, minutes=1)):
            self.effect()
            self.assertEqual(self.order_price(), 61.0)
        with freeze_time(T0 + timedelta(days=3, minutes=1)):
            self.effect()
            self.assertEqual(self.order_price(), list_price, "the window closed")
        self.assertNotEqual(list_price, 61.0)
