from odoo.tests import tagged

from .common import StockPublicationCase


@tagged("post_install", "-at_install")
class TestEventDrivenPublication(StockPublicationCase):
    def receive(self, product, quantity, warehouse=None):
        """A done stock move from the supplier into the warehouse."""
        warehouse = warehouse or self.wh1
        move = self.create_move(
            "receipt",
            product_id=product.id,
            product_uom_qty=quantity,
            product_uom=product.uom_id.id,
            location_id=self.env.ref("stock.stock_location_suppliers").id,
            location_dest_id=warehouse.lot_stock_id.id,
        )
        move._action_confirm()
        move.quantity = quantity
        move.picked = True
        move._action_done()
        return move

    def test_done_move_marks_dirty_and_cron_publishes_once_per_channel(self):
        self.receive(self.p1, 10)
        self.assertIn(self.p1.id, self.dirty_ids())
        self.publish_dirty()
        self.assertNotIn(self.p1.id, self.dirty_ids())
        self.assertEqual(
            self.published(),
            {("t-webshop", "TST-0"): 10, ("t-market", "TST-0"): 4},  # (10 - 2) * 50 %
        )
        # nothing changed: nothing sent again
        self.env["stock.publication.dirty"]._mark([self.p1.id])
        self.assertEqual(self.publish_dirty(), 0)
        self.assertEqual(len(self.messages()), 2)
        self.assertEqual(set(self.messages().mapped("priority_class")), {"1_high"})

    def test_marking_is_one_cheap_statement_with_no_message(self):
        self.set_stock(self.p2, self.wh1, 3)
        self.assertIn(self.p2.id, self.dirty_ids())
        self.assertFalse(self.messages(), "nothing is published in the user's transaction")
        with self.assertQueryCount(1):
            self.env["stock.publication.dirty"]._mark([self.p3.id, self.p4.id, self.p3.id])
        self.assertTrue({self.p3.id, self.p4.id} <= self.dirty_ids())

    def test_reservation_marks_dirty(self):
        self.set_stock(self.p1, self.wh1, 10)
        self.publish_dirty()
        self.Quant._update_reserved_quantity(self.p1, self.wh1.lot_stock_id, 4)
        self.assertIn(self.p1.id, self.dirty_ids())
        self.publish_dirty()
        self.assertEqual(self.published(self.shop), {("t-webshop", "TST-0"): 6})

    def test_rolled_back_move_publishes_nothing(self):
        self.set_stock(self.p1, self.wh1, 10)
        self.publish_dirty()
        before = self.messages(states=("pending", "superseded"))
        try:
            with self.env.cr.savepoint():
                self.receive(self.p1, 50)
                self.assertIn(self.p1.id, self.dirty_ids())
                raise RuntimeError("user's transaction fails")
        except RuntimeError:
            pass
        self.env.invalidate_all()
        self.assertNotIn(self.p1.id, self.dirty_ids())
        self.publish_dirty()
        self.assertEqual(self.messages(states=("pending", "superseded")), before)

    def test_newest_quantity_wins_older_pending_superseded(self):
        self.set_stock(self.p1, self.wh1, 10)
        self.publish_dirty()
        first = self.messages(self.shop)
        self.set_stock(self.p1, self.wh1, 5)
        self.publish_dirty()
        self.set_stock(self.p1, self.wh1, 1)
        self.publish_dirty()
        waiting = self.messages(self.shop)
        self.assertEqual(len(waiting), 1)
        self.assertEqual(waiting.payload["quantity"], 16)
        self.assertEqual(first.state, "superseded")
        superseded = self.messages(self.shop, states=("superseded",))
        self.assertEqual(len(superseded), 2)
        state = self.State.search(
            [("channel_id", "=", self.shop.id), ("product_id", "=", self.p1.id)]
        )
        self.assertEqual((state.last_quantity, state.message_id), (16, waiting))
        # delivered through the queue to the receiver: one request with the newest quantity
        self.process()
        self.assertEqual(waiting.state, "sent")
        [request] = self.receiver.deliveries(key=waiting.idempotency_key)
        self.assertEqual(request.json["payload"]["quantity"], 16)
        for old in superseded:
            self.assertFalse(self.receiver.deliveries(key=old.idempotency_key))

    def test_cron_takes_bounded_batches(self):
        for product in self.products:
            self.set_stock(product, self.wh1, 3)
        self.Channel._cron_publish_dirty(batch_size=3)
        self.assertEqual(len(self.messages(self.shop)), 4)
        self.assertFalse(self.dirty_ids() & set(self.products.ids))

    def test_discontinuing_a_product_marks_it_dirty(self):
        self.set_stock(self.p2, self.wh1, 8)
        self.publish_dirty()
        self.p2.product_tmpl_id.write(
            {"stock_discontinued": True, "stock_substitute_product_id": self.p1.id}
        )
        self.assertIn(self.p2.id, self.dirty_ids())
        self.publish_dirty()
        message = self.messages(self.shop).filtered(lambda m: m.payload["sku"] == "TST-1")
        self.assertEqual(
            (message.payload["quantity"], message.payload["substitute_sku"]), (0, "TST-0")
        )
        self.assertEqual(message.payload["uom"], self.p2.uom_id.name)

    def test_channel_reads_its_own_skus_and_units(self):
        """The substitute goes under the channel's SKU too; quantities in its unit."""
        Mapping = self.env["integration.product.mapping"]
        for product, sku in ((self.p1, "SHOP-0"), (self.p2, "SHOP-1")):
            Mapping.create(
                {"connector_id": self.connector.id, "product_id": product.id, "external_sku": sku}
            )
        self.env["integration.uom.mapping"].create(
            {
                "connector_id": self.connector.id,
                "uom_id": self.p1.uom_id.id,
                "external_code": "BX",
                "counted_uom_id": self.env.ref("uom.product_uom_dozen").id,
            }
        )
        self.p2.product_tmpl_id.write(
            {"stock_discontinued": True, "stock_substitute_product_id": self.p1.id}
        )
        self.set_stock(self.p1, self.wh1, 36)
        self.publish_dirty()
        self.process()
        sent = {r.json["payload"]["sku"]: r.json["payload"] for r in self.receiver.deliveries()}
        self.assertEqual(
            (sent["SHOP-0"]["uom"], sent["SHOP-0"]["quantity"]), ("BX", 3), "36 Units: 3 boxes"
        )
        self.assertEqual(
            (sent["SHOP-1"]["quantity"], sent["SHOP-1"]["substitute_sku"]), (0, "SHOP-0")
        )

    def test_override_change_marks_dirty(self):
        self.set_stock(self.p1, self.wh1, 10)
        self.publish_dirty()
        self.env["stock.publication.override"].create(
            {
                "channel_id": self.shop.id,
                "product_id": self.p1.id,
                "mode": "fixed",
                "fixed_quantity": 3,
            }
        )
        self.publish_dirty()
        self.assertEqual(self.published(self.shop), {("t-webshop", "TST-0"): 3})
