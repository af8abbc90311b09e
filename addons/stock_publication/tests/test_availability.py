from odoo.tests import tagged

from .common import StockPublicationCase


@tagged("post_install", "-at_install")
class TestAvailability(StockPublicationCase):
    def test_free_quantity_per_product_and_warehouse_in_one_query(self):
        shelf = self.env["stock.location"].create(
            {"name": "Shelf A", "location_id": self.wh1.lot_stock_id.id, "usage": "internal"}
        )
        hold = self.env["stock.location"].create(
            {
                "name": "QC",
                "location_id": self.wh1.lot_stock_id.id,
                "usage": "internal",
                "quality_hold": True,
            }
        )
        hold_child = self.env["stock.location"].create(
            {"name": "QC bin", "location_id": hold.id, "usage": "internal"}
        )
        self.set_stock(self.p1, self.wh1, 10)
        self.set_stock(self.p1, self.wh1, 5, location=shelf)
        self.set_stock(self.p1, self.wh1, 7, location=hold)
        self.set_stock(self.p1, self.wh1, 3, location=hold_child)
        self.set_stock(self.p1, self.wh2, 4)
        self.set_stock(self.p2, self.wh2, -3)
        self.Quant._update_reserved_quantity(self.p1, self.wh1.lot_stock_id, 6)
        with self.assertQueryCount(1):
            free = self.Channel._free_quantities([self.wh1.id, self.wh2.id])
        self.assertEqual(free[(self.p1.id, self.wh1.id)], 10 + 5 - 6)
        self.assertEqual(free[(self.p1.id, self.wh2.id)], 4)
        self.assertEqual(free[(self.p2.id, self.wh2.id)], -3)
        self.assertNotIn((self.p3.id, self.wh1.id), free)
        only = self.Channel._free_quantities([self.wh2.id], product_ids=[self.p1.id])
        self.assertEqual(only, {(self.p1.id, self.wh2.id): 4})

    def test_channel_quantities_follow_policy_overrides_and_discontinuation(self):
        self.set_stock(self.p1, self.wh1, 20)
        self.set_stock(self.p1, self.wh2, 10)
        self.set_stock(self.p2, self.wh1, 9)
        self.set_stock(self.p3, self.wh1, 50)
        self.env["stock.publication.override"].create(
            [
                {
                    "channel_id": self.market.id,
                    "product_id": self.p2.id,
                    "mode": "fixed",
                    "fixed_quantity": 99,
                },
                {"channel_id": self.shop.id, "product_id": self.p4.id, "mode": "exclude"},
                {
                    "channel_id": self.shop.id,
                    "product_id": self.p2.id,
                    "mode": "policy",
                    "share_percent": 100,
                    "safety_buffer": 0,
                    "max_quantity": 5,
                },
            ]
        )
        self.p3.product_tmpl_id.write(
            {"stock_discontinued": True, "stock_substitute_product_id": self.p1.id}
        )
        products = self.Channel._publishable_products(product_ids=self.products.ids)
        quantities = self.channels._compute_quantities(products)
        self.assertEqual(quantities[(self.shop.id, self.p1.id)], 30)  # both warehouses
        self.assertEqual(quantities[(self.market.id, self.p1.id)], 9)  # (20 - 2) * 50 %
        self.assertEqual(quantities[(self.market.id, self.p2.id)], 99)  # fixed
        self.assertEqual(quantities[(self.shop.id, self.p2.id)], 5)  # own max
        self.assertEqual(quantities[(self.shop.id, self.p3.id)], 0)  # discontinued
        self.assertNotIn((self.shop.id, self.p4.id), quantities)  # excluded
        self.assertEqual(quantities[(self.market.id, self.p4.id)], 0)

        count = self.channels._publish(products)
        self.assertEqual(count, 7)
        message = self.messages(self.shop).filtered(lambda m: m.payload["sku"] == "TST-2")
        self.assertEqual(message.payload["quantity"], 0)
        self.assertTrue(message.payload["discontinued"])
        self.assertEqual(message.payload["substitute_sku"], "TST-0")
        self.assertEqual(message.payload["warehouse"], "TN1,TS2")
        self.assertEqual(message.coalescing_key, f"stock:{self.shop.id}:{self.p3.id}")
        self.assertEqual(message.schema_id.name, "stock")
        state = self.State.search(
            [("channel_id", "=", self.shop.id), ("product_id", "=", self.p3.id)]
        )
        self.assertEqual((state.last_quantity, state.message_id), (0, message))

    def test_products_without_sku_or_not_storable_are_not_published(self):
        no_sku = self.env["product.product"].create({"name": "No SKU", "is_storable": True})
        service = self.env["product.product"].create(
            {"name": "Svc", "default_code": "SVC-T", "type": "service"}
        )
        rows = self.Channel._publishable_products(product_ids=(no_sku | service | self.p1).ids)
        self.assertEqual([row[0] for row in rows], [self.p1.id])

    def test_bad_channel_configuration_is_refused(self):
        from psycopg2 import IntegrityError

        from odoo.exceptions import ValidationError
        from odoo.tools import mute_logger

        price_only = self.make_connector(
            "priceonly", allowed_domain_ids=[(6, 0, [self.domain_price.id])]
        )
        with (
            self.assertRaisesRegex(ValidationError, "not allowed to receive stock"),
            self.cr.savepoint(),
        ):
            self.Channel.create(
                {
                    "name": "X",
                    "connector_id": price_only.id,
                    "warehouse_ids": [(6, 0, [self.wh1.id])],
                }
            )
        other = self.make_connector("other")
        with self.assertRaisesRegex(ValidationError, "at least one warehouse"), self.cr.savepoint():
            self.Channel.create({"name": "Y", "connector_id": other.id})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.Channel.create(
                {
                    "name": "Z",
                    "connector_id": other.id,
                    "warehouse_ids": [(6, 0, [self.wh1.id])],
                    "share_percent": 120,
                }
            )
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.Channel.create(
                {
                    "name": "Dup",
                    "connector_id": self.connector.id,
                    "warehouse_ids": [(6, 0, [self.wh1.id])],
                }
            )
        self.assertFalse(self.Channel.search([("connector_id", "in", (price_only | other).ids)]))

    def test_substitute_cannot_be_itself(self):
        from odoo.exceptions import ValidationError

        with self.assertRaises(ValidationError):
            self.p1.product_tmpl_id.stock_substitute_product_id = self.p1
