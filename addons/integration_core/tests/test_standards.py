"""The suite against independent implementations of the standards it speaks: what Odoo signs
under Standard Webhooks verifies with the `standardwebhooks` library (the specification's own),
and what that library signs is accepted by the inbound endpoint; what Odoo sends as CloudEvents
parses with the CNCF CloudEvents SDK, and what the SDK writes is accepted inbound."""

import base64
import json
import time
from datetime import UTC, datetime

from cloudevents.core.bindings import http as ce_http
from cloudevents.core.v1.event import CloudEvent
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.integration_core.compat.groups import USER_GROUPS

from ..tools import signing
from .common import IntegrationCase
from .receiver import TestReceiver

SECURITY_LOGGER = "odoo.addons.integration_core.inbound.security"


@tagged("post_install", "-at_install")
class TestStandardWebhooksOutbound(IntegrationCase):
    def test_generated_secret_is_a_standard_webhooks_secret(self):
        connector = self.make_connector("sw-gen", auth_type="standard_webhooks")
        action = connector.action_generate_webhook_secret()
        message = action["params"]["message"]
        secret = message[message.index(signing.WEBHOOK_SECRET_PREFIX) :].split()[0]
        self.assertEqual(len(base64.b64decode(secret[len("whsec_") :])), 32)
        self.assertEqual(connector._get_secret(), secret, "stored (encrypted), not shown again")
        Webhook(secret)  # the library takes it as is
        clerk = self.env["res.users"].create(
            {
                "name": "Clerk",
                "login": "sw-clerk@example.com",
                USER_GROUPS: [(6, 0, [self.env.ref("integration_core.group_integration_user").id])],
            }
        )
        with self.assertRaises(AccessError):
            connector.with_user(clerk).action_generate_webhook_secret()

    def test_a_typed_secret_must_be_a_standard_webhooks_one(self):
        connector = self.make_connector("sw-typed", auth_type="standard_webhooks")
        with self.assertRaisesRegex(ValidationError, "whsec_"):
            connector.secret_input = "not base64!"
        with self.assertRaisesRegex(ValidationError, "at least 24 bytes"):
            connector.secret_input = "whsec_" + base64.b64encode(b"short").decode()

    def test_deliveries_verify_with_the_standard_webhooks_library(self):
        secret = signing.new_webhook_secret()
        with TestReceiver() as receiver:
            connector = self.make_connector(
                "sw-out", base_url=receiver.url, auth_type="standard_webhooks"
            )
            connector.secret_input = secret
            messages = self.enqueue(
                self.stock_message("A", connector=connector),
                self.stock_message("B", connector=connector),
            )
            self.process()
            self.assertEqual(set(messages.mapped("state")), {"sent"})
            requests = receiver.deliveries()
            self.assertEqual(len(requests), 2)
            for request, message in zip(requests, messages, strict=True):
                headers = dict(request.headers)
                self.assertEqual(headers["webhook-id"], message.idempotency_key)
                verified = Webhook(secret).verify(request.body, headers)
                self.assertEqual(verified["idempotency_key"], message.idempotency_key)
                with self.assertRaises(WebhookVerificationError):
                    Webhook(signing.new_webhook_secret()).verify(request.body, headers)
                tampered = request.body.replace(b'"A"', b'"Z"').replace(b'"B"', b'"Z"')
                with self.assertRaises(WebhookVerificationError):
                    Webhook(secret).verify(tampered, headers)

    def test_batches_are_signed_with_the_batch_key(self):
        secret = signing.new_webhook_secret()
        with TestReceiver() as receiver:
            connector = self.make_connector(
                "sw-batch", base_url=receiver.url, auth_type="standard_webhooks", batch_size=5
            )
            connector.secret_input = secret
            self.enqueue(*[self.stock_message(f"S{i}", connector=connector) for i in range(3)])
            self.process()
            [request] = receiver.deliveries()
            headers = dict(request.headers)
            self.assertEqual(headers["webhook-id"], headers["idempotency-key"])
            self.assertEqual(len(Webhook(secret).verify(request.body, headers)["messages"]), 3)


