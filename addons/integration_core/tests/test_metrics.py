from datetime import timedelta

import prometheus_client
from prometheus_client.parser import text_string_to_metric_families

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from ..models.res_config_settings import LEGACY_METRICS_TOKEN_PARAM, METRICS_TOKEN_HASH_PARAM
from ..tools.workflow import workflow_scope
from .receiver import Fault, TestReceiver

TOKEN = "s3cret-metrics-token-of-thirty-two-chars"
CYCLE_MODEL = "x.metrics.cycle"  # decisions of a model name no addon uses: only ours count


def samples(text):
    """{(sample name, frozenset of label items): value} of an exposition text."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(parsed, name, **labels):
    return parsed.get((name, frozenset(labels.items())))


def populate(env, code, dead=3, dead_hours=2, inbound_dead_hours=5):
    """A connector `code` with `dead` dead letters (the oldest `dead_hours` old), 2 pending
    stock messages, counters, an inbound dead letter and failing event, and an approval
    cycle of one hour (decisions of CYCLE_MODEL). Returns the connector."""
    now = fields.Datetime.now()
    connector = env["integration.connector"].create(
        {
            "name": code.title(),
            "code": code,
            "base_url": "http://127.0.0.1:9",
            "allowed_domain_ids": [(6, 0, [env.ref("integration_core.domain_stock").id])],
        }
    )
    messages = env["integration.message"]._enqueue(
        [
            {
                "connector": connector,
                "domain": "stock",
                "event_type": "stock.level",
                "payload": {"sku": f"{code}-{i}", "quantity": i},
                "schema": "stock",
            }
            for i in range(dead + 2)
        ]
    )
    for hours, message in enumerate(messages[:dead], start=dead_hours - dead + 1):
        message.write({"state": "dead", "dead_at": now - timedelta(hours=hours)})
    env["integration.metric"]._increment(connector.id, [40, 900], ["timeout", "auth"], ["timeout"])
    for state, hours in (("dead", inbound_dead_hours), ("failed", 0)):
        env["integration.inbound.event"].create(
            {
                "connector_id": connector.id,
                "domain_id": env.ref("integration_core.domain_base_price").id,
                "event_type": "price.updated",
                "external_id": f"{code}-{state}",
                "payload": {"sku": "X"},
                "state": state,
                "dead_at": state == "dead" and now - timedelta(hours=hours),
            }
        )
    decide(env, [("submit", 3), ("approve", 2)])
    return connector


def decide(env, steps, res_id=1):
    """Approval decisions on record `res_id` of CYCLE_MODEL: (decision, hours ago)."""
    decisions = env["integration.approval.decision"]
    with workflow_scope("integration.approval.decision"):
        for decision, _hours in steps:
            decisions |= decisions.create(
                {"res_model": CYCLE_MODEL, "res_id": res_id, "decision": decision, "user_id": 1}
            )
    now = fields.Datetime.now()
    for record, (_decision, hours) in zip(decisions, steps, strict=True):
        env.cr.execute(
            SQL(
                "UPDATE integration_approval_decision SET create_date = %s WHERE id = %s",
                now - timedelta(hours=hours),
                record.id,
            )
        )
    decisions.invalidate_recordset()


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
                    "parallel_requests": 1,
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
        self.assertEqual(
            response.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8"
        )
        parsed = samples(response.text)
        shop = {"connector": "metrics-shop"}
        # 503 on the first, 429 on the second (which pauses the connector), the rest released.
        for category in ("remote_error", "rate_limited"):
            self.assertEqual(
                value(parsed, "integration_failures_total", **shop, category=category), 1
            )
        self.assertEqual(value(parsed, "integration_delivery_attempts_total", **shop), 2)
        # Both failures are retried later: counted as retries, by category.
        for category in ("remote_error", "rate_limited"):
            self.assertEqual(
                value(parsed, "integration_retries_total", **shop, category=category), 1
            )
        self.assertEqual(value(parsed, "integration_deliveries_total", **shop), 0)
        self.assertEqual(value(parsed, "integration_queue_depth", **shop, state="failed"), 2)
        self.assertEqual(value(parsed, "integration_queue_depth", **shop, state="pending"), 3)
        self.assertEqual(
            value(parsed, "integration_messages", **shop, domain="stock", state="pending"), 3
        )
        self.assertGreaterEqual(value(parsed, "integration_oldest_pending_age_seconds", **shop), 0)
        self.assertIn("# TYPE integration_delivery_latency_seconds histogram", response.text)

    def test_histogram_is_cumulative_in_seconds(self):
        connector = self.env["integration.connector"].create({"name": "H", "code": "metrics-h"})
        self.env["integration.metric"]._increment(
            connector.id, [5, 30, 30, 700, 20000], ["timeout"]
        )
        parsed = samples(self.env["integration.metric"]._prometheus_text())
        expect = {"0.01": 1, "0.025": 1, "0.05": 3, "0.5": 3, "1.0": 4, "10.0": 4, "+Inf": 5}
        for le, count in expect.items():
            self.assertEqual(
                value(
                    parsed,
                    "integration_delivery_latency_seconds_bucket",
                    connector="metrics-h",
                    le=le,
                ),
                count,
                le,
            )
        h = {"connector": "metrics-h"}
        self.assertAlmostEqual(
            value(parsed, "integration_delivery_latency_seconds_sum", **h), 20.765
        )
        self.assertEqual(value(parsed, "integration_delivery_latency_seconds_count", **h), 5)
        self.assertEqual(value(parsed, "integration_deliveries_total", **h), 5)
        self.assertEqual(value(parsed, "integration_delivery_attempts_total", **h), 6)

    def test_dead_letters_exceptions_and_publication_status(self):
        populate(self.env, "metrics-dead", dead=3, dead_hours=2, inbound_dead_hours=5)
        parsed = samples(self.env["integration.metric"]._prometheus_text())
        c = {"connector": "metrics-dead"}
        self.assertEqual(
            value(parsed, "integration_messages", **c, domain="stock", state="dead"), 3
        )
        self.assertEqual(value(parsed, "integration_queue_depth", **c, state="dead"), 3)
        self.assertEqual(value(parsed, "integration_queue_depth", **c, state="pending"), 2)
        self.assertAlmostEqual(
            value(parsed, "integration_oldest_dead_letter_age_seconds", **c), 7200, delta=60
        )
        self.assertEqual(value(parsed, "integration_inbound_exceptions", **c, state="dead"), 1)
        self.assertEqual(value(parsed, "integration_inbound_exceptions", **c, state="failed"), 1)
        # The inbound dead letter (5 h) is older than the outbound ones (2 h).
        self.assertAlmostEqual(
            value(parsed, "integration_oldest_open_exception_age_seconds", **c), 18000, delta=60
        )
        self.assertEqual(value(parsed, "integration_retries_total", **c, category="timeout"), 1)
        self.assertEqual(value(parsed, "integration_failures_total", **c, category="auth"), 1)

    def test_approval_cycle_counts_from_the_last_submission_in_30_days(self):
        decide(self.env, [("submit", 10), ("redraft", 9), ("submit", 3), ("approve", 1)])
        decide(self.env, [("submit", 30), ("approve", 29)], res_id=2)  # 1 h, 29 h ago
        decide(self.env, [("submit", 24 * 41), ("approve", 24 * 40)], res_id=3)  # too old
        parsed = samples(self.env["integration.metric"]._prometheus_text())
        m = {"model": CYCLE_MODEL}
        name = "integration_approval_cycle_seconds"
        self.assertEqual(value(parsed, f"{name}_count", **m), 2)
        self.assertAlmostEqual(value(parsed, f"{name}_sum", **m), 7200 + 3600, delta=1)
        self.assertEqual(value(parsed, f"{name}_bucket", **m, le="900.0"), 0)
        self.assertEqual(value(parsed, f"{name}_bucket", **m, le="3600.0"), 1)
        self.assertEqual(value(parsed, f"{name}_bucket", **m, le="14400.0"), 2)
        self.assertEqual(value(parsed, f"{name}_bucket", **m, le="+Inf"), 2)

    def test_approvals_waiting_per_model(self):
        Metric = self.env["integration.metric"]
        models = Metric._approval_models()
        self.assertTrue(models, "the suite installs addons that use the approval mixin")
        model = next(
            (m for m in models if m.with_context(active_test=False).search([], limit=1)), None
        )
        if model:
            record = model.with_context(active_test=False).search([], limit=1)
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET %s = %s, requested_at = %s WHERE id = %s",
                    SQL.identifier(model._table),
                    SQL.identifier(model._approval_state_field),
                    model._approval_waiting_state,
                    fields.Datetime.now() - timedelta(days=400),
                    record.id,
                )
            )
        parsed = samples(Metric._prometheus_text())
        for approval_model in models:
            waiting = approval_model.with_context(active_test=False).search(
                [
                    (
                        approval_model._approval_state_field,
                        "=",
                        approval_model._approval_waiting_state,
                    )
                ]
            )
            self.assertEqual(
                value(parsed, "integration_approvals_waiting", model=approval_model._name),
                len(waiting),
                approval_model._name,
            )
        if model:
            self.assertAlmostEqual(
                value(parsed, "integration_oldest_approval_waiting_age_seconds", model=model._name),
                400 * 86400,
                delta=60,
            )

    def test_stale_stock_channels_use_the_channel_rule(self):
        parsed = samples(self.env["integration.metric"]._prometheus_text())
        names = {name for name, _labels in parsed}
        if "stock.publication.channel" not in self.env:
            self.assertNotIn("integration_stock_stale_products", names)
            return
        channels = self.env["stock.publication.channel"].search([])
        self.assertTrue(channels, "demo data has stock channels")
        for channel in channels:
            self.assertEqual(
                value(
                    parsed,
                    "integration_stock_stale_products",
                    channel=channel.name,
                    connector=channel.connector_id.code,
                ),
                channel.stale_count,
            )

    def test_scrape_reads_a_fixed_number_of_queries(self):
        Metric = self.env["integration.metric"]
        populate(self.env, "metrics-q1")
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        Metric._prometheus_text()
        one = self.env.cr.sql_log_count - before
        self.assertGreaterEqual(one, 5, "the count is measured")
        for code in ("metrics-q2", "metrics-q3", "metrics-q4"):
            populate(self.env, code)
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        parsed = samples(Metric._prometheus_text())
        self.assertEqual(self.env.cr.sql_log_count - before, one, "no query per connector")
        self.assertEqual(
            value(parsed, "integration_queue_depth", connector="metrics-q4", state="dead"), 3
        )

    def test_no_global_registry_state(self):
        self.env["integration.metric"]._prometheus_text()
        text = prometheus_client.generate_latest(prometheus_client.REGISTRY).decode()
        self.assertNotIn("integration_", text, "each scrape builds its own registry")
