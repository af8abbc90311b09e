# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.tools import SQL

# Upper bounds (ms) of the delivery latency histogram, Prometheus style (cumulative).
LATENCY_BUCKETS = (10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)


class IntegrationMetric(models.Model):
    """Monotonic counters per connector for monitoring (Prometheus): deliveries, failures by
    category, the latency histogram. Incremented once per delivery batch, in one statement;
    they survive the retention clean-up of the messages themselves."""

    _name = "integration.metric"
    _description = "Integration Metric Counter"
    _log_access = False

    connector_id = fields.Many2one(
        "integration.connector", required=True, ondelete="cascade", index=True
    )
    name = fields.Char(required=True)
    label = fields.Char(required=True, default="")
    value = fields.Float(required=True, default=0.0)

    _sql_constraints = [
        (
            "metric_uniq",
            "unique(connector_id, name, label)",
            "One counter per connector, name and label.",
        )
    ]

    @api.model
    def _increment(self, connector_id, sent_latencies, failure_categories):
        """Add one batch's outcomes: latencies (ms) of sent messages, categories of failures."""
        counts = {}

        def add(name, label, value):
            counts[(name, label)] = counts.get((name, label), 0.0) + value

        for latency in sent_latencies:
            add("deliveries_total", "", 1)
            add("delivery_latency_ms_sum", "", latency)
            for bound in LATENCY_BUCKETS:
                if latency <= bound:
                    add("delivery_latency_ms_bucket", str(bound), 1)
        for category in failure_categories:
            add("failures_total", category or "unknown", 1)
        if not counts:
            return
        # Same row order in every worker: concurrent upserts never deadlock.
        rows = sorted(counts.items())
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO integration_metric (connector_id, name, label, value)
                SELECT %(connector)s, n, l, v
                  FROM unnest(%(names)s::varchar[], %(labels)s::varchar[], %(values)s::float[])
                       AS r(n, l, v)
                ON CONFLICT (connector_id, name, label)
                DO UPDATE SET value = integration_metric.value + EXCLUDED.value
                """,
                connector=connector_id,
                names=[key[0] for key, _v in rows],
                labels=[key[1] for key, _v in rows],
                values=[value for _k, value in rows],
            )
        )

    @api.model
    def _prometheus_text(self):
        """The exposition text of every metric, for /integration/metrics."""
        cr = self.env.cr
        now = fields.Datetime.now()
        codes = dict(
            self.env["integration.connector"]
            .sudo()
            .with_context(active_test=False)
            .search([])
            .mapped(lambda c: (c.id, c.code))
        )
        out = []

        def metric(name, kind, help_text):
            out.append(f"# HELP integration_{name} {help_text}")
            out.append(f"# TYPE integration_{name} {kind}")

        def sample(name, labels, value):
            text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
            out.append(f"integration_{name}{{{text}}} {_number(value)}")

        metric(
            "queue_depth", "gauge", "Messages by connector and state (waiting, in flight, dead)."
        )
        cr.execute(
            "SELECT connector_id, state, count(*) FROM integration_message "
            "WHERE state IN ('pending', 'failed', 'sending', 'dead') GROUP BY connector_id, state "
            "ORDER BY connector_id, state"
        )
        for cid, state, count in cr.fetchall():
            sample("queue_depth", {"connector": codes.get(cid, str(cid)), "state": state}, count)

        metric(
            "oldest_pending_age_seconds",
            "gauge",
            "Age of the oldest message waiting to be sent, by connector.",
        )
        cr.execute(
            "SELECT connector_id, min(create_date) FROM integration_message "
            "WHERE state IN ('pending', 'failed') GROUP BY connector_id ORDER BY connector_id"
        )
        for cid, oldest in cr.fetchall():
            sample(
                "oldest_pending_age_seconds",
                {"connector": codes.get(cid, str(cid))},
                max(0.0, (now - oldest).total_seconds()),
            )

        cr.execute(
            "SELECT connector_id, name, label, value FROM integration_metric "
            "ORDER BY connector_id, name, label"
        )
        stored = {}
        for cid, name, label, value in cr.fetchall():
            stored.setdefault(name, []).append((codes.get(cid, str(cid)), label, value))

        metric("deliveries_total", "counter", "Messages delivered (acknowledged), by connector.")
        for code, _label, value in stored.get("deliveries_total", []):
            sample("deliveries_total", {"connector": code}, value)
        metric("failures_total", "counter", "Failed delivery attempts, by connector and category.")
        for code, label, value in stored.get("failures_total", []):
            sample("failures_total", {"connector": code, "category": label}, value)

        metric("delivery_latency_ms", "histogram", "Delivery latency of sent messages (ms).")
        buckets = {}
        for code, label, value in stored.get("delivery_latency_ms_bucket", []):
            buckets.setdefault(code, {})[label] = value
        totals = {code: value for code, _l, value in stored.get("deliveries_total", [])}
        sums = {code: value for code, _l, value in stored.get("delivery_latency_ms_sum", [])}
        for code in sorted(totals):
            for bound in LATENCY_BUCKETS:
                sample(
                    "delivery_latency_ms_bucket",
                    {"connector": code, "le": str(bound)},
                    buckets.get(code, {}).get(str(bound), 0),
                )
            sample("delivery_latency_ms_bucket", {"connector": code, "le": "+Inf"}, totals[code])
            sample("delivery_latency_ms_sum", {"connector": code}, sums.get(code, 0))
            sample("delivery_latency_ms_count", {"connector": code}, totals[code])
        return "\n".join(out) + "\n"


def _escape(value):
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value):
    return str(int(value)) if float(value).is_integer() else repr(float(value))
