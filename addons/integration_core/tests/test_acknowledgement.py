"""stock.applied (and every *.applied type): the one acknowledgement handler of the core,
fed through the real inbound endpoint."""

import json

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged

from ..tools import signing
from .common import IntegrationCase

SECRET = "ack-secret"


@tagged("post_install", "-at_install")
class TestAcknowledgementHandler(IntegrationCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connector.write({"inbound_enabled": True, "inbound_auth": "hmac", "ack_required": True})
        cls.connector.inbound_secret_input = SECRET
        cls.Event = cls.env["integration.inbound.event"]

    def acknowledge(self, payload, event_id, event_type="stock.applied"):
        raw = json.dumps(
            {"event_id": event_id, "event_type": event_type, "payload": payload}
        ).encode()
        headers = {"Content-Type": "application/json", **signing.signature_headers(SECRET, raw)}
        response = self.url_open(
            f"/integration/{self.connector.code}/events", data=raw, headers=headers
        )
        if response.status_code != 202:
            return response
        event = self.Event.browse(response.json()["id"])
        event._process()
        return event

    def test_stock_levels_applied_and_rejected(self):
        first, second = self.enqueue(
            self.stock_message("SKU-1", 5, source_version="41"),
            self.stock_message("SKU-2", 0, source_version="42"),
        )
        self.process()
        self.assertEqual((first | second).mapped("state"), ["sent", "sent"])
        event = self.acknowledge(
            {
                "acknowledgements": [
                    {"status": "applied", "version": 41, "record": {"sku": "SKU-1"}},
                    {
                        "status": "rejected",
                        "idempotency_key": second.idempotency_key,
                        "reason": "SKU-2 is blocked on the marketplace",
                        "applied_at": "2026-11-25T10:00:00Z",
                    },
                ]
            },
            "stock-ack-1",
        )
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(event.result, "1 message(s) applied, 1 rejected.")
        self.assertEqual(first.ack_state, "applied")
        self.assertFalse(first.ack_reason)
        self.assertEqual(second.ack_state, "rejected")
        self.assertEqual(str(second.acknowledged_at), "2026-11-25 10:00:00")
        # Stock has no requester: the connector's responsible gets the rejection.
        activity = self.connector.activity_ids
        self.assertEqual(activity.user_id, self.responsible)
        self.assertIn("SKU-2 is blocked", activity.note)

    def test_wrong_sku_or_domain_is_refused(self):
        message = self.enqueue(self.stock_message("SKU-1", 5, source_version="7"))
        self.process()
        event = self.acknowledge(
            {"status": "applied", "version": 7, "record": {"sku": "SKU-9"}}, "stock-ack-2"
        )
        self.assertEqual(event.state, "dead")
        self.assertIn("names no message", event.error_message)
        # A price acknowledgement does not reach a stock message, even by its key.
        event = self.acknowledge(
            {"status": "applied", "idempotency_key": message.idempotency_key},
            "stock-ack-3",
            event_type="price.applied",
        )
        self.assertEqual(event.state, "dead")
        self.assertFalse(message.ack_state)
        # A connector that does not receive promotions has nothing to acknowledge there.
        response = self.acknowledge(
            {"status": "applied", "idempotency_key": "x"},
            "stock-ack-4",
            event_type="promotion.applied",
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["error"], "domain_not_allowed")

    def test_a_message_superseded_before_it_left_cannot_be_acknowledged(self):
        old = self.enqueue(self.stock_message("SKU-3", 5, source_version="5", coalescing_key="k3"))
        new = self.enqueue(self.stock_message("SKU-3", 4, source_version="6", coalescing_key="k3"))
        self.assertEqual(old.state, "superseded")
        self.process()
        event = self.acknowledge(
            {"status": "applied", "version": "5", "record": {"sku": "SKU-3"}}, "stock-ack-5"
        )
        self.assertEqual(event.state, "dead")
        self.assertFalse((old | new).filtered("ack_state"))

    def test_acknowledgement_required_needs_inbound_events(self):
        with self.assertRaises(ValidationError):
            self.make_connector("no-inbound", ack_required=True)

    def test_a_record_is_named_by_the_sku_the_channel_received(self):
        product = self.env["product.product"].create(
            {"name": "Mapped lamp", "default_code": "OUR-1"}
        )
        self.env["integration.product.mapping"].create(
            {"connector_id": self.connector.id, "product_id": product.id, "external_sku": "THEIR-1"}
        )
        message = self.enqueue(self.stock_message("OUR-1", 5, source_version="9"))
        self.process()
        self.assertEqual(message.state, "sent")
        event = self.acknowledge(
            {"status": "applied", "version": 9, "record": {"sku": "THEIR-1"}}, "stock-ack-map"
        )
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(message.ack_state, "applied")
        # Our own SKU is not what this channel calls the product.
        event = self.acknowledge(
            {"status": "applied", "version": 9, "record": {"sku": "OUR-X"}}, "stock-ack-map-2"
        )
        self.assertEqual(event.state, "dead")
