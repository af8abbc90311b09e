from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from ..models.res_config_settings import LEGACY_METRICS_TOKEN_PARAM, METRICS_TOKEN_HASH_PARAM
from .receiver import Fault, TestReceiver

TOKEN = "s3cret-metrics-token-of-thirty-two-chars"


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

    def set_token(self, token=TOKEN):
        # As the Settings form saves: the write-only field's inverse hashes the token.
        self.env["res.config.settings"].create({"integration_metrics_token": token})

    def params_holding(self, text):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT key FROM ir_config_parameter WHERE value LIKE %s",
                f"%{text}%",
            )
        )
        return [key for (key,) in self.env.cr.fetchall()]

    def test_token_required(self):
        self.assertEqual(self.scrape("x").status_code, 403, "no token configured: disabled")
        self.set_token()
        with mute_logger("odoo.addons.integration_core.inbound.security"):
            self.assertEqual(self.scrape().status_code, 401)
            self.assertEqual(self.scrape("wrong").status_code, 401)
            self.assertEqual(self.scrape(TOKEN[:-1]).status_code, 401)
            self.assertEqual(
                self.url_open(
                    "/integration/metrics", headers={"Authorization": f"Basic {TOKEN}"}
                ).status_code,
                401,
            )
        self.assertEqual(self.scrape(TOKEN).status_code, 200)

    def test_token_is_stored_hashed_only(self):
        self.set_token()
        self.assertEqual(self.params_holding(TOKEN), [], "the token is nowhere in clear")
        stored = self.env["ir.config_parameter"].sudo().get_param(METRICS_TOKEN_HASH_PARAM)
        self.assertTrue(stored.startswith("sha256$"))
        self.set_token()
        again = self.env["ir.config_parameter"].sudo().get_param(METRICS_TOKEN_HASH_PARAM)
        self.assertNotEqual(again, stored, "salted: the same token never hashes the same")
        self.assertFalse(self.env["res.config.settings"].create({}).integration_metrics_token)

    def test_generated_token_is_shown_once_and_works(self):
        action = (
            self.env["res.config.settings"].create({}).action_integration_generate_metrics_token()
        )
        token = action["params"]["message"].rsplit(" ", 1)[-1]
        self.assertGreaterEqual(len(token), 40)
        self.assertEqual(self.params_holding(token), [])
        self.assertEqual(self.scrape(token).status_code, 200)
        settings = self.env["res.config.settings"].create({})
        self.assertTrue(settings.integration_metrics_enabled)
        settings.action_integration_disable_metrics()
        self.assertEqual(self.scrape(token).status_code, 403)

    def test_short_or_unauthorised_token_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "at least 32 characters"):
            self.set_token("too-short")
        user = new_test_user(self.env, "metrics-user", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(
                user
            ).action_integration_generate_metrics_token()

    def test_clear_token_of_an_earlier_version_is_hashed(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(LEGACY_METRICS_TOKEN_PARAM, "legacy-clear-token")
        self.env["res.config.settings"]._register_hook()  # as at the registry load of an upgrade
        self.assertFalse(params.get_param(LEGACY_METRICS_TOKEN_PARAM))
        self.assertEqual(self.params_holding("legacy-clear-token"), [])
        self.assertEqual(self.scrape("legacy-clear-token").status_code, 200)
        # Met first by a scrape (a database restored into a running server): same outcome.
        params.set_param(METRICS_TOKEN_HASH_PARAM, False)
        params.set_param(LEGACY_METRICS_TOKEN_PARAM, "restored-clear-token")
        self.assertEqual(self.scrape("restored-clear-token").status_code, 200)
        self.assertEqual(self.params_holding("restored-clear-token"), [])

    def test_scrape_reports_queue_deliveries_failures_and_latency(self):
        self.set_token()
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
            self.env["integration.message"]._enqueue(
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
        response = self.scrape(TOKEN)
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
