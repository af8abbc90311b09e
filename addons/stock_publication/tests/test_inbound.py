from odoo.tests import tagged

from .common import StockPublicationCase


class InboundCase(StockPublicationCase):
    """A WMS connector and helpers to send it stock.adjusted events."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wms = cls.make_connector("wms", kind="wms")
        cls.Event = cls.env["integration.inbound.event"]
        cls.counter = 0

    def event(self, payload, connector=None):
        type(self).counter += 1
        event = self.Event.create(
            {
                "connector_id": (connector or self.wms).id,
                "domain_id": self.domain_stock.id,
                "event_type": "stock.adjusted",
                "external_id": f"adj-{self.counter}",
                "payload": payload,
            }
        )
        event._process()
        return event

    def own_stock(self, connector):
        self.domain_stock.owner_connector_id = connector

    def qty(self, product, warehouse):
        return self.Channel._free_quantities([warehouse.id], [product.id]).get(
            (product.id, warehouse.id), 0
        )


@tagged("post_install", "-at_install")
class TestInventoryAuthority(InboundCase):
    def test_odoo_owns_stock_refuses(self):
        self.own_stock(False)
        event = self.event({"sku": "TST-0", "warehouse": "TN1", "quantity": 5})
        self.assertEqual((event.state, event.error_category), ("dead", "ownership"))
        self.assertIn("system of record", event.error_message)
        self.assertEqual(self.qty(self.p1, self.wh1), 0)

    def test_other_connector_than_owner_refused(self):
        self.own_stock(self.wms)
        event = self.event(
            {"sku": "TST-0", "warehouse": "TN1", "quantity": 5}, connector=self.marketplace
        )
        self.assertEqual((event.state, event.error_category), ("dead", "ownership"))
        self.assertEqual(self.qty(self.p1, self.wh1), 0)

    def test_wms_sets_absolute_quantity_idempotently(self):
        self.own_stock(self.wms)
        self.set_stock(self.p1, self.wh1, 3)
        event = self.event(
            {
                "sku": "TST-0",
                "warehouse": "TN1",
                "quantity": 12,
                "event_time": "2026-11-25T10:00:00Z",
            }
        )
        self.assertEqual(event.state, "done", event.error_message)
        self.assertIn("set from 3", event.result)
        self.assertEqual(self.qty(self.p1, self.wh1), 12)
        self.assertIn(self.p1.id, self.dirty_ids(), "the adjustment is published like any move")
        # The same content again (a repeat under a new id) changes nothing.
        again = self.event(
            {
                "sku": "TST-0",
                "warehouse": "TN1",
                "quantity": 12,
                "event_time": "2026-11-25T10:00:00Z",
            }
        )
        self.assertEqual(again.state, "done")
        self.assertIn("already at", again.result)
        self.assertEqual(self.qty(self.p1, self.wh1), 12)
        # An older adjustment arriving late is ignored.
        late = self.event(
            {
                "sku": "TST-0",
                "warehouse": "TN1",
                "quantity": 1,
                "event_time": "2026-11-25T09:00:00Z",
            }
        )
        self.assertEqual(late.state, "done")
        self.assertIn("ignored", late.result)
        self.assertEqual(self.qty(self.p1, self.wh1), 12)
        # Down to zero.
        self.event(
            {
                "sku": "TST-0",
                "warehouse": "TN1",
                "quantity": 0,
                "event_time": "2026-11-25T11:00:00Z",
            }
        )
        self.assertEqual(self.qty(self.p1, self.wh1), 0)

    def test_same_event_id_is_received_once(self):
        from psycopg2 import IntegrityError

        from odoo.tools import mute_logger

        self.own_stock(self.wms)
        self.event({"sku": "TST-1", "warehouse": "TN1", "quantity": 4})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.Event.create(
                {
                    "connector_id": self.wms.id,
                    "domain_id": self.domain_stock.id,
                    "event_type": "stock.adjusted",
                    "external_id": f"adj-{self.counter}",
                    "payload": {"sku": "TST-1", "warehouse": "TN1", "quantity": 40},
                }
            )
        self.assertEqual(self.qty(self.p2, self.wh1), 4)

    def test_wms_counting_in_boxes_is_converted_into_the_product_unit(self):
        self.own_stock(self.wms)
        self.env["integration.uom.mapping"].create(
            {
                "connector_id": self.wms.id,
                "uom_id": self.p1.uom_id.id,
                "external_code": "BX",
                "counted_uom_id": self.env.ref("uom.product_uom_dozen").id,
            }
        )
        event = self.event({"sku": "TST-0", "warehouse": "TN1", "quantity": 2, "uom": "BX"})
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(self.qty(self.p1, self.wh1), 24)
        # A unit the WMS has no mapping for, where mappings are required: refused.
        self.wms.mapping_required = True
        self.env["integration.product.mapping"].create(
            {"connector_id": self.wms.id, "product_id": self.p1.id, "external_sku": "TST-0"}
        )
        event = self.event({"sku": "TST-0", "warehouse": "TN1", "quantity": 5, "uom": "PAL"})
        self.assertEqual((event.state, event.error_category), ("dead", "mapping"))
        self.assertIn("PAL", event.error_message)
        self.assertEqual(self.qty(self.p1, self.wh1), 24)

    def test_bad_input_dies_with_a_clear_reason_and_changes_nothing(self):
        self.own_stock(self.wms)
        cases = [
            ({"warehouse": "TN1", "quantity": 5}, "validation", "sku"),
            ({"sku": "TST-0", "warehouse": "TN1", "quantity": -1}, "validation", "minimum of 0"),
            ({"sku": "TST-0", "warehouse": "TN1", "quantity": "5"}, "validation", "number"),
            (
                {"sku": "TST-0", "warehouse": "TN1", "quantity": 5, "event_time": "yesterday"},
                "validation",
                "is not a 'date-time'",
            ),
            ({"sku": "NOPE-404", "warehouse": "TN1", "quantity": 5}, "mapping", "NOPE-404"),
            ({"sku": "TST-0", "warehouse": "ZZZ", "quantity": 5}, "mapping", "ZZZ"),
        ]
        for payload, category, text in cases:
            with self.subTest(payload=payload):
                event = self.event(payload)
                self.assertEqual((event.state, event.error_category), ("dead", category))
                self.assertIn(text, event.error_message)
        self.assertEqual(self.qty(self.p1, self.wh1), 0)

    def test_sender_text_is_escaped_in_the_activity_note(self):
        self.own_stock(self.wms)
        sku = "<b>NOPE</b><img src=x onerror=alert(1)>"
        event = self.event({"sku": sku, "warehouse": "TN1", "quantity": 5})
        self.assertEqual((event.state, event.error_category), ("dead", "mapping"))
        note = str(event.activity_ids.note)
        self.assertIn("&lt;b&gt;NOPE&lt;/b&gt;&lt;img src=x onerror=alert(1)&gt;", note)
        self.assertNotIn("<b>", note)
        self.assertNotIn("<img", note)
        # Four more of the same kind: still one activity, counting them.
        for _i in range(4):
            self.event({"sku": sku, "warehouse": "TN1", "quantity": 5})
        activities = self.Event.search([("connector_id", "=", self.wms.id)]).activity_ids
        self.assertEqual(len(activities), 1)
        self.assertIn("5 failed stock.adjusted events: Mapping missing", activities.summary)

    def test_channel_of_the_owner_is_not_published_to(self):
        self.own_stock(self.connector)
        self.set_stock(self.p1, self.wh1, 5)
        self.publish_dirty()
        self.assertFalse(self.messages(self.shop))
        self.assertTrue(self.messages(self.market))


@tagged("post_install", "-at_install")
class TestAdjustmentWhere(InboundCase):
    """Adjustments that name a location, a lot or a package."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shelf = cls.env["stock.location"].create(
            {"name": "Shelf A", "location_id": cls.wh1.lot_stock_id.id, "barcode": "TN1-SHELF-A"}
        )
        cls.p4.tracking = "lot"

    def quants(self, product, location):
        return self.Quant.search(
            [("product_id", "=", product.id), ("location_id", "=", location.id)]
        )

    def test_sub_location_by_name_and_barcode_idempotent(self):
        self.own_stock(self.wms)
        self.set_stock(self.p1, self.wh1, 3)
        payload = {"sku": "TST-0", "warehouse": "TN1", "location": "TN1/Stock/Shelf A"}
        event = self.event({**payload, "quantity": 7, "event_time": "2026-11-25T10:00:00Z"})
        self.assertEqual(event.state, "done", event.error_message)
        self.assertIn("TN1/Stock/Shelf A set from 0.0 to 7", event.result)
        self.assertEqual(self.quants(self.p1, self.shelf).quantity, 7)
        self.assertEqual(self.quants(self.p1, self.wh1.lot_stock_id).quantity, 3, "untouched")
        self.assertEqual(self.qty(self.p1, self.wh1), 10)
        again = self.event({**payload, "quantity": 7, "event_time": "2026-11-25T10:00:00Z"})
        self.assertIn("already at", again.result)
        # By barcode; an older count of the main location does not hide a newer shelf count.
        by_barcode = {**payload, "location": "TN1-SHELF-A", "quantity": 2}
        self.assertEqual(self.event(by_barcode).state, "done")
        self.assertEqual(self.quants(self.p1, self.shelf).quantity, 2)
        main = self.event(
            {
                "sku": "TST-0",
                "warehouse": "TN1",
                "quantity": 1,
                "event_time": "2026-11-25T09:00:00Z",
            }
        )
        self.assertIn("set from 3", main.result)
        self.assertEqual(self.qty(self.p1, self.wh1), 3)

    def test_lot_and_package_idempotent_on_replay(self):
        self.own_stock(self.wms)
        lot_payload = {
            "sku": "TST-3",
            "warehouse": "TN1",
            "location": "TN1-SHELF-A",
            "lot": "LOT-001",
            "quantity": 5,
            "event_time": "2026-11-25T10:00:00Z",
        }
        self.assertEqual(self.event(lot_payload).state, "done")
        quant = self.quants(self.p4, self.shelf)
        self.assertEqual((quant.lot_id.name, quant.quantity), ("LOT-001", 5))
        self.assertIn("already at", self.event(lot_payload).result)
        packed = {**lot_payload, "lot": "LOT-002", "package": "PACK-9", "quantity": 4}
        self.assertEqual(self.event(packed).state, "done")
        self.assertIn("already at", self.event(packed).result)
        quants = self.quants(self.p4, self.shelf)
        self.assertEqual(
            sorted((q.lot_id.name, q.package_id.name or "", q.quantity) for q in quants),
            [("LOT-001", "", 5), ("LOT-002", "PACK-9", 4)],
        )
        self.assertEqual(self.qty(self.p4, self.wh1), 9)
        self.assertEqual(len(self.env["stock.lot"].search([("product_id", "=", self.p4.id)])), 2)

    def test_location_outside_the_warehouse_or_lot_of_untracked_refused(self):
        self.own_stock(self.wms)
        cases = [
            (
                {"location": "TS2/Stock"},
                "Location TS2/Stock is not an internal location of warehouse TN1",
            ),
            ({"location": "Partners/Customers"}, "is not an internal location of warehouse TN1"),
            ({"lot": "LOT-9"}, "not tracked by lot or serial number"),
            ({"location": ""}, "should be non-empty"),
        ]
        for extra, text in cases:
            with self.subTest(extra=extra):
                event = self.event({"sku": "TST-0", "warehouse": "TN1", "quantity": 5, **extra})
                self.assertEqual(event.state, "dead")
                self.assertIn(text, event.error_message)
        self.assertEqual(self.qty(self.p1, self.wh1), 0)
        self.assertEqual(self.qty(self.p1, self.wh2), 0)
