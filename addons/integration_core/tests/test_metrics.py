from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .receiver import Fault, TestReceiver


@tagged("post_install", "-at_install")
class TestMetrics(HttpCase):
    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param(
            "integration_core.instance_environment", "test"
        )
        self.env["integration.message"].search([("state", "in", ("pending", "failed"))]).write(
            {"state": "cancelled"}
        )

    def scrape(self, token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.url_open("/integration/metrics", headers=headers)

    def test_token_required(self):
        self.assertEqual(self.scrape("x").status_code, 403, "no token configured: disabled")
        self.env["ir.config_parameter"].sudo().set_param("integration_core.metrics_token", "s3cret")
        with mute_logger("odoo.addons.integration_core.inbound.security"):
            self.assertEqual(self.scrape().status_code, 401)
            self.assertEqual(self.scrape("wrong").status_code, 401)
        self.assertEqual(self.scrape("s3cret").status_code, 200)

    def test_scrape_reports_queue_deliveries_failures_and_latency(self):
        self.env["ir.config_parameter"].sudo().set_param("integration_core.metrics_token", "s3cret")
        with TestReceiver() as receiver:
            connector = self.env["integration.connector"].create(
                {
                    "name": "Metrics Shop",
                    "code": "metrics-shop",
                    "base_url": receiver.url,
                    "max_attempts": 5,
                    "allowed_domain_ids": [
                        (6, 0, [self.env.ref("integration_core.domain_stock").id])
                    ],
                }
            )
            receiver.add_faults(Fault.status(503), Fault.status(429, retry_after=60))
            self.env["integration.message"].enqueue(
                [
                    {
                        "connector": connector,
                        "domain": "stock",
                        "event_type": "stock.level",
                        "payload": {"sku": f"M{i}", "quantity": i},
                        "schema": "stock",
                    }
                    for i in range(5)
                ]
            )
            self.env["integration.message"]._process_queue(time_budget=30)
        response = self.scrape("s3cret")
        self.assertEqual(response.status_code, 200)
        self.assertIn("text/plain", response.headers["Content-Type"])
        lines = set(response.text.splitlines())
        # 503 on the first, 429 on the second (which pauses the connector), the rest released.
        self.assertIn(
            'integration_failures_total{connector="metrics-shop",category="remote_error"} 1', lines
        )
        self.assertIn(
            'integration_failures_total{connector="metrics-shop",category="rate_limited"} 1', lines
        )
        self.assertIn('integration_queue_depth{connector="metrics-shop",state="failed"} 2', lines)
        self.assertIn('integration_queue_depth{connector="metrics-shop",state="pending"} 3', lines)
        self.assertTrue(
            any(
                line.startswith('integration_oldest_pending_age_seconds{connector="metrics-shop"}')
                for line in lines
            )
        )
        self.assertIn("# TYPE integration_delivery_latency_ms histogram", lines)

    def test_histogram_is_cumulative(self):
        connector = self.env["integration.connector"].create({"name": "H", "code": "metrics-h"})
        self.env["integration.metric"]._increment(
            connector.id, [5, 30, 30, 700, 20000], ["timeout"]
        )
        text = self.env["integration.metric"]._prometheus_text()
        lines = set(text.splitlines())
        expect = {"10": 1, "25": 1, "50": 3, "500": 3, "1000": 4, "10000": 4, "+Inf": 5}
        for le, count in expect.items():
            self.assertIn(
                f'integration_delivery_latency_ms_bucket{{connector="metrics-h",le="{le}"}} {count}',
                lines,
            )
        self.assertIn('integration_delivery_latency_ms_sum{connector="metrics-h"} 20765', lines)
        self.assertIn('integration_delivery_latency_ms_count{connector="metrics-h"} 5', lines)
        self.assertIn('integration_deliveries_total{connector="metrics-h"} 5', lines)
