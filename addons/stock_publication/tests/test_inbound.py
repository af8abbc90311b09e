from odoo.tests import tagged

from .common import StockPublicationCase


@tagged("post_install", "-at_install")
class TestInventoryAuthority(StockPublicationCase):
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