@tagged("post_install", "-at_install")
class TestCloudEventsOutbound(IntegrationCase):
    def test_deliveries_parse_as_cloudevents_with_the_sdk(self):
        connector = self.make_connector("ce-out", envelope_format="cloudevents")
        product = self.env["product.product"].create({"name": "CE lamp", "default_code": "CE-1"})
        first, second = self.enqueue(
            self.stock_message("CE-1", connector=connector, record=product, coalescing_key="k"),
            self.stock_message("CE-2", connector=connector),
        )
        self.process()
        self.assertEqual((first | second).mapped("state"), ["sent", "sent"])
        [request, other] = self.receiver.deliveries()
        self.assertEqual(request.headers["content-type"], "application/cloudevents+json")
        event = ce_http.from_http_event(
            ce_http.HTTPMessage(headers=dict(request.headers), body=request.body)
        )
        self.assertEqual(event.get_specversion(), "1.0")
        self.assertEqual(event.get_id(), first.idempotency_key)
        self.assertEqual(event.get_type(), "stock.level")
        self.assertEqual(event.get_source(), connector._cloudevents_source())
        self.assertIn(f"db={self.env.cr.dbname}", event.get_source())
        self.assertEqual(event.get_subject(), f"product.product/{product.id}")
        self.assertEqual(event.get_data(), {"sku": "CE-1", "quantity": 5})
        self.assertEqual(event.get_dataschema(), "urn:governed-commerce-sync:stock:1")
        self.assertEqual(event.get_extension("domain"), "stock")
        self.assertEqual(int(event.get_extension("sequence")), first.key_sequence)
        self.assertTrue(event.get_time())
        # The second has no record: no subject.
        second_event = ce_http.from_http_event(
            ce_http.HTTPMessage(headers=dict(other.headers), body=other.body)
        )
        self.assertIsNone(second_event.get_subject())

    def test_batches_are_cloudevents_batches(self):
        connector = self.make_connector("ce-batch", envelope_format="cloudevents", batch_size=5)
        messages = self.enqueue(
            *[self.stock_message(f"CB{i}", connector=connector) for i in range(3)]
        )
        self.process()
        self.assertEqual(set(messages.mapped("state")), {"sent"})
        [request] = self.receiver.deliveries()
        self.assertEqual(request.headers["content-type"], "application/cloudevents-batch+json")
        events = json.loads(request.body)
        self.assertEqual([e["id"] for e in events], messages.mapped("idempotency_key"))
        for event in events:  # each item is a structured CloudEvent the SDK reads
            ce_http.from_http_event(
                ce_http.HTTPMessage(
                    headers={"content-type": "application/cloudevents+json"},
                    body=json.dumps(event).encode(),
                )
            )


