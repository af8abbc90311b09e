# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL


class IntegrationDashboard(models.AbstractModel):
    """The queue's figures per connector (waiting, dead letters, sent and failed in the last
    24 hours, latency), read apart from the queue's models: each figure from one grouped query
    that a partial index of integration_message serves."""

    _name = "integration.dashboard"
    _description = "Integration Dashboard Figures"

    @api.model
    def _connector_figures(self, connector_ids):
        """{connector id: {waiting, oldest, dead, sent_24h, p50, p95, failed_24h}}; missing
        keys mean zero."""
        since = fields.Datetime.now() - timedelta(hours=24)
        figures = defaultdict(dict)
        for cid, count, oldest in self._grouped(self._waiting_query(connector_ids)):
            figures[cid].update(waiting=count, oldest=oldest)
        for cid, count in self._grouped(self._dead_query(connector_ids)):
            figures[cid]["dead"] = count
        for cid, count, p50, p95 in self._grouped(self._sent_query(connector_ids, since)):
            figures[cid].update(sent_24h=count, p50=p50 or 0, p95=p95 or 0)
        for cid, count in self._grouped(self._failed_query(connector_ids, since)):
            figures[cid]["failed_24h"] = count
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
        return SQL(
            "SELECT connector_id, count(*) FROM integration_message "
            "WHERE state = 'dead' AND connector_id = ANY(%(ids)s) GROUP BY connector_id",
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
            SELECT connector_id, count(*) FROM integration_message
             WHERE state IN ('failed', 'dead') AND connector_id = ANY(%(ids)s)
               AND last_attempt_at >= %(since)s
             GROUP BY connector_id
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
