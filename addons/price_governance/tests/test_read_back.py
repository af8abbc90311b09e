"""Read-back reconciliation: the channel's read endpoint (a real local HTTP server) says
what it shows; the Scheduled Action reports the drift per channel, product and field, and
one click publishes Odoo's version again to that channel."""

import xmlrpc.client
from datetime import datetime

from freezegun import freeze_time

from odoo.tests import HttpCase, get_db_name, new_test_user, tagged

from odoo.addons.integration_core.tests.rpc import XmlRpcClientMixin

from .common import PriceCase

T0 = datetime(2021, 7, 1, 8, 0, 0)


@tagged("post_install", "-at_install")
class TestReadBack(XmlRpcClientMixin, PriceCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = get_db_name()
        cls.connector.readback_path = "/current/{domain}"
        cls.marketplace = cls.make_connector("marketplace")  # no read endpoint
        cls.pricelist.integration_connector_ids = [(6, 0, [cls.connector.id, cls.marketplace.id])]
        cls.Drift = cls.env["price.drift"]

    def setUp(self):
        super().setUp()
        with freeze_time(T0):
            self.change = self.approved_change(
                [(self.product, self.pricelist, 90.0), (self.product2, self.pricelist, 40.0)],
                start=T0,
            )
            self.effect()
        self.kettle = self.change.version_ids.filtered(lambda v: v.product_id == self.product)
        self.toaster = self.change.version_ids - self.kettle

    def rpc_password(self, user):
        return f"{user.login}-pw-2026"

    def show(self, *entries):
        self.receiver.resources["/current/base_price"] = {"prices": list(entries)}

    def entry(self, sku, price, version, **extra):
        return {
            "sku": sku,
            "pricelist": "PG Test Retail",
            "price": price,
            "version": version,
            **extra,
        }

    def drifts(self):
        return self.Drift.search([("connector_id", "=", self.connector.id), ("state", "=", "open")])

    def test_drift_found_then_fixed_by_publishing_again(self):
        currency = self.currency.name
        self.show(
            self.entry("PG-KETTLE", 85.0, self.kettle.version, currency=currency),
            # The toaster is missing on the channel.
        )
        self.Drift._cron_read_back()
        request = self.receiver.requests[-1]
        self.assertEqual((request.method, request.path), ("GET", "/current/base_price"))
        found = {(d.product_id, d.field): (d.odoo_value, d.channel_value) for d in self.drifts()}
        self.assertEqual(
            found,
            {
                (self.product, "price"): ("90", "85.0"),
                (self.product2, "presence"): ("40", False),
            },
        )
        self.assertEqual(self.drifts().pricelist_id, self.pricelist)
        self.assertFalse(self.Drift.search([("connector_id", "=", self.marketplace.id)]))
        # Run again: the same drift, not a second copy.
        self.Drift._cron_read_back()
        self.assertEqual(len(self.drifts()), 2)

        # A pricing user publishes Odoo's versions again, to that channel only.
        before = self.Message.search_count([("connector_id", "=", self.marketplace.id)])
        drifts = self.drifts()
        drifts.with_user(self.requester).action_republish()
        self.assertEqual(set(drifts.mapped("state")), {"republished"})
        again = self.Message.search(
            [
                ("connector_id", "=", self.connector.id),
                ("idempotency_key", "like", "%-republish-%"),
            ]
        )
        self.assertEqual(again.mapped("res_id"), sorted((self.kettle | self.toaster).ids))
        self.assertEqual(
            self.Message.search_count([("connector_id", "=", self.marketplace.id)]), before
        )
        self.process()
        sent = {
            d.json["payload"]["sku"]: d.json["payload"]["price"] for d in self.receiver.deliveries()
        }
        self.assertEqual(sent, {"PG-KETTLE": 90.0, "PG-TOASTER": 40.0})
        # The channel now shows Odoo's prices: the next read-back finds nothing.
        self.show(
            self.entry("PG-KETTLE", 90.0, self.kettle.version),
            self.entry("PG-TOASTER", 40.0, str(self.toaster.version)),
        )
        self.Drift._cron_read_back()
        self.assertFalse(self.drifts())

    def test_older_version_and_resolution_without_republication(self):
        self.show(
            self.entry("PG-KETTLE", 90.0, self.kettle.version - 1),
            self.entry("PG-TOASTER", 40.0, self.toaster.version, currency="XXX"),
        )
        self.Drift._cron_read_back()
        found = {(d.product_id, d.field): (d.odoo_value, d.channel_value) for d in self.drifts()}
        self.assertEqual(
            found,
            {
                (self.product, "version"): (str(self.kettle.version), str(self.kettle.version - 1)),
                (self.product2, "currency"): (self.currency.name, "XXX"),
            },
        )
        drifts = self.drifts()
        # The channel catches up by itself: the drifts are resolved.
        self.show(
            self.entry("PG-KETTLE", 90.0, self.kettle.version),
            self.entry("PG-TOASTER", 40.0, self.toaster.version),
        )
        self.Drift._cron_read_back()
        self.assertEqual(set(drifts.mapped("state")), {"resolved"})

    def test_unreadable_channel_is_noted_and_changes_nothing(self):
        self.receiver.resources.clear()  # the read endpoint answers 404
        self.Drift._cron_read_back()
        self.assertFalse(self.drifts())
        self.assertIn("Read-back from Webshop failed", self.connector.message_ids[0].body)
        self.receiver.resources["/current/base_price"] = {"items": []}
        self.Drift._cron_read_back()
        self.assertIn("is not a price snapshot", self.connector.message_ids[0].body)
        self.assertFalse(self.drifts())

    def test_a_channel_may_send_its_prices_instead(self):
        """No read endpoint: the channel sends a price.snapshot event now and then."""
        self.connector.readback_path = False

        def snapshot(external_id, *entries):
            event = self.env["integration.inbound.event"].create(
                {
                    "connector_id": self.connector.id,
                    "domain_id": self.domain_price.id,
                    "event_type": "price.snapshot",
                    "external_id": external_id,
                    "payload": {"prices": list(entries), "taken_at": "2026-11-25T10:00:00Z"},
                }
            )
            event._process()
            return event

        event = snapshot(
            "snap-1",
            self.entry("PG-KETTLE", 80.0, self.kettle.version),
            self.entry("PG-TOASTER", 40.0, self.toaster.version),
        )
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(event.result, "1 open difference(s) with the channel.")
        self.assertEqual(
            [(d.product_id, d.field, d.channel_value) for d in self.drifts()],
            [(self.product, "price", "80.0")],
        )
        # A snapshot that is not one is refused and changes nothing.
        event = snapshot("snap-2", {"sku": "PG-KETTLE", "pricelist": "PG Test Retail"})
        self.assertEqual(event.state, "dead")
        self.assertEqual(len(self.drifts()), 1)

    def test_drifts_are_not_forged_nor_republished_by_outsiders(self):
        self.show()
        self.Drift._cron_read_back()
        drift = self.drifts()[:1]
        self.assertTrue(drift)
        outsiders = [
            new_test_user(self.env, login=login, groups=groups, password=f"{login}-pw-2026")
            for login, groups in (
                ("drift_portal", "base.group_portal"),
                ("drift_internal", "base.group_user"),
            )
        ]
        pricing = new_test_user(
            self.env,
            login="drift_pricing",
            groups="price_governance.group_price_user",
            password="drift_pricing-pw-2026",
        )
        for user in outsiders:
            with self.subTest(user=user.login):
                result = self.xmlrpc(user, "price.drift", "action_republish", [drift.id])
                self.assertIsInstance(result, xmlrpc.client.Fault)
        for user in [*outsiders, pricing]:
            for method, args in (
                ("write", [[drift.id], {"state": "resolved"}]),
                (
                    "create",
                    [
                        {
                            "connector_id": self.connector.id,
                            "version_id": self.kettle.id,
                            "field": "price",
                        }
                    ],
                ),
                ("_record", [self.connector.id, []]),
            ):
                with self.subTest(user=user.login, method=method):
                    result = self.xmlrpc(user, "price.drift", method, *args)
                    self.assertIsInstance(result, xmlrpc.client.Fault)
        self.assertEqual(drift.state, "open")
        self.assertTrue(self.xmlrpc(pricing, "price.drift", "action_republish", [drift.id]))
        drift.invalidate_recordset()
        self.assertEqual(drift.state, "republished")
