# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .integration_metric import INBOUND_EXCEPTION_STATES

# Exceptions by age: upper bounds (s) of the buckets (1 hour, 1 day, 1 week), then older.
EXCEPTION_AGE_BOUNDS = (3600, 86400, 604800)


def _no_none(value):
    """`value` with every None (no figure: an age of nothing) made False, at any depth:
    XML-RPC cannot carry None, and the method is public."""
    if value is None:
        return False
    if isinstance(value, dict):
        return {key: _no_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_no_none(item) for item in value]
    return value


class IntegrationDashboard(models.AbstractModel):
    """The queue's figures per connector (waiting, dead letters, sent and failed in the last
    24 hours, latency), read apart from the queue's models: each figure from one grouped query
    that a partial index of integration_message serves. The connectors' health fields and the
    operations dashboard (get_operations_data) read them here, so both say the same."""

    _name = "integration.dashboard"
    _description = "Integration Dashboard Figures"

    @api.model
    def _connector_figures(self, connector_ids):
        """{connector id: {waiting, oldest, dead, dead_since, sent_24h, p50, p95, failed_24h,
        failed_by_category}}; missing keys mean zero."""
        since = fields.Datetime.now() - timedelta(hours=24)
        figures = defaultdict(dict)
        for cid, count, oldest in self._grouped(self._waiting_query(connector_ids)):
            figures[cid].update(waiting=count, oldest=oldest)
        for cid, count, dead_since in self._grouped(self._dead_query(connector_ids)):
            figures[cid].update(dead=count, dead_since=dead_since)
        for cid, count, p50, p95 in self._grouped(self._sent_query(connector_ids, since)):
            figures[cid].update(sent_24h=count, p50=p50 or 0, p95=p95 or 0)
        for cid, category, count in self._grouped(self._failed_query(connector_ids, since)):
            figures[cid]["failed_24h"] = figures[cid].get("failed_24h", 0) + count
            by_category = figures[cid].setdefault("failed_by_category", {})
            by_category[category or "unknown"] = count
        return figures

    @api.model
    def _grouped(self, query):
        self.env.cr.execute(query)
        return self.env.cr.fetchall()

    @api.model
    def _waiting_query(self, connector_ids):
        return SQL(
            """
            SELECT connector_id, count(*), min(create_date)
              FROM integration_message
             WHERE state IN ('pending', 'failed', 'sending') AND connector_id = ANY(%(ids)s)
             GROUP BY connector_id
            """,
            ids=connector_ids,
        )

    @api.model
    def _dead_query(self, connector_ids):
        # The age of a dead letter counts from its death (older rows have no dead_at).
        return SQL(
            """
            SELECT connector_id, count(*), min(COALESCE(dead_at, write_date))
              FROM integration_message
             WHERE state = 'dead' AND connector_id = ANY(%(ids)s)
             GROUP BY connector_id
            """,
            ids=connector_ids,
        )

    @api.model
    def _sent_query(self, connector_ids, since):
        return SQL(
            """
            SELECT connector_id, count(*),
                   percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms),
                   percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms)
              FROM integration_message
             WHERE state = 'sent' AND connector_id = ANY(%(ids)s) AND sent_at >= %(since)s
             GROUP BY connector_id
            """,
            ids=connector_ids,
            since=since,
        )

    @api.model
    def _failed_query(self, connector_ids, since):
        return SQL(
            """
            SELECT connector_id, error_category, count(*) FROM integration_message
             WHERE state IN ('failed', 'dead') AND connector_id = ANY(%(ids)s)
               AND last_attempt_at >= %(since)s
             GROUP BY connector_id, error_category
            """,
            ids=connector_ids,
            since=since,
        )

    @api.model
    def _connector_values(self, connector_ids):
        """{connector id: values of the connector's dashboard fields}; every id is present."""
        figures = self._connector_figures(connector_ids) if connector_ids else {}
        return {cid: self._figure_values(figures.get(cid) or {}) for cid in connector_ids}

    @api.model
    def _figure_values(self, data):
        return {
            "queue_depth": data.get("waiting", 0),
            "dead_count": data.get("dead", 0),
            "oldest_pending_at": data.get("oldest"),
            "sent_24h": data.get("sent_24h", 0),
            "failed_24h": data.get("failed_24h", 0),
            "latency_p50_ms": data.get("p50", 0),
            "latency_p95_ms": data.get("p95", 0),
        }

    # ------------------------------------------------------------------ operations screen

    @api.model
    def get_operations_data(self):
        """Every figure of the operations dashboard (the client action), as one JSON-able dict:
        counters, charts, a table per connector and the sections other addons add.

        Public, so reachable over RPC: only Integration Users may call it, and it reads only
        the connectors the caller may read (company rules); every query is limited to them."""
        connectors = self.env["integration.connector"]
        connectors._integration_check_caller("integration_core.group_integration_user")
        connectors = connectors.search([])
        self.env.flush_all()
        now = fields.Datetime.now()
        figures = self._connector_figures(connectors.ids) if connectors else {}
        sent = self._operations_sent(connectors.ids, now)
        exceptions = self._operations_exceptions(connectors.ids, now)
        approvals = self._operations_approvals(now)
        return _no_none(
            {
                "generated_at": fields.Datetime.to_string(now),
                "has_connectors": bool(connectors),
                "counters": self._operations_counters(connectors, figures, sent, exceptions, now)
                + approvals,
                "throughput": sent["hours"],
                "failure_categories": self._operations_failure_categories(figures),
                "exceptions_by_age": exceptions["buckets"],
                "connectors": self._operations_connectors(connectors, figures, now),
                "sections": self._operations_sections(connectors, now),
            }
        )

    @api.model
    def _operations_sections(self, connectors, now):
        """Tables the other addons add to the dashboard (prices, promotions, stock): extend
        and append dicts {key, title, note, columns: [{key, label}], rows: [{label, cells:
        {column key: {value, age?, action?}}}], empty}. Read within `connectors` only."""
        return []

    @api.model
    def _operations_action(self, name, model, domain):
        """What a click on a figure opens: the list behind it (the web client reads it with
        the caller's rights)."""
        return {"name": name, "res_model": model, "domain": domain}

    @api.model
    def _messages_action(self, name, connector_ids, domain):
        return self._operations_action(
            name, "integration.message", [("connector_id", "in", connector_ids), *domain]
        )

    @api.model
    def _operations_sent(self, connector_ids, now):
        """Messages sent per hour over the last 24 hours (one slot per hour, the current one
        last) and the latency percentiles of them all, in one query."""
        start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
        by_hour, total = {}, (0, 0, 0)
        if connector_ids:
            for hour, count, p50, p95 in self._grouped(self._hourly_query(connector_ids, start)):
                if hour is None:
                    total = (count, p50 or 0, p95 or 0)
                else:
                    by_hour[hour] = count
        hours = [start + timedelta(hours=i) for i in range(24)]
        return {
            "hours": [
                {"hour": fields.Datetime.to_string(hour), "count": by_hour.get(hour, 0)}
                for hour in hours
            ],
            "count": total[0],
            "p50": total[1],
            "p95": total[2],
        }

    @api.model
    def _hourly_query(self, connector_ids, start):
        # The empty grouping set adds the row of all hours (hour NULL): percentiles of the
        # whole day, which no sum of the hours gives.
        return SQL(
            """
            SELECT date_trunc('hour', sent_at), count(*),
                   percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms),
                   percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms)
              FROM integration_message
             WHERE state = 'sent' AND connector_id = ANY(%(ids)s) AND sent_at >= %(start)s
             GROUP BY GROUPING SETS ((date_trunc('hour', sent_at)), ())
            """,
            ids=connector_ids,
            start=start,
        )

    @api.model
    def _operations_exceptions(self, connector_ids, now):
        """Exceptions waiting for someone (outbound dead letters, inbound events failing or
        dead) by age, in one query; with the inbound count and its oldest."""
        labels = self._exception_age_labels()
        buckets = [{"label": label, "outbound": 0, "inbound": 0} for label in labels]
        inbound = {"count": 0, "oldest": None}
        rows = self._grouped(self._exception_age_query(connector_ids, now)) if connector_ids else []
        for kind, bucket, count, oldest in rows:
            buckets[bucket][kind] += count
            if kind == "inbound":
                inbound["count"] += count
                inbound["oldest"] = min(filter(None, (inbound["oldest"], oldest)), default=None)
        return {"buckets": buckets, "inbound": inbound}

    @api.model
    def _exception_age_labels(self):
        _ = self.env._
        return [_("Under 1 hour"), _("1 to 24 hours"), _("1 to 7 days"), _("Over 7 days")]

    @api.model
    def _exception_age_query(self, connector_ids, now):
        # width_bucket: 0 under the first bound, 1 between the first two, ... 3 above the last.
        return SQL(
            """
            SELECT kind, width_bucket(EXTRACT(EPOCH FROM %(now)s - since)::float8,
                                      %(bounds)s::float8[]),
                   count(*), min(since)
              FROM (SELECT 'outbound' AS kind, COALESCE(dead_at, write_date) AS since
                      FROM integration_message
                     WHERE state = 'dead' AND connector_id = ANY(%(ids)s)
                     UNION ALL
                    SELECT 'inbound', COALESCE(dead_at, create_date)
                      FROM integration_inbound_event
                     WHERE state IN %(states)s AND connector_id = ANY(%(ids)s)) exceptions
             GROUP BY 1, 2
            """,
            now=now,
            bounds=list(EXCEPTION_AGE_BOUNDS),
            ids=connector_ids,
            states=INBOUND_EXCEPTION_STATES,
        )

    @api.model
    def _operations_counters(self, connectors, figures, sent, exceptions, now):
        """The queue's counters (cards), each with the list it opens."""
        _ = self.env._
        ids = connectors.ids
        rows = list(figures.values())
        waiting = sum(f.get("waiting", 0) for f in rows)
        dead = sum(f.get("dead", 0) for f in rows)
        sent_24h = sum(f.get("sent_24h", 0) for f in rows)
        failed_24h = sum(f.get("failed_24h", 0) for f in rows)
        attempted = sent_24h + failed_24h
        since = fields.Datetime.to_string(now - timedelta(hours=24))
        oldest_waiting = _age(now, *(f.get("oldest") for f in rows))
        oldest_dead = _age(now, *(f.get("dead_since") for f in rows))
        inbound = exceptions["inbound"]
        return [
            _counter(
                "waiting",
                _("Waiting to be sent"),
                waiting,
                _("messages"),
                self._messages_action(
                    _("Waiting messages"), ids, [("state", "in", ["pending", "failed", "sending"])]
                ),
                age=oldest_waiting,
                age_label=_("oldest waits"),
                severity="warning" if (oldest_waiting or 0) > 3600 else "ok",
            ),
            _counter(
                "dead",
                _("Dead letters"),
                dead,
                _("messages"),
                self._messages_action(_("Dead letters"), ids, [("state", "=", "dead")]),
                age=oldest_dead,
                age_label=_("oldest died"),
                severity="danger" if dead else "ok",
            ),
            _counter(
                "sent",
                _("Sent, last 24 hours"),
                sent_24h,
                _("messages"),
                self._messages_action(
                    _("Sent in the last 24 hours"),
                    ids,
                    [("state", "=", "sent"), ("sent_at", ">=", since)],
                ),
            ),
            _counter(
                "failure_rate",
                _("Failure rate, last 24 hours"),
                round(100.0 * failed_24h / attempted, 1) if attempted else 0,
                "%",
                self._messages_action(
                    _("Failed in the last 24 hours"),
                    ids,
                    [("state", "in", ["failed", "dead"]), ("last_attempt_at", ">=", since)],
                ),
                note=_("%(failed)s failed of %(total)s", failed=failed_24h, total=attempted),
                severity="warning" if attempted and failed_24h / attempted > 0.05 else "ok",
            ),
            _counter(
                "latency",
                _("Latency, last 24 hours"),
                f"{sent['p50']} / {sent['p95']}",
                _("ms (p50 / p95)"),
                self._messages_action(
                    _("Sent in the last 24 hours"),
                    ids,
                    [("state", "=", "sent"), ("sent_at", ">=", since)],
                ),
                note=_("half of the deliveries within p50, 95 in 100 within p95"),
            ),
            _counter(
                "inbound",
                _("Inbound events set aside"),
                inbound["count"],
                _("events"),
                self._operations_action(
                    _("Inbound events set aside"),
                    "integration.inbound.event",
                    [
                        ("connector_id", "in", ids),
                        ("state", "in", list(INBOUND_EXCEPTION_STATES)),
                    ],
                ),
                age=_age(now, inbound["oldest"]),
                age_label=_("oldest since"),
                severity="warning" if inbound["count"] else "ok",
            ),
        ]

    @api.model
    def _operations_failure_categories(self, figures):
        """Failed messages of the last 24 hours by error category, in words."""
        names = dict(
            self.env["integration.message"]
            ._fields["error_category"]
            ._description_selection(self.env)
        )
        counts = defaultdict(int)
        for data in figures.values():
            for category, count in data.get("failed_by_category", {}).items():
                counts[category] += count
        return [
            {"category": category, "label": names.get(category, category), "count": count}
            for category, count in sorted(counts.items(), key=lambda item: -item[1])
        ]

    @api.model
    def _operations_connectors(self, connectors, figures, now):
        """One row per connector: its queue, dead letters, deliveries and latency."""
        _ = self.env._
        rows = []
        for connector in connectors:
            data = figures.get(connector.id) or {}
            ids = [connector.id]
            rows.append(
                {
                    "id": connector.id,
                    "name": connector.name,
                    "waiting": data.get("waiting", 0),
                    "oldest_waiting": _age(now, data.get("oldest")),
                    "dead": data.get("dead", 0),
                    "oldest_dead": _age(now, data.get("dead_since")),
                    "sent_24h": data.get("sent_24h", 0),
                    "failed_24h": data.get("failed_24h", 0),
                    "p50": data.get("p50", 0),
                    "p95": data.get("p95", 0),
                    "waiting_action": self._messages_action(
                        _("Waiting: %s", connector.name),
                        ids,
                        [("state", "in", ["pending", "failed", "sending"])],
                    ),
                    "dead_action": self._messages_action(
                        _("Dead letters: %s", connector.name), ids, [("state", "=", "dead")]
                    ),
                }
            )
        return rows

    @api.model
    def _operations_approvals(self, now):
        """A counter per approval model the caller may read: records waiting for a decision
        and the oldest wait, read with the caller's rules (one grouped read per model)."""
        _ = self.env._
        counters = []
        for model in self.env["integration.metric"]._approval_models():
            if not model.has_access("read"):
                continue
            domain = [(model._approval_state_field, "=", model._approval_waiting_state)]
            [(count, oldest)] = model._read_group(domain, [], ["__count", "requested_at:min"])
            counters.append(
                _counter(
                    f"approvals:{model._name}",
                    _("%s waiting for approval", model._description),
                    count,
                    _("records"),
                    self._operations_action(
                        _("%s to approve", model._description), model._name, domain
                    ),
                    age=_age(now, oldest),
                    age_label=_("oldest waits"),
                    severity="warning" if (_age(now, oldest) or 0) > 86400 else "ok",
                )
            )
        return counters

    @api.model
    def _operations_publication_section(self, connectors, now, key, title, domain_codes):
        """A section for the addons that publish a data domain (prices, promotions): per
        connector that may receive it, messages waiting, sent in 24 hours and dead; one
        grouped query."""
        _ = self.env._
        domains = self.env["integration.data.domain"].sudo().search([("code", "in", domain_codes)])
        receivers = connectors.filtered(lambda c: c.allowed_domain_ids & domains)
        counts = defaultdict(dict)
        if receivers:
            query = self._publication_query(receivers.ids, domains.ids, now)
            for cid, state, count, oldest in self._grouped(query):
                counts[cid][state] = (count, oldest)
        since = fields.Datetime.to_string(now - timedelta(hours=24))
        filters = {
            "waiting": [("state", "in", ["pending", "failed", "sending"])],
            "sent": [("state", "=", "sent"), ("sent_at", ">=", since)],
            "dead": [("state", "=", "dead")],
        }
        rows = []
        for connector in receivers:
            cells = {}
            for column, domain in filters.items():
                count, oldest = counts[connector.id].get(column, (0, None))
                cells[column] = {
                    "value": count,
                    "age": _age(now, oldest) if column == "waiting" else None,
                    "action": self._messages_action(
                        f"{title}: {connector.name}",
                        [connector.id],
                        [("domain_id", "in", domains.ids), *domain],
                    ),
                }
            rows.append({"label": connector.name, "cells": cells})
        return {
            "key": key,
            "title": title,
            "note": _("Messages per channel: waiting, sent in the last 24 hours, dead letters."),
            "columns": [
                {"key": "waiting", "label": _("Waiting")},
                {"key": "sent", "label": _("Sent, 24 h")},
                {"key": "dead", "label": _("Dead letters")},
            ],
            "rows": rows,
            "empty": _("No connector receives these data."),
        }

    @api.model
    def _publication_query(self, connector_ids, domain_ids, now):
        # 'waiting' folds pending, failed and sending; sent ones count for the last 24 h only.
        return SQL(
            """
            SELECT connector_id,
                   CASE WHEN state IN ('pending', 'failed', 'sending') THEN 'waiting'
                        ELSE state END,
                   count(*), min(create_date)
              FROM integration_message
             WHERE connector_id = ANY(%(ids)s) AND domain_id = ANY(%(domains)s)
               AND (state IN ('pending', 'failed', 'sending', 'dead')
                    OR (state = 'sent' AND sent_at >= %(since)s))
             GROUP BY 1, 2
            """,
            ids=connector_ids,
            domains=domain_ids,
            since=now - timedelta(hours=24),
        )


def _age(now, *moments):
    """Seconds since the oldest of `moments` (None when there is none)."""
    oldest = min(filter(None, moments), default=None)
    return int((now - oldest).total_seconds()) if oldest else None


def _counter(key, title, value, unit, action, age=None, age_label="", note="", severity="ok"):
    return {
        "key": key,
        "title": title,
        "value": value,
        "unit": unit,
        "action": action,
        "age": age,
        "age_label": age_label,
        "note": note,
        "severity": severity,
    }
