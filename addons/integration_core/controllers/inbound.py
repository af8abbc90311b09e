# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Inbound events: /integration/<connector code>/events.

The controller reads the request and hands it to ``integration.inbound.event``, which checks
it in the documented order and answers (see ``_receive_request``). It is served by its own
dispatcher, so that nothing Odoo does for ordinary ``type="http"`` routes happens before the
model sees the request: no method filter answering HTML 405s, no form parsing (a multipart
body of many parts is an HTML 413 there), no query-string field passed as an argument (one
named "self" is a TypeError there, a 500).
"""

import json

from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from odoo import http
from odoo.http import request

# A status Odoo or werkzeug raises on this route, as the API's error code.
HTTP_ERRORS = {
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


def json_response(status, body, headers=()):
    """The answer as the API writes every answer: JSON (ASCII) with this exact type."""
    return http.Response(
        json.dumps(body),
        status=status,
        headers=[("Content-Type", "application/json"), *dict(headers).items()],
    )


class InboundDispatcher(http.Dispatcher):
    """Routes of type "integration_inbound": the endpoint receives its path arguments and
    nothing else, and any error still answers JSON."""

    routing_type = "integration_inbound"

    @classmethod
    def is_compatible_with(cls, request):
        return True

    def dispatch(self, endpoint, args):
        self.request.params = dict(args)
        return self.request.registry["ir.http"]._dispatch(endpoint)

    def handle_error(self, exc):
        # Last resort: reaching it is a bug (odoo.http has logged the traceback already).
        if isinstance(exc, HTTPException) and exc.code in HTTP_ERRORS:
            return json_response(exc.code, {"error": HTTP_ERRORS[exc.code], "message": exc.name})
        return json_response(
            500, {"error": "internal_error", "message": "Odoo could not handle this request."}
        )


def read_body(limit):
    """The request body, or None when it is longer than limit bytes. werkzeug stops reading
    at the limit, also when the sender gives no Content-Length (chunked)."""
    httprequest = request.httprequest
    if (httprequest.content_length or 0) > limit:
        return None
    httprequest.max_content_length = limit
    try:
        body = httprequest.get_data(cache=False)
    except RequestEntityTooLarge:
        return None
    return body if len(body) <= limit else None


class IntegrationInboundController(http.Controller):
    @http.route(
        "/integration/<string:code>/events",
        type="integration_inbound",
        auth="none",
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def receive_event(self, code):
        """Every method reaches the model, which answers 405 to all but POST."""
        httprequest = request.httprequest
        status, body, headers = request.env(su=True)["integration.inbound.event"]._receive_request(
            code,
            httprequest.method,
            httprequest.headers,
            read_body,
            remote_addr=httprequest.remote_addr,
        )
        return json_response(status, body, headers)
