# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Real-time eligibility: /integration/<connector code>/promotion/eligibility.

A checkout server is a calling system, not a browser: it authenticates as its connector sends
events (Standard Webhooks signature, legacy HMAC signature or bearer token, the connector's
inbound secret), through integration_core's inbound dispatcher, so that any request gets a
JSON answer."""

from odoo import http
from odoo.http import request

from odoo.addons.integration_core.controllers.inbound import json_response, read_body


class PromotionEligibility(http.Controller):
    @http.route(
        "/integration/<string:code>/promotion/eligibility",
        type="integration_inbound",
        auth="none",
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def eligibility(self, code):
        """JSON POST {"lines": [{"sku", "qty", "price"}], "codes": [...]}: the approved
        promotions the cart gets, answered from snapshots (never from unapproved rules)."""
        httprequest = request.httprequest
        env = request.env(su=True)
        status, body, headers = env["integration.inbound.event"]._machine_request(
            code,
            httprequest.method,
            httprequest.headers,
            read_body,
            "promotion",
            env["loyalty.program"]._eligibility_answer,
            remote_addr=httprequest.remote_addr,
        )
        return json_response(status, body, headers)
