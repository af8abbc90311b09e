"""Channels confirm or reject what they applied: price.applied events posted to the real
inbound endpoint, signed as the channel signs them, decide when a change is published and
route rejections to the requester."""

import json
import xmlrpc.client
from datetime import datetime

from freezegun import freeze_time

from odoo.tests import HttpCase, get_db_name, new_test_user, tagged

from odoo.addons.integration_core.tests.rpc import XmlRpcClientMixin
from odoo.addons.integration_core.tools import signing

from .common import PriceCase

T0 = datetime(2021, 7, 1, 8, 0, 0)
SECRET = "shop-inbound-secret"


@tagged("post_install", "-at_install")
class TestAcknowledgements(XmlRpcClientMixin, PriceCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = get_db_name()
        # The webshop confirms what it applied; the marketplace's 2xx is enough.
        cls.connector.write({"inbound_enabled": True, "inbound_auth": "hmac", "ack_required": True})
        cls.connector.inbound_secret_input = SECRET
        cls.marketplace = cls.make_connector("marketplace")
        cls.pricelist.integration_connector_ids = [(6, 0, [cls.connector.id, cls.marketplace.id])]
        cls.Event = cls.env["integration.inbound.event"]
        cls.Publication = cls.env["price.publication"]

    def rpc_password(self, user):
        return f"{user.login}-pw-2026"

    def published_change(self, price=90.0):
        """An effective change whose messages both channels answered 2xx."""
        with freeze_time(T0):
            change = self.approved_change([(self.product, self.pricelist, price)], start=T0)
            self.effect()
        self.process()
        return change

    def post(self, payload, event_id, code=None, secret=SECRET, event_type="price.applied"):
        raw = json.dumps(
            {"event_id": event_id, "event_type": event_type, "payload": payload}
        ).encode()
        headers = {"Content-Type": "application/json", **signing.signature_headers(secret, raw)}
        return self.url_open(
            f"/integration/{code or self.connector.code}/events", data=raw, headers=headers
        )

    def acknowledge(self, payload, event_id="ack-1", **kwargs):
        """Post an acknowledgement, process it as the inbound cron does; the event."""
        response = self.post(payload, event_id, **kwargs)
        self.assertEqual(response.status_code, 202, response.text)
        event = self.Event.browse(response.json()["id"])
        event._process()
        return event

    def status_by_channel(self, change):
        change.invalidate_recordset()
        return {p.connector_id: (p.status, p.reason or False) for p in change.publication_ids}

    def shop_message(self, change):
        return self.Message.search(
            [
                ("res_model", "=", "price.version"),
                ("res_id", "in", change.version_ids.ids),
                ("connector_id", "=", self.connector.id),
            ]
        )

    def test_published_once_the_channel_that_must_confirm_applied(self):
        change = self.published_change()
        self.Change._cron_follow_publication()
        self.assertEqual(change.state, "effective", "the webshop has not confirmed yet")
        self.assertEqual(change.publication_unconfirmed_count, 1)
        self.assertEqual(
            self.status_by_channel(change),
            {self.connector: ("waiting", False), self.marketplace: ("delivered", False)},
        )
        # The webshop echoes the Idempotency-Key header it received.
        keys = {d.idempotency_key for d in self.receiver.deliveries()}
        key = self.shop_message(change).idempotency_key
        self.assertIn(key, keys)
        event = self.acknowledge({"status": "applied", "idempotency_key": key})
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(change.state, "published", "published by the last acknowledgement")
        self.assertEqual(self.status_by_channel(change)[self.connector], ("applied", False))
        self.assertEqual(self.shop_message(change).ack_state, "applied")
        version = change.version_ids
        publication = change.publication_ids.filtered(lambda p: p.connector_id == self.connector)
        self.assertEqual(publication.version_sent, str(version.version))
        self.assertEqual(publication.price_sent, 90.0)
        self.assertTrue(publication.acknowledged_at)
        self.Change._cron_follow_publication()
        self.assertEqual(change.state, "reconciled")

    def test_rejection_by_version_goes_to_the_requester_with_its_reason(self):
        change = self.published_change(price=55.0)
        version = change.version_ids
        event = self.acknowledge(
            {
                "status": "rejected",
                "version": version.version,
                "record": {"sku": "PG-KETTLE", "pricelist": "PG Test Retail"},
                "reason": "Below the minimum advertised price (59.00)",
            }
        )
        self.assertEqual(event.state, "done", event.error_message)
        self.assertIn("1 rejected", event.result)
        self.assertEqual(
            self.status_by_channel(change)[self.connector],
            ("rejected", "Below the minimum advertised price (59.00)"),
        )
        self.assertEqual(change.publication_rejected_count, 1)
        self.assertTrue(change.publication_failed)
        self.Change._cron_follow_publication()
        self.assertEqual(change.state, "effective", "a rejected price is not published")
        activity = change.activity_ids.filtered(lambda a: a.user_id == self.requester)
        self.assertEqual(activity.summary, "A channel rejected prices")
        self.assertIn("minimum advertised price", activity.note)
        self.assertIn("Webshop rejected", change.message_ids[0].body)
        # Not the connector's responsible: the requester handles price rejections.
        self.assertFalse(self.connector.activity_ids)
        # Fixed on the channel's side, it applies the same version: published.
        self.acknowledge(
            {
                "status": "applied",
                "version": str(version.version),
                "record": {"sku": "PG-KETTLE"},
            },
            event_id="ack-2",
        )
        self.assertEqual(change.state, "published")

    def test_bad_acknowledgements_change_nothing(self):
        change = self.published_change()
        message = self.shop_message(change)
        # A rejection must say why: refused at the door.
        response = self.post(
            {"status": "rejected", "idempotency_key": message.idempotency_key}, "bad-1"
        )
        self.assertEqual(response.status_code, 422, response.text)
        self.assertEqual(response.json()["error"], "invalid_payload")
        # Naming a message that was never sent to this connector: a dead event, with the
        # position of the acknowledgement that named it; the others are not applied either.
        other_key = self.Message.search(
            [("res_id", "in", change.version_ids.ids), ("connector_id", "=", self.marketplace.id)]
        ).idempotency_key
        event = self.acknowledge(
            {
                "acknowledgements": [
                    {"status": "applied", "idempotency_key": message.idempotency_key},
                    {"status": "applied", "idempotency_key": other_key},
                ]
            },
            event_id="bad-2",
        )
        self.assertEqual(event.state, "dead")
        self.assertEqual(event.error_category, "mapping")
        self.assertIn("Acknowledgement 2 names no message", event.error_message)
        self.assertFalse(message.ack_state)
        self.assertEqual(change.state, "effective")

    def test_only_a_channel_that_receives_prices_may_acknowledge_them(self):
        engine = self.make_connector("engine", inbound_enabled=True, inbound_auth="hmac")
        engine.inbound_secret_input = "engine-secret"
        self.domain_price.owner_connector_id = engine
        response = self.post(
            {"status": "applied", "idempotency_key": "x"},
            "own-1",
            code=engine.code,
            secret="engine-secret",
        )
        self.assertEqual(response.status_code, 403, response.text)
        self.assertEqual(response.json()["error"], "domain_not_allowed")
        self.assertIn("nothing to acknowledge", response.json()["message"])

    def test_nobody_forges_an_acknowledgement_over_rpc(self):
        change = self.published_change()
        message = self.shop_message(change)
        users = [
            new_test_user(
                self.env,
                login=login,
                groups=groups,
                password=f"{login}-pw-2026",
            )
            for login, groups in (
                ("ack_portal", "base.group_portal"),
                ("ack_pricing", "price_governance.group_price_manager"),
                ("ack_integration", "integration_core.group_integration_user"),
            )
        ]
        for user in users:
            for model, method, args in (
                ("integration.message", "write", [[message.id], {"ack_state": "applied"}]),
                (
                    "integration.message",
                    "_record_acknowledgement",
                    [[message.id], "applied", False, False],
                ),
                (
                    "integration.inbound.event",
                    "create",
                    [
                        {
                            "connector_id": self.connector.id,
                            "domain_id": self.domain_price.id,
                            "event_type": "price.applied",
                            "external_id": f"forged-{user.login}",
                            "payload": {"status": "applied", "idempotency_key": "k"},
                        }
                    ],
                ),
                ("price.change", "write", [[change.id], {"state": "published"}]),
                ("price.publication", "create", [{"change_id": change.id, "status": "applied"}]),
            ):
                with self.subTest(user=user.login, model=model, method=method):
                    result = self.xmlrpc(user, model, method, *args)
                    self.assertIsInstance(result, xmlrpc.client.Fault)
        self.assertFalse(message.ack_state)
        self.assertEqual(change.state, "effective")
        # A pricing manager reads, on the change, what each channel did.
        manager = users[1]
        rows = self.xmlrpc(
            manager,
            "price.publication",
            "search_read",
            [("change_id", "=", change.id)],
            fields=["status", "connector_id"],
        )
        self.assertEqual(sorted(r["status"] for r in rows), ["delivered", "waiting"])
