"""The inbound endpoint under attack: every bad request is a JSON 4xx that writes nothing,
before authentication nothing tells who exists, and nothing a sender sends is rendered."""

import doctest
import json
import unittest

from odoo.tests import HttpCase, tagged
from odoo.tools import SQL, config, mute_logger

from ..tools import dates, pg, signing, strict_json

SECURITY_LOGGER = "odoo.addons.integration_core.inbound.security"
JSON = {"Content-Type": "application/json"}


class TestDoctests(unittest.TestCase):
    def test_plain_modules(self):
        for module in (strict_json, dates, pg):
            with self.subTest(module=module.__name__):
                result = doctest.testmod(module)
                self.assertGreater(result.attempted, 5)
                self.assertEqual(result.failed, 0)


@tagged("post_install", "-at_install")
class TestInboundHardening(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stock = cls.env.ref("integration_core.domain_stock")
        Connector = cls.env["integration.connector"]
        cls.wms = Connector.create(
            {
                "name": "Hardened WMS",
                "code": "t-hard",
                "kind": "wms",
                "inbound_enabled": True,
                "inbound_auth": "hmac",
                "allowed_domain_ids": [(6, 0, [cls.stock.id])],
            }
        )
        cls.wms.inbound_secret_input = "hard-secret"
        cls.stock.owner_connector_id = cls.wms
        cls.disabled = Connector.create(
            {
                "name": "Disabled",
                "code": "t-disabled",
                "kind": "wms",
                "inbound_enabled": False,
                "inbound_auth": "hmac",
            }
        )
        cls.disabled.inbound_secret_input = "hard-secret"
        cls.no_secret = Connector.create(
            {"name": "No secret", "code": "t-nosecret", "kind": "wms", "inbound_enabled": True}
        )
        cls.Event = cls.env["integration.inbound.event"]

    # ------------------------------------------------------------------ helpers

    def envelope(self, event_id="evt-h1", **payload):
        return {
            "event_id": event_id,
            "event_type": "stock.adjusted",
            "payload": {"sku": "FURN_0096", "warehouse": "WH", "quantity": 7, **payload},
        }

    def send(self, body=b"", method="POST", code="t-hard", headers=None, sign="hard-secret"):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers = dict(JSON)
        if sign:
            all_headers.update(signing.signature_headers(sign, raw))
        all_headers.update(headers or {})
        all_headers = {k: v for k, v in all_headers.items() if v is not None}
        with mute_logger(SECURITY_LOGGER):
            return self.opener.request(
                method,
                f"{self.base_url()}/integration/{code}/events",
                data=raw,
                headers=all_headers,
                timeout=30,
                allow_redirects=False,
            )

    def rows(self):
        self.env.cr.execute(SQL("SELECT count(*) FROM integration_inbound_event"))
        return self.env.cr.fetchone()[0]

    def assertAnswer(self, response, status, error):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.headers["Content-Type"], "application/json")
        if response.request.method == "HEAD":
            return None
        body = response.json()
        self.assertEqual(body["error"], error, body)
        self.assertTrue(body["message"])
        self.assertLessEqual(set(body), {"error", "message", "details"})
        return body

    # ------------------------------------------------------------------ in order

    def test_methods_other_than_post_are_405_json_and_store_nothing(self):
        before = self.rows()
        for method in ("OPTIONS", "GET", "PUT", "PATCH", "DELETE", "HEAD"):
            with self.subTest(method=method):
                # Signed and valid: before the fix, a signed OPTIONS stored the event.
                response = self.send(self.envelope(f"evt-{method}"), method=method)
                self.assertAnswer(response, 405, "method_not_allowed")
                self.assertEqual(response.headers["Allow"], "POST")
        self.assertEqual(self.rows(), before)

    def test_body_too_large_comes_before_the_media_type(self):
        limit = config.get("integration_inbound_max_body_bytes")
        config["integration_inbound_max_body_bytes"] = 300
        try:
            big = self.envelope(sku="S" * 400)
            self.assertAnswer(
                self.send(big, headers={"Content-Type": "text/plain"}), 413, "body_too_large"
            )
            # No Content-Length (chunked): Odoo's threaded server reads no body at all (with
            # gevent, werkzeug stops reading at the limit); either way, a refusal.
            chunks = (json.dumps(big).encode()[i : i + 100] for i in range(0, 700, 100))
            with mute_logger(SECURITY_LOGGER):
                response = self.opener.post(
                    f"{self.base_url()}/integration/t-hard/events",
                    data=chunks,
                    headers=JSON,
                    timeout=30,
                )
            self.assertIn(response.status_code, (401, 413))
            self.assertEqual(response.headers["Content-Type"], "application/json")
        finally:
            config["integration_inbound_max_body_bytes"] = limit
        # A form of many parts is refused as well, not parsed (werkzeug answered HTML 413).
        parts = "".join(
            f'--zz\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nv\r\n' for i in range(1500)
        )
        response = self.send(
            (parts + "--zz--\r\n").encode(),
            headers={"Content-Type": "multipart/form-data; boundary=zz"},
        )
        self.assertAnswer(response, 415, "unsupported_media_type")

    def test_only_json_in_utf8_is_accepted(self):
        before = self.rows()
        body = self.envelope("evt-ctype")
        for content_type in (
            "text/plain",
            None,
            "application/json; charset=utf-16",
            "application/json; charset=latin-1",
            "application/json-patch+json",
            "application/x-www-form-urlencoded",
            "application/json; boundary=x",
        ):
            with self.subTest(content_type=content_type):
                response = self.send(body, headers={"Content-Type": content_type})
                self.assertAnswer(response, 415, "unsupported_media_type")
        self.assertEqual(self.rows(), before)
        # The body is UTF-16 whatever the header says: not UTF-8 JSON.
        utf16 = json.dumps(body).encode("utf-16")
        self.assertAnswer(self.send(utf16), 400, "invalid_json")
        self.assertAnswer(self.send(json.dumps(body).encode("utf-16-le")), 400, "invalid_json")
        self.assertEqual(self.rows(), before)
        ok = self.send(body, headers={"Content-Type": "Application/JSON; Charset=UTF-8"})
        self.assertEqual(ok.status_code, 202, ok.text)

    def test_before_authentication_nothing_tells_who_exists(self):
        before = self.rows()
        body = self.envelope("evt-auth")
        self.wms.frozen = True  # frozen is said only to an authenticated sender
        answers = {
            "unknown code": self.send(body, code="nobody"),
            "NUL in the code": self.send(body, code="t-hard%00"),
            "NUL alone": self.send(body, code="%00"),
            "invalid UTF-8 in the code": self.send(body, code="%ff%fe"),
            "control character": self.send(body, code="t-%01hard"),
            "long code": self.send(body, code="x" * 3000),
            "inbound disabled": self.send(body, code="t-disabled"),
            "no secret": self.send(body, code="t-nosecret"),
            "wrong signature": self.send(body, sign="wrong"),
            "no signature": self.send(body, sign=None),
            "stale timestamp": self.send(
                body, headers=signing.signature_headers("hard-secret", b"{}", now=1)
            ),
            "signature of another body": self.send(
                body,
                headers=signing.signature_headers("hard-secret", b"{}"),
            ),
            "huge timestamp": self.send(
                body, headers={"X-Timestamp": "9" * 4000, "X-Signature": "sha256=00"}
            ),
            "signed timestamp": self.send(
                body, headers={"X-Timestamp": "-1", "X-Signature": "sha256=00"}
            ),
            "non-ASCII signature": self.send(
                body, headers={"X-Signature": "sha256=\xe9\xe9".encode("latin-1")}
            ),
        }
        expected = answers["unknown code"].content
        for name, response in answers.items():
            with self.subTest(name):
                self.assertAnswer(response, 401, "unauthorized")
                self.assertEqual(response.content, expected, "byte-identical answers")
        self.assertNotIn(b"Hardened", expected)
        self.assertEqual(self.rows(), before)
        body = self.assertAnswer(self.send(body), 423, "connector_frozen")
        self.assertIn("Hardened WMS", body["message"])
        self.assertEqual(self.rows(), before)

    def test_token_connector_refusals_look_the_same(self):
        self.wms.inbound_auth = "token"
        self.wms.inbound_secret_input = "t0ken"
        unknown = self.send(self.envelope(), code="nobody", sign=None)
        for authorization in (
            None,
            "Bearer nope",
            "Bearer t0ken ",
            "Bearer \xe9".encode("latin-1"),
        ):
            with self.subTest(authorization=authorization):
                response = self.send(
                    self.envelope(), sign=None, headers={"Authorization": authorization}
                )
                self.assertAnswer(response, 401, "unauthorized")
                self.assertEqual(response.content, unknown.content)
        ok = self.send(
            self.envelope("evt-tok"), sign=None, headers={"Authorization": "Bearer t0ken"}
        )
        self.assertEqual(ok.status_code, 202, ok.text)

    def test_strict_json(self):
        before = self.rows()
        envelope = json.dumps(self.envelope("evt-json"))
        cases = {
            "NUL in a value": envelope.replace('"FURN_0096"', '"FURN\\u0000"'),
            "NUL in a key": envelope.replace('"sku"', '"s\\u0000ku"'),
            "lone surrogate in a value": envelope.replace('"FURN_0096"', '"\\ud800"'),
            "lone low surrogate in a key": envelope.replace('"sku"', '"\\udc00"'),
            "NaN": envelope.replace("7", "NaN"),
            "Infinity": envelope.replace("7", "Infinity"),
            "-Infinity": envelope.replace("7", "-Infinity"),
            "1e400": envelope.replace("7", "1e400"),
            "integer over 2**63": envelope.replace("7", str(2**63)),
            "integer of 5000 digits": envelope.replace("7", "9" * 5000),
            "nesting 10000 deep": envelope.replace("7", "[" * 10000 + "]" * 10000),
            "nesting 65 deep": envelope.replace("7", "[" * 65 + "]" * 65),
            "duplicate keys": envelope.replace('"quantity": 7', '"quantity": 7, "quantity": 8'),
            "not JSON": "{nope",
            "empty": "",
            "trailing garbage": envelope + "x",
        }
        for name, text in cases.items():
            with self.subTest(name):
                self.assertAnswer(self.send(text.encode()), 400, "invalid_json")
        raw = {
            "Latin-1": envelope.replace("FURN_0096", "FURN_é").encode("latin-1"),
            "UTF-8 BOM": b"\xef\xbb\xbf" + envelope.encode(),
            "encoded surrogate": envelope.encode().replace(b"FURN", b"\xed\xa0\x80"),
        }
        for name, body in raw.items():
            with self.subTest(name):
                self.assertAnswer(self.send(body), 400, "invalid_json")
        self.assertEqual(self.rows(), before)
        # A surrogate pair is one character, and fine.
        ok = envelope.replace('"FURN_0096"', '"\\ud83d\\ude00"').replace("evt-json", "evt-pair")
        self.assertEqual(self.send(ok.encode()).status_code, 202)

    def test_date_times_are_checked(self):
        before = self.rows()
        for value in ("yesterday", "2026-13-01T00:00:00Z", "2026-11-25 10:00:00", "2026-11-25"):
            with self.subTest(value=value):
                body = self.assertAnswer(
                    self.send(self.envelope(event_time=value)), 422, "invalid_payload"
                )
                self.assertIn("date-time", body["details"][0])
                body = self.assertAnswer(
                    self.send({**self.envelope(), "occurred_at": value}), 422, "invalid_envelope"
                )
                self.assertIn("date-time", body["details"][0])
        self.assertEqual(self.rows(), before)
        ok = self.send(self.envelope("evt-dt", event_time="2026-11-25T10:00:00.5+01:00"))
        self.assertEqual(ok.status_code, 202, ok.text)

    def test_envelope_shapes(self):
        before = self.rows()
        for body in ([], "x", 1, None, {"event_id": 1, "event_type": "stock.adjusted"}):
            with self.subTest(body=body):
                self.assertAnswer(self.send(body), 422, "invalid_envelope")
        unknown = self.assertAnswer(
            self.send({**self.envelope(), "event_type": "<b>weather</b>"}),
            422,
            "unknown_event_type",
        )
        self.assertIn("stock.adjusted", unknown["details"])
        self.assertAnswer(self.send(self.envelope(quantity=[])), 422, "invalid_payload")
        self.assertEqual(self.rows(), before)

    def test_trying_hard_to_get_a_5xx(self):
        """Each of these once answered 500 or HTML, or could have: now a JSON 4xx, or the
        event is accepted when it is a valid one."""
        before = self.rows()

        def event(index, **changes):
            return json.dumps({**self.envelope(f"evt-5xx-{index}"), **changes}).encode()

        def payload(index, **changes):
            return json.dumps(self.envelope(f"evt-5xx-{index}", **changes)).encode()

        form = {"Content-Type": "application/x-www-form-urlencoded"}
        cases = [
            # Query-string fields are not arguments (one named "self" was a TypeError).
            (202, "t-hard/events?self=1&code=x&csrf_token=1&", event(0), None),
            (401, "%00/events?self=%00&x=", event(1), None),
            (415, "t-hard", b"self=1&a=%00", form),
            (415, "t-hard", event(3), {"Content-Type": "application/json; charset"}),
            (415, "t-hard", event(4), {"Content-Type": ";;;="}),
            (401, "t-hard", event(5), {"X-Timestamp": "١٢٣".encode(), "X-Signature": "x"}),
            (400, "t-hard", b'{"a": "' + b"\\" * 20001 + b'"}', None),
            (400, "t-hard", b'"' + b'\\"' * 50000, None),
            (400, "t-hard", event(8).replace(b"7", b"1" * 4301), None),
            (422, "t-hard", event(9, event_id="x" * 500), None),
            (422, "t-hard", event(10, payload=[]), None),
            (422, "t-hard", event(11, domain=["stock"]), None),
            (422, "t-hard", event(12, event_type=12), None),
            (202, "t-hard", payload(13, sku="\U0010ffff" * 10), None),
            (202, "t-hard", payload(14, quantity=2**63 - 1), None),
            (202, "t-hard", payload(15, quantity=1e308), None),
        ]
        for index, (status, code, body, headers) in enumerate(cases):
            with self.subTest(index=index, code=code[:30]):
                response = self.send(body, code=code, headers=headers)
                self.assertEqual(response.status_code, status, response.text[:300])
                self.assertEqual(response.headers["Content-Type"], "application/json")
                self.assertIn("status" if status < 300 else "error", response.json())
        self.assertEqual(self.rows(), before + 4)

    # ------------------------------------------------------------------ failures

    def test_failures_of_one_kind_share_one_activity(self):
        admin = self.env.ref("base.user_admin")
        self.wms.responsible_user_id = admin

        def fail(event_type, count, start):
            events = self.Event.create(
                [
                    {
                        "connector_id": self.wms.id,
                        "domain_id": self.stock.id,
                        "event_type": event_type,
                        "external_id": f"evt-fail-{start + i}",
                        "payload": {},
                    }
                    for i in range(count)
                ]
            )
            events._process()
            return events

        first = fail("nobody.handles.this", 5, 0)
        self.assertEqual(set(first.mapped("state")), {"dead"})
        activities = first.activity_ids
        self.assertEqual(len(activities), 1, "one activity for five failures")
        self.assertEqual(activities.user_id, admin)
        self.assertIn("5 failed nobody.handles.this events", activities.summary)
        again = fail("nobody.handles.this", 1, 5)
        self.assertFalse(again.activity_ids, "the open activity is updated")
        self.assertIn("6 failed", activities.summary)
        other = fail("nobody.handles.that", 2, 6)
        self.assertEqual(len(other.activity_ids), 1, "another kind, another activity")
        self.assertIn("2 failed nobody.handles.that events", other.activity_ids.summary)
