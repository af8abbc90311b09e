# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from odoo import api, fields, models
from odoo.tools import SQL

from ..compat.constraints import sql_constraints

# Upper bounds (ms) of the delivery latency histogram, as counted in the table (cumulative);
# exposed in seconds, the base unit Prometheus wants.
LATENCY_BUCKETS = (10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
# Upper bounds (s) of the approval cycle histogram: 5 min, 15 min, 1 h, 4 h, 1 d, 3 d, 1 week.
APPROVAL_CYCLE_BUCKETS = (300, 900, 3600, 14400, 86400, 259200, 604800)
APPROVAL_CYCLE_DAYS = 30
# Message states of the queue depth: waiting, in flight, dead.
QUEUE_STATES = ("pending", "failed", "sending", "dead")
WAITING_STATES = ("pending", "failed")
# Inbound events someone has to look at: failing (retried) and dead letters.
INBOUND_EXCEPTION_STATES = ("failed", "dead")
# The Content-Type of the classic text format, which generate_latest writes.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@sql_constraints
class IntegrationMetric(models.Model):
    """Monotonic counters per connector for monitoring (Prometheus): deliveries, failures by
    category, retries, the latency histogram. Incremented once per delivery batch, in one
    statement; they survive the retention clean-up of the messages themselves.

    The model also owns the scrape (``_prometheus_text``): a prometheus_client collector
    reads these counters, the queues and the approvals in a fixed number of queries."""

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

    # ------------------------------------------------------------------ counting

    @api.model
    def _increment(self, connector_id, sent_latencies, failure_categories, retry_categories=()):
        """Add one batch's outcomes in one upsert: latencies (ms) of sent messages, categories
        of failures, and of the failures scheduled for another attempt (retries)."""
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
        for category in retry_categories:
            add("retries_total", category or "unknown", 1)
        self._add_counts(connector_id, counts)

    @api.model
    def _add_counts(self, connector_id, counts):
        """Add {(name, label): value} to the connector's counters, in one upsert."""
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

    # ------------------------------------------------------------------ scrape

    @api.model
    def _prometheus_text(self):
        """The exposition text of every metric, for /integration/metrics: a registry of its
        own per call, so nothing is shared between databases or requests."""
        registry = CollectorRegistry(auto_describe=False)
        registry.register(IntegrationCollector(self))
        return generate_latest(registry).decode()

    @api.model
    def _metric_families(self):
        """Every metric family of the scrape (prometheus_client objects), read in a fixed
        number of queries whatever the number of connectors, messages or approvals."""
        self.env.flush_all()
        now = fields.Datetime.now()
        families, oldest_dead = self._message_families(now)
        families += self._counter_families()
        families += self._inbound_families(now, oldest_dead)
        families += self._approval_families(now)
        families += self._stock_families()
        return families

    def _fetch(self, query):
        self.env.cr.execute(query)
        return self.env.cr.fetchall()

    @api.model
    def _message_families(self, now):
        """Queue depth, oldest waiting, messages by connector/domain/state, oldest dead
        letter: one grouped query over the messages. Returns (families, {connector code:
        when its oldest dead letter died})."""
        rows = self._fetch(
            SQL(
                """
                SELECT c.code, COALESCE(d.code, ''), m.state, count(*), min(m.create_date),
                       min(COALESCE(m.dead_at, m.write_date))
                  FROM integration_message m
                  JOIN integration_connector c ON c.id = m.connector_id
                  LEFT JOIN integration_data_domain d ON d.id = m.domain_id
                 GROUP BY c.code, d.code, m.state
                 ORDER BY c.code, d.code, m.state
                """
            )
        )
        messages = GaugeMetricFamily(
            "integration_messages",
            "Messages in the queue table by connector, data domain and state: the publication "
            "status of each channel (sent and finished ones until retention removes them).",
            labels=["connector", "domain", "state"],
        )
        depth, oldest_waiting, oldest_dead = {}, {}, {}
        for code, domain, state, count, oldest, dead_since in rows:
            messages.add_metric([code, domain, state], count)
            if state in QUEUE_STATES:
                depth[(code, state)] = depth.get((code, state), 0) + count
            if state in WAITING_STATES:
                _keep_oldest(oldest_waiting, code, oldest)
            if state == "dead":
                _keep_oldest(oldest_dead, code, dead_since)
        queue = GaugeMetricFamily(
            "integration_queue_depth",
            "Messages by connector and state (waiting, in flight, dead).",
            labels=["connector", "state"],
        )
        for (code, state), count in sorted(depth.items()):
            queue.add_metric([code, state], count)
        families = [
            queue,
            _age_family(
                "integration_oldest_pending_age_seconds",
                "Age of the oldest message waiting to be sent, by connector.",
                oldest_waiting,
                now,
            ),
            _age_family(
                "integration_oldest_dead_letter_age_seconds",
                "Time since the oldest unhandled dead letter of each connector died.",
                oldest_dead,
                now,
            ),
            messages,
        ]
        return families, oldest_dead

    @api.model
    def _counter_families(self):
        """Deliveries, attempts, failures and retries, the latency histogram: one query over
        the counters (connectors sharing a code across companies are added up)."""
        stored = {}
        for code, name, label, value in self._fetch(
            SQL(
                """
                SELECT c.code, m.name, m.label, sum(m.value)
                  FROM integration_metric m
                  JOIN integration_connector c ON c.id = m.connector_id
                 GROUP BY c.code, m.name, m.label
                 ORDER BY c.code, m.name, m.label
                """
            )
        ):
            stored.setdefault(name, {}).setdefault(code, {})[label] = value
        deliveries = _counter(
            "integration_deliveries", "Messages delivered (acknowledged), by connector."
        )
        attempts = _counter(
            "integration_delivery_attempts",
            "Delivery attempts (delivered or failed), by connector: the denominator of the "
            "failure rate.",
        )
        failures = _counter(
            "integration_failures",
            "Failed delivery attempts, by connector and error category.",
            ["connector", "category"],
        )
        retries = _counter(
            "integration_retries",
            "Failed delivery attempts scheduled for another attempt, by connector and category.",
            ["connector", "category"],
        )
        sent = stored.get("deliveries_total", {})
        failed = stored.get("failures_total", {})
        for code in sorted(set(sent) | set(failed)):
            delivered = sent.get(code, {}).get("", 0.0)
            deliveries.add_metric([code], delivered)
            attempts.add_metric([code], delivered + sum(failed.get(code, {}).values()))
        for family, name in ((failures, "failures_total"), (retries, "retries_total")):
            for code, by_label in sorted(stored.get(name, {}).items()):
                for label, value in sorted(by_label.items()):
                    family.add_metric([code, label], value)
        return [deliveries, attempts, failures, retries, _latency_family(stored)]

    @api.model
    def _inbound_families(self, now, oldest_dead):
        """Inbound events failing or dead (one query), and the oldest open exception of each
        connector: an outbound dead letter (``oldest_dead``, {code: since}) or such an event."""
        rows = self._fetch(
            SQL(
                """
                SELECT c.code, e.state, count(*), min(COALESCE(e.dead_at, e.create_date))
                  FROM integration_inbound_event e
                  JOIN integration_connector c ON c.id = e.connector_id
                 WHERE e.state IN %(states)s
                 GROUP BY c.code, e.state
                 ORDER BY c.code, e.state
                """,
                states=INBOUND_EXCEPTION_STATES,
            )
        )
        inbound = GaugeMetricFamily(
            "integration_inbound_exceptions",
            "Inbound events failing (retried) or dead, by connector and state.",
            labels=["connector", "state"],
        )
        oldest = dict(oldest_dead)
        for code, state, count, since in rows:
            inbound.add_metric([code, state], count)
            _keep_oldest(oldest, code, since)
        return [
            inbound,
            _age_family(
                "integration_oldest_open_exception_age_seconds",
                "Age of the oldest open exception of each connector: an outbound dead letter, "
                "or an inbound event failing or dead.",
                oldest,
                now,
            ),
        ]

    @api.model
    def _approval_models(self):
        """The models that use the approval mixin, as their classes in the registry."""
        names = self.env.registry["integration.approval.mixin"]._inherit_children
        return [
            self.env[name]
            for name in sorted(names)
            if not self.env[name]._abstract and not self.env[name]._transient
        ]

    @api.model
    def _approval_families(self, now):
        """Approvals waiting (count, oldest) per model, in one query over the approval
        models; the submit-to-approve cycle time over the last 30 days, in one more."""
        waiting = GaugeMetricFamily(
            "integration_approvals_waiting",
            "Records submitted for approval and waiting for a decision, by model.",
            labels=["model"],
        )
        oldest = {}
        approval_models = self._approval_models()
        if approval_models:
            for model, count, since in self._fetch(
                SQL(" UNION ALL ").join(
                    SQL(
                        "SELECT %s, count(*), min(requested_at) FROM %s WHERE %s = %s",
                        model._name,
                        SQL.identifier(model._table),
                        SQL.identifier(model._approval_state_field),
                        model._approval_waiting_state,
                    )
                    for model in approval_models
                )
            ):
                waiting.add_metric([model], count)
                if since:
                    oldest[model] = since
        return [
            waiting,
            _age_family(
                "integration_oldest_approval_waiting_age_seconds",
                "Time since the oldest record still waiting for approval was submitted, by model.",
                oldest,
                now,
                label="model",
            ),
            self._approval_cycle_family(now),
        ]

    @api.model
    def _approval_cycle_family(self, now):
        """Histogram of the time from submission to approval of the approvals decided in the
        last 30 days (a window, not a counter: read it without rate())."""
        rows = self._fetch(
            SQL(
                """
                WITH cycles AS (
                    SELECT a.res_model,
                           EXTRACT(EPOCH FROM a.create_date - s.submitted_at) AS seconds
                      FROM integration_approval_decision a
                     CROSS JOIN LATERAL (
                           SELECT max(s.create_date) AS submitted_at
                             FROM integration_approval_decision s
                            WHERE s.res_model = a.res_model AND s.res_id = a.res_id
                              AND s.decision = 'submit' AND s.id < a.id) s
                     WHERE a.decision = 'approve' AND a.create_date >= %(since)s
                       AND s.submitted_at IS NOT NULL
                )
                SELECT res_model, b.bound, count(*) FILTER (WHERE seconds <= b.bound),
                       count(*), sum(seconds)
                  FROM cycles CROSS JOIN unnest(%(bounds)s::float8[]) AS b(bound)
                 GROUP BY res_model, b.bound
                 ORDER BY res_model, b.bound
                """,
                since=now - timedelta(days=APPROVAL_CYCLE_DAYS),
                bounds=list(APPROVAL_CYCLE_BUCKETS),
            )
        )
        family = HistogramMetricFamily(
            "integration_approval_cycle_seconds",
            f"Time from submission to approval of the approvals of the last "
            f"{APPROVAL_CYCLE_DAYS} days, by model.",
            labels=["model"],
        )
        by_model = {}
        for model, bound, within, total, seconds in rows:
            buckets, _t, _s = by_model.setdefault(model, ([], total, float(seconds)))
            buckets.append((floatToGoString(bound), within))
        for model, (buckets, total, seconds) in by_model.items():
            family.add_metric([model], [*buckets, ("+Inf", total)], seconds)
        return family

    @api.model
    def _stock_families(self):
        """Stale products per stock channel, when stock_publication is installed: its own
        rule of staleness (``is_stale``), counted in one grouped read."""
        if "stock.publication.state" not in self.env:
            return []
        family = GaugeMetricFamily(
            "integration_stock_stale_products",
            "Products whose published quantity was not confirmed within the channel's "
            "window, by stock channel.",
            labels=["channel", "connector"],
        )
        stale = dict(
            self.env["stock.publication.state"]
            .sudo()
            ._read_group([("is_stale", "=", True)], ["channel_id"], ["__count"])
        )
        channels = self.env["stock.publication.channel"].sudo().search([])
        for channel in channels.sorted("id"):
            family.add_metric(
                [channel.name, channel.connector_id.code or ""], stale.get(channel, 0)
            )
        return [family]


class IntegrationCollector(Collector):
    """prometheus_client collector of one database's metrics, through its environment."""

    def __init__(self, metrics):
        self.metrics = metrics

    def collect(self):
        yield from self.metrics._metric_families()


def _counter(name, help_text, labels=("connector",)):
    return CounterMetricFamily(name, help_text, labels=list(labels))


def _keep_oldest(oldest, key, when):
    if when and (key not in oldest or when < oldest[key]):
        oldest[key] = when


def _age_family(name, help_text, since_by_key, now, label="connector"):
    family = GaugeMetricFamily(name, help_text, labels=[label])
    for key, since in sorted(since_by_key.items()):
        family.add_metric([key], max(0.0, (now - since).total_seconds()))
    return family


def _latency_family(stored):
    """The delivery latency histogram in seconds from the counters kept in milliseconds."""
    family = HistogramMetricFamily(
        "integration_delivery_latency_seconds",
        "Time the remote took to acknowledge each delivered message, by connector.",
        labels=["connector"],
    )
    buckets = stored.get("delivery_latency_ms_bucket", {})
    sums = stored.get("delivery_latency_ms_sum", {})
    for code, by_label in sorted(stored.get("deliveries_total", {}).items()):
        counts = buckets.get(code, {})
        family.add_metric(
            [code],
            [
                *(
                    (floatToGoString(bound / 1000), counts.get(str(bound), 0.0))
                    for bound in LATENCY_BUCKETS
                ),
                ("+Inf", by_label.get("", 0.0)),
            ],
            sums.get(code, {}).get("", 0.0) / 1000,
        )
    return family
