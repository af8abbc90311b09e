import json
import time

from odoo.tests import HttpCase, tagged
from odoo.tools import config, mute_logger

from ..tools import signing

SECURITY_LOGGER = "odoo.addons.integration_core.inbound.security"


@tagged("post_install", "-at_install")
class TestInboundEndpoint(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stock = cls.env.ref("integration_core.domain_stock")
        cls.price = cls.env.ref("integration_core.domain_base_price")
        cls.wms = cls.env["integration.connector"].create(
            {
                "name": "Test WMS",
                "code": "t-wms",
                "kind": "wms",
                "inbound_enabled": True,
                "inbound_auth": "hmac",
                "allowed_domain_ids": [(6, 0, [cls.stock.id, cls.price.id])],
            }
        )
        cls.wms.inbound_secret_input = "wms-secret"
        cls.stock.owner_connector_id = cls.wms
        cls.Event = cls.env["integration.inbound.event"]

    def envelope(self, event_id="evt-1", **payload):
        return {
            "event_id": event_id,
            "event_type": "stock.adjusted",
            "occurred_at": "2026-11-25T10:00:00Z",
            "payload": {"sku": "FURN_0096", "warehouse": "WH", "quantity": 7, **payload},
        }

    def post(self, body, code="t-wms", secret="wms-secret", timestamp=None, headers=None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json"}
        if secret:
            all_headers.update(signing.signature_headers(secret, raw, now=timestamp or time.time()))
        all_headers.update(headers or {})
        return self.url_open(f"/integration/{code}/events", data=raw, headers=all_headers)

    def assertRefused(self, response, status, error):
        self.assertEqual(response.status_code, status, response.text)
        body = response.json()
        self.assertEqual(body["error"], error)
        self.assertTrue(body["message"])
        return body

    def count(self):
        return self.Event.search_count([("connector_id", "=", self.wms.id)])

    def test_accepted_event_is_stored_then_processed_later(self):
        response = self.post(self.envelope())
        self.assertEqual(response.status_code, 202, response.text)
        event = self.Event.browse(response.json()["id"])
        self.assertEqual(event.state, "received")
        self.assertEqual(event.external_id, "evt-1")
        self.assertEqual(event.domain_id, self.stock)
        self.assertEqual(event.payload["quantity"], 7)
        cron = self.env.ref("integration_core.ir_cron_integration_inbound")
        self.assertTrue(self.env["ir.cron.trigger"].sudo().search([("cron_id", "=", cron.id)]))

    def test_repeat_answers_the_original_outcome_and_changes_nothing(self):
        first = self.post(self.envelope("evt-dup"))
        again = self.post(self.envelope("evt-dup", quantity=999))
        self.assertEqual(first.status_code, 202)
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.json()["id"], first.json()["id"])
        self.assertTrue(again.json()["duplicate"])
        self.assertEqual(self.count(), 1)
        self.assertEqual(self.Event.browse(first.json()["id"]).payload["quantity"], 7)

    def test_refusals_write_nothing_but_a_security_log_line(self):
        before = self.count()
        cases = [
            (
                "bad signature",
                lambda: self.post(self.envelope(), secret="wrong"),
                401,
                "unauthorized",
            ),
            ("no signature", lambda: self.post(self.envelope(), secret=None), 401, "unauthorized"),
            (
                "stale timestamp",
                lambda: self.post(self.envelope(), timestamp=time.time() - 3600),
                401,
                "unauthorized",
            ),
            (
                "unknown connector",
                lambda: self.post(self.envelope(), code="nobody"),
                401,
                "unauthorized",
            ),
            ("not json", lambda: self.post(b"{nope"), 400, "invalid_json"),
            (
                "envelope",
                lambda: self.post({"event_type": "stock.adjusted", "payload": {}}),
                422,
                "invalid_envelope",
            ),
            (
                "unknown type",
                lambda: self.post({**self.envelope(), "event_type": "weather.changed"}),
                422,
                "unknown_event_type",
            ),
            ("payload", lambda: self.post(self.envelope(quantity=-5)), 422, "invalid_payload"),
            (
                "domain mismatch",
                lambda: self.post({**self.envelope(), "domain": "base_price"}),
                422,
                "invalid_envelope",
            ),
        ]
        with self.assertLogs(SECURITY_LOGGER, level="WARNING") as logs:
            for name, call, status, error in cases:
                with self.subTest(name):
                    self.assertRefused(call(), status, error)
        self.assertEqual(len(logs.records), len(cases), "one security line per refusal")
        self.assertEqual(self.count(), before)

    def test_invalid_payload_lists_what_is_wrong(self):
        with mute_logger(SECURITY_LOGGER):
            body = self.assertRefused(
                self.post(self.envelope(quantity="lots")), 422, "invalid_payload"
            )
        self.assertTrue(any("quantity" in d for d in body["details"]))

    def test_oversized_body(self):
        limit = config.get("integration_inbound_max_body_bytes")
        config["integration_inbound_max_body_bytes"] = 200
        try:
            with mute_logger(SECURITY_LOGGER):
                self.assertRefused(
                    self.post(self.envelope(warehouse="W" * 500)), 413, "body_too_large"
                )
        finally:
            config["integration_inbound_max_body_bytes"] = limit
        self.assertEqual(self.count(), 0)

    def test_frozen_connector(self):
        self.wms.frozen = True
        with mute_logger(SECURITY_LOGGER):
            self.assertRefused(self.post(self.envelope()), 423, "connector_frozen")
        self.assertEqual(self.count(), 0)

    def test_wrong_owner_is_refused_with_a_business_reason(self):
        self.stock.owner_connector_id = False  # Odoo owns stock
        with mute_logger(SECURITY_LOGGER):
            body = self.assertRefused(self.post(self.envelope()), 403, "not_system_of_record")
        self.assertIn(
            "Test WMS is not the system of record for Stock data (Odoo is)", body["message"]
        )
        self.assertEqual(self.count(), 0)

    def test_domain_not_allowed(self):
        self.wms.allowed_domain_ids = [(6, 0, [self.price.id])]
        with mute_logger(SECURITY_LOGGER):
            self.assertRefused(self.post(self.envelope()), 403, "domain_not_allowed")

    def test_token_authentication(self):
        self.wms.inbound_auth = "token"
        self.wms.inbound_secret_input = "t0ken"
        ok = self.post(
            self.envelope("evt-tok"), secret=None, headers={"Authorization": "Bearer t0ken"}
        )
        self.assertEqual(ok.status_code, 202, ok.text)
        with mute_logger(SECURITY_LOGGER):
            self.assertRefused(
                self.post(
                    self.envelope("evt-tok2"), secret=None, headers={"Authorization": "Bearer nope"}
                ),
                401,
                "unauthorized",
            )

    def test_unknown_event_type_in_store_goes_dead_with_reason(self):
        event = self.Event.create(
            {
                "connector_id": self.wms.id,
                "domain_id": self.stock.id,
                "event_type": "nobody.handles.this",
                "external_id": "evt-x",
                "payload": {},
            }
        )
        event._process()
        self.assertEqual(event.state, "dead")
        self.assertEqual(event.error_category, "unknown_event")

    def test_cron_processes_due_events_and_routes_dead_ones(self):
        self.wms.responsible_user_id = self.env.ref("base.user_admin")
        due, later = self.Event.create(
            [
                {
                    "connector_id": self.wms.id,
                    "domain_id": self.stock.id,
                    "external_id": ref,
                    "event_type": "nobody.handles.this",
                    "payload": {},
                }
                for ref in ("evt-due", "evt-later")
            ]
        )
        later.next_attempt_at = "2999-01-01 00:00:00"
        self.Event._cron_process()
        self.assertEqual((due.state, due.attempts), ("dead", 1))
        self.assertEqual(due.error_category, "unknown_event")
        self.assertEqual(due.activity_ids.user_id, self.env.ref("base.user_admin"))
        self.assertEqual((later.state, later.attempts), ("received", 0), "not due yet")
        due.action_retry()
        self.assertEqual((due.state, due.attempts), ("received", 0))
        self.assertFalse(due.activity_ids)
