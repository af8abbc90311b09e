# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import api, fields, models


def _stock(connector, sku, qty, **extra):
    return {
        "connector": connector,
        "domain": "stock",
        "event_type": "stock.level",
        "payload": {"sku": sku, "quantity": qty},
        "schema": "stock",
        "coalescing_key": f"stock:{sku}",
        **extra,
    }


def _price(connector, sku, amount):
    return {
        "connector": connector,
        "domain": "base_price",
        "event_type": "price.updated",
        "payload": {"sku": sku, "pricelist": "Public", "currency": "EUR", "price": amount},
        "schema": "price",
    }


class IntegrationDemo(models.AbstractModel):
    """Demo data of the queue (demo/integration_demo.xml calls _populate_queue): messages in
    every state, with the errors people meet, and connector health that tells the same story.
    Kept out of the queue's model, which holds no demo code."""

    _name = "integration.demo"
    _description = "Integration Demo Data"

    @api.model
    def _populate_queue(self):
        """Queue the demo messages and put them in their states; returns the messages."""
        webshop = self.env.ref("integration_core.demo_connector_webshop")
        marketplace = self.env.ref("integration_core.demo_connector_marketplace")
        wms = self.env.ref("integration_core.demo_connector_wms")
        Message = self.env["integration.message"]
        messages = Message._enqueue(
            [
                _stock(webshop, "FURN_0096", 14, priority="realtime"),
                _stock(webshop, "FURN_8888", 3),
                _price(webshop, "FURN_0269", 149.0),
                _stock(marketplace, "FURN_0096", 9),
                _stock(wms, "FURN_7800", 40),
                _price(webshop, "FURN_6666", 89.5),
                _stock(wms, "E-COM11", 0),
                _price(webshop, "FURN_0789", 320.0),
            ]
        )
        _pending, _superseded, sent, _frozen, failed, dead, dead_rejected, cancelled = messages
        now = fields.Datetime.now()
        states = self._message_states(now)
        for message, name in [
            (sent, "sent"),
            (failed, "failed"),
            (dead, "dead"),
            (dead_rejected, "dead_rejected"),
            (cancelled, "cancelled"),
        ]:
            message.write(states[name])
        Message._enqueue([_stock(webshop, "FURN_8888", 2)])  # supersedes the older waiting one
        self._connector_health(webshop, wms, dead, failed, now)
        return messages

    @api.model
    def _message_states(self, now):
        """{demo name: the values that put a demo message in its state}."""
        return {
            "sent": {
                "state": "sent",
                "attempts": 1,
                "sent_at": now,
                "http_status": 200,
                "latency_ms": 42,
                "last_attempt_at": now,
            },
            "failed": {
                "state": "failed",
                "attempts": 2,
                "last_attempt_at": now,
                "next_attempt_at": now + timedelta(minutes=4),
                "error_category": "network",
                "error_message": "Could not reach the remote: ConnectionError: connection refused "
                "by 127.0.0.1:8097 (the WMS gateway is down for maintenance).",
            },
            "dead": {
                "state": "dead",
                "attempts": 8,
                "last_attempt_at": now,
                "dead_at": now,
                "http_status": 401,
                "error_category": "auth",
                "error_message": "The remote refused our credentials (HTTP 401).",
                "response_excerpt": '{"error": "unauthorized", "reason": "API key expired on '
                '2026-11-01"}',
            },
            "dead_rejected": {
                "state": "dead",
                "attempts": 1,
                "last_attempt_at": now,
                "dead_at": now,
                "http_status": 422,
                "error_category": "rejected",
                "error_message": "The remote rejected the message (HTTP 422): unknown SKU E-COM11",
                "response_excerpt": '{"error": "unknown sku", "sku": "E-COM11"}',
            },
            "cancelled": {"state": "cancelled"},
        }

    @api.model
    def _connector_health(self, webshop, wms, dead, failed, now):
        """Health that matches the story: the webshop works but one key expired, the WMS
        gateway has been down for the last two tries."""
        webshop.sudo().write(
            {
                "last_success_at": now,
                "last_failure_at": now - timedelta(hours=1),
                "last_error": dead.error_message,
            }
        )
        wms.sudo().write(
            {
                "last_success_at": now - timedelta(hours=3),
                "last_failure_at": now,
                "last_error": failed.error_message[:250],
                "consecutive_failures": 2,
            }
        )
