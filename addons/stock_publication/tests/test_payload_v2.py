import importlib.util
from datetime import datetime

from odoo.tests import tagged
from odoo.tools import SQL, file_path

from .common import StockPublicationCase

# The payload names its unit (`uom`) since one product identity (issue 18): quantities are in it.
V1_KEYS = {"sku", "uom", "quantity", "channel", "warehouse", "discontinued", "as_of"}


@tagged("post_install", "-at_install")
class TestPayloadV2(StockPublicationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Side by side: the shop's connector reads v2, the marketplace's still reads v1.
        cls.market.payload_version = "1"
        cls.customers = cls.env.ref("stock.stock_location_customers")
        cls.suppliers = cls.env.ref("stock.stock_location_suppliers")

    def move(self, product, quantity, source, destination, when=None):
        values = {
            "product_id": product.id,
            "product_uom_qty": quantity,
            "product_uom": product.uom_id.id,
            "location_id": source.id,
            "location_dest_id": destination.id,
        }
        if when:
            values["date"] = when
        move = self.create_move("test move", **values)
        move._action_confirm()
        return move

    def deliver(self, product, quantity, warehouse=None):
        move = self.move(product, quantity, (warehouse or self.wh1).lot_stock_id, self.customers)
        move._action_assign()
        return move

    def expect(self, product, quantity, day, warehouse=None):
        destination = (warehouse or self.wh1).lot_stock_id
        return self.move(product, quantity, self.suppliers, destination, when=day)

    def message(self, channel, product):
        return self.messages(channel).filtered(lambda m: m.res_id == product.id)

    def publish(self, *products):
        rows = self.Channel._publishable_products(product_ids=[p.id for p in products])
        return self.channels._publish(rows)

    def test_new_channels_read_v2(self):
        self.assertEqual(self.shop.payload_version, "2")
        channel = self.Channel.create(
            {
                "name": "Another",
                "connector_id": self.make_connector("another").id,
                "warehouse_ids": [(6, 0, [self.wh1.id])],
            }
        )
        self.assertEqual(channel.payload_version, "2")

    def test_channels_made_before_v2_keep_v1_at_upgrade(self):
        path = file_path("stock_publication/migrations/18.0.1.1.0/pre-migration.py")
        spec = importlib.util.spec_from_file_location("stock_publication_pre_v2", path)
        script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(script)
        self.env.flush_all()
        # What the column holds for a channel older than the field (DDL rolls back with the test).
        self.env.cr.execute(
            SQL("ALTER TABLE stock_publication_channel ALTER COLUMN payload_version DROP NOT NULL")
        )
        self.env.cr.execute(
            SQL(
                "UPDATE stock_publication_channel SET payload_version = NULL WHERE id = %s",
                self.shop.id,
            )
        )
        script.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual((self.shop.payload_version, self.market.payload_version), ("1", "1"))

    def test_v1_and_v2_side_by_side_with_reserved_and_incoming(self):
        self.set_stock(self.p1, self.wh1, 20)
        self.set_stock(self.p1, self.wh2, 4)
        hold = self.env["stock.location"].create(
            {"name": "Hold", "location_id": self.wh1.lot_stock_id.id, "quality_hold": True}
        )
        self.set_stock(self.p1, self.wh1, 3, location=hold)
        self.deliver(self.p1, 5)
        self.expect(self.p1, 10, datetime(2026, 12, 10, 9, 0))
        self.expect(self.p1, 6, datetime(2026, 12, 4, 15, 0))
        self.expect(self.p1, 1, datetime(2026, 12, 4, 8, 0), warehouse=self.wh2)
        self.assertEqual(self.publish(self.p1), 2)
        # v1's available to promise and v2's figures follow one rule.
        key = (self.p1.id, self.wh1.id)
        free = self.Channel._free_quantities([self.wh1.id], [self.p1.id])
        self.assertEqual(free[key], 15)
        self.assertEqual(self.Channel._stock_contexts([self.wh1.id], [self.p1.id])[key].free, 15)

        v1 = self.message(self.market, self.p1)
        self.assertEqual((v1.schema_id.name, v1.schema_id.version), ("stock", 1))
        self.assertEqual(set(v1.payload), V1_KEYS)
        self.assertEqual(v1.payload["quantity"], 6)  # (20 - 5 - 2) * 50 %, hold left out

        v2 = self.message(self.shop, self.p1)
        self.assertEqual((v2.schema_id.name, v2.schema_id.version), ("stock", 2))
        payload = v2.payload
        self.assertEqual(payload["available_to_promise"], 19)  # 15 + 4
        self.assertEqual(payload["quantity"], 19)
        self.assertEqual(
            (payload["on_hand"], payload["reserved"], payload["quality_hold"]), (27, 5, 3)
        )
        self.assertEqual(
            payload["incoming"],
            [{"date": "2026-12-04", "qty": 7}, {"date": "2026-12-10", "qty": 10}],
        )
        self.assertEqual(payload["backorder"], {"quantity": 0, "promised_date": None})
        north, south = payload["warehouses"]
        self.assertEqual(
            north,
            {
                "warehouse": "TN1",
                "on_hand": 23,
                "reserved": 5,
                "quality_hold": 3,
                "incoming": [
                    {"date": "2026-12-04", "qty": 6},
                    {"date": "2026-12-10", "qty": 10},
                ],
            },
        )
        self.assertEqual(south["incoming"], [{"date": "2026-12-04", "qty": 1}])

    def test_context_change_alone_publishes_v2_only(self):
        self.set_stock(self.p2, self.wh1, 8)
        self.publish(self.p2)
        before = self.messages()
        # A receipt is announced: the quantity is the same, the context is not.
        self.expect(self.p2, 5, datetime(2026, 12, 20, 10, 0))
        self.assertEqual(self.publish(self.p2), 1)
        self.assertEqual((self.messages() - before).connector_id, self.shop.connector_id)
        self.assertEqual(self.publish(self.p2), 0, "nothing changed: nothing sent again")

    def test_backorder_commitment_of_a_sale_beyond_stock(self):
        self.set_stock(self.p3, self.wh1, 3)
        self.deliver(self.p3, 8)  # 3 reserved, 5 owed
        self.expect(self.p3, 2, datetime(2026, 12, 5, 10, 0))
        self.expect(self.p3, 4, datetime(2026, 12, 8, 10, 0))
        self.publish(self.p3)
        payload = self.message(self.shop, self.p3).payload
        self.assertEqual((payload["on_hand"], payload["reserved"]), (3, 3))
        self.assertEqual(payload["available_to_promise"], 0)
        self.assertEqual(payload["backorder"], {"quantity": 5, "promised_date": "2026-12-08"})
        # Receipts that do not cover it promise no date.
        self.deliver(self.p3, 4)
        self.publish(self.p3)
        payload = self.message(self.shop, self.p3).payload
        self.assertEqual(payload["backorder"], {"quantity": 9, "promised_date": None})


@tagged("post_install", "-at_install")
class TestRealtimePriority(StockPublicationCase):
    def realtime_ids(self):
        self.env.cr.execute("SELECT product_id FROM stock_publication_dirty WHERE realtime")
        return {row[0] for row in self.env.cr.fetchall()}

    def test_reservation_and_delivery_publish_at_realtime_priority(self):
        self.set_stock(self.p1, self.wh1, 10)
        self.set_stock(self.p2, self.wh1, 10)
        self.publish_dirty()
        self.assertFalse(self.dirty_ids())

        move = self.create_move(
            "delivery",
            product_id=self.p1.id,
            product_uom_qty=4,
            product_uom=self.p1.uom_id.id,
            location_id=self.wh1.lot_stock_id.id,
            location_dest_id=self.env.ref("stock.stock_location_customers").id,
        )
        move._action_confirm()
        self.assertNotIn(self.p1.id, self.realtime_ids(), "a confirmation is not urgent")
        move._action_assign()
        self.assertIn(self.p1.id, self.realtime_ids())
        self.set_stock(self.p2, self.wh1, 1)  # a plain quant change: high priority
        self.publish_dirty()
        by_sku = {m.payload["sku"]: m.priority_class for m in self.messages(self.shop)}
        self.assertEqual(by_sku, {"TST-0": "0_realtime", "TST-1": "1_high"})
        self.assertFalse(self.dirty_ids())

        # The delivery itself: real-time again.
        move.quantity = 4
        move.picked = True
        move._action_done()
        self.assertIn(self.p1.id, self.realtime_ids())
        self.publish_dirty()
        message = self.messages(self.shop).filtered(lambda m: m.payload["sku"] == "TST-0")
        self.assertEqual((message.priority_class, message.payload["quantity"]), ("0_realtime", 6))