@tagged("post_install", "-at_install")
class TestStandardWebhooksInbound(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        stock = cls.env.ref("integration_core.domain_stock")
        cls.secret = signing.new_webhook_secret()
        cls.wms = cls.env["integration.connector"].create(
            {
                "name": "SW WMS",
                "code": "t-sw-wms",
                "kind": "wms",
                "inbound_enabled": True,
                "allowed_domain_ids": [(6, 0, [stock.id])],
            }
        )
        cls.wms.inbound_secret_input = cls.secret
        stock.owner_connector_id = cls.wms

    def post(self, body, headers):
        return self.url_open(
            "/integration/t-sw-wms/events",
            data=body,
            headers={"Content-Type": "application/json", **headers},
        )

    def body(self, event_id):
        return json.dumps(
            {
                "event_id": event_id,
                "event_type": "stock.adjusted",
                "occurred_at": "2026-11-25T10:00:00Z",
                "payload": {"sku": "FURN_0096", "warehouse": "WH", "quantity": 7},
            }
        ).encode()

    def library_headers(self, secret, msg_id, body, timestamp=None):
        """Headers as the standardwebhooks library signs them."""
        when = datetime.fromtimestamp(timestamp or time.time(), tz=UTC)
        signature = Webhook(secret).sign(msg_id, when, body.decode())
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": signature,
        }

    def test_new_connectors_expect_standard_webhooks(self):
        self.assertEqual(self.wms.inbound_auth, "standard_webhooks")

    def test_a_request_signed_by_the_library_is_accepted(self):
        body = self.body("sw-1")
        response = self.post(body, self.library_headers(self.secret, "msg_sw1", body))
        self.assertEqual(response.status_code, 202, response.text)
        # A rotation: the sender signs with the old and the new secret; either matches.
        body = self.body("sw-2")
        old = self.library_headers(signing.new_webhook_secret(), "msg_sw2", body)
        new = self.library_headers(self.secret, "msg_sw2", body)
        headers = dict(
            new, **{"webhook-signature": f"{old['webhook-signature']} {new['webhook-signature']}"}
        )
        self.assertEqual(self.post(body, headers).status_code, 202)

    @mute_logger(SECURITY_LOGGER)
    def test_wrong_stale_or_missing_signatures_are_refused_alike(self):
        body = self.body("sw-3")
        cases = {
            "other secret": self.library_headers(signing.new_webhook_secret(), "m3", body),
            "stale": self.library_headers(self.secret, "m3", body, time.time() - 3600),
            "no signature": {"webhook-id": "m3", "webhook-timestamp": str(int(time.time()))},
            "other id": dict(self.library_headers(self.secret, "m3", body), **{"webhook-id": "m4"}),
            "not ascii": dict(
                self.library_headers(self.secret, "m3", body), **{"webhook-signature": "v1,é"}
            ),
            "legacy headers": signing.signature_headers(self.secret, body),
        }
        for name, headers in cases.items():
            with self.subTest(name):
                response = self.post(body, headers)
                self.assertEqual(response.status_code, 401, response.text)
                self.assertEqual(response.json()["error"], "unauthorized")

    def test_tampered_body_is_refused(self):
        body = self.body("sw-5")
        headers = self.library_headers(self.secret, "m5", body)
        with mute_logger(SECURITY_LOGGER):
            response = self.post(body.replace(b"7}", b"9}"), headers)
        self.assertEqual(response.status_code, 401)

    def test_a_cloudevent_written_by_the_sdk_is_accepted(self):
        event = CloudEvent(
            attributes={
                "id": "ce-in-1",
                "source": "/wms/central",
                "type": "stock.adjusted",
                "time": datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
            },
            data={"sku": "FURN_0096", "warehouse": "WH", "quantity": 7},
        )
        message = ce_http.to_structured_event(event)
        headers = {"Content-Type": message.headers["content-type"]}
        headers.update(self.library_headers(self.secret, "msg-ce-1", message.body))
        response = self.post(message.body, headers)
        self.assertEqual(response.status_code, 202, response.text)
        stored = self.env["integration.inbound.event"].search(
            [("connector_id", "=", self.wms.id), ("external_id", "=", "ce-in-1")]
        )
        self.assertEqual(len(stored), 1)
        self.assertEqual(stored.payload["quantity"], 7)

    def test_an_invalid_cloudevent_is_a_422_that_says_why(self):
        body = json.dumps({"specversion": "0.3", "id": "", "type": "stock.adjusted"}).encode()
        headers = {"Content-Type": "application/cloudevents+json"}
        headers.update(self.library_headers(self.secret, "msg-ce-2", body))
        response = self.post(body, headers)
        self.assertEqual(response.status_code, 422, response.text)
        details = " ".join(response.json()["details"])
        for word in ("specversion", "id", "source"):
            self.assertIn(word, details)
