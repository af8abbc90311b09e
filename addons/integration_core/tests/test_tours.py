import socket

from odoo.tests import HttpCase, tagged

from .receiver import TestReceiver

TOUR_RECEIVER_PORT = 18099  # the admin tour types this address


@tagged("post_install", "-at_install")
class TestTours(HttpCase):
    def dead_letter(self, name, code, sku, **vals):
        """A stock message of a new connector, made a dead letter with `vals`."""
        connector = self.env["integration.connector"].create(
            {
                "name": name,
                "code": code,
                "base_url": "http://127.0.0.1:9",
                "allowed_domain_ids": [(6, 0, [self.env.ref("integration_core.domain_stock").id])],
            }
        )
        message = self.env["integration.message"]._enqueue(
            [
                {
                    "connector": connector,
                    "domain": "stock",
                    "event_type": "stock.level",
                    "payload": {"sku": sku, "quantity": 3},
                    "schema": "stock",
                }
            ]
        )
        message.write({"state": "dead", **vals})
        return message

    def test_clerk_replays_a_dead_letter_from_the_board(self):
        message = self.dead_letter(
            "Tour Shop",
            "tour-shop",
            "TOUR-1",
            attempts=1,
            error_category="rejected",
            error_message="The remote rejected the message (HTTP 422): unknown SKU TOUR-1",
            http_status=422,
        )
        self.start_tour("/odoo", "integration_core_clerk_replay", login="admin")
        self.assertEqual(message.state, "pending")
        self.assertEqual(message.attempts, 0)

    def test_operations_dashboard_opens_the_dead_letters(self):
        self.dead_letter(
            "Tour Dashboard Shop",
            "tour-dashboard",
            "TOUR-DASH",
            attempts=3,
            error_category="timeout",
        )
        self.start_tour("/odoo", "integration_core_operations_dashboard", login="admin")

    def test_admin_creates_a_connector_with_a_secret_and_tests_it(self):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", TOUR_RECEIVER_PORT)) == 0:
                self.fail(f"port {TOUR_RECEIVER_PORT} is taken: the admin tour needs it free")
        with TestReceiver(port=TOUR_RECEIVER_PORT, api_key="tour-api-key") as receiver:
            self.start_tour("/odoo", "integration_core_admin_connector", login="admin")
            health = [r for r in receiver.requests if r.path == "/health"]
            self.assertEqual(len(health), 1)
            self.assertEqual(health[0].status, 200)
        connector = self.env["integration.connector"].search([("code", "=", "tour-webshop")])
        self.assertEqual(connector.auth_type, "api_key")
        self.assertTrue(connector.sudo().secret_encrypted)
        self.assertNotIn("tour-api-key", connector.sudo().secret_encrypted)
        self.assertEqual(connector._get_secret(), "tour-api-key")
