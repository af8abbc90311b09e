# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

from odoo import http
from odoo.http import request

from ..models.integration_metric import CONTENT_TYPE
from ..tools import crypto

_logger = logging.getLogger("odoo.addons.integration_core.inbound.security")


class IntegrationMetricsController(http.Controller):
    @http.route(
        "/integration/metrics", type="http", auth="none", methods=["GET"], save_session=False
    )
    def metrics(self):
        """Prometheus text format; needs `Authorization: Bearer <token>` (token in Settings)."""
        env = request.env(su=True)
        token_hash = env["res.config.settings"]._integration_metrics_token_hash()
        if not token_hash:
            return self._plain(
                403, "Metrics are disabled: set a metrics token in Settings > Integration.\n"
            )
        scheme, _sep, token = request.httprequest.headers.get("Authorization", "").partition(" ")
        # Only a salted hash of the token is stored; the comparison is constant-time.
        if scheme != "Bearer" or not crypto.token_matches(token, token_hash):
            _logger.warning(
                "Metrics scrape refused from %s: missing or wrong token",
                request.httprequest.remote_addr,
            )
            return self._plain(401, "Missing or wrong token: send Authorization: Bearer <token>.\n")
        return self._plain(200, env["integration.metric"]._prometheus_text(), CONTENT_TYPE)

    def _plain(self, status, text, content_type="text/plain; charset=utf-8"):
        return request.make_response(text, headers=[("Content-Type", content_type)], status=status)
