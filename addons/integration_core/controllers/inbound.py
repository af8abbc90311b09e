# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Inbound events: POST /integration/<connector code>/events.

Every request is checked in this order, and every refusal is a JSON error with a 4xx status
that writes nothing but a security log line:

  413 body_too_large      the body is over integration_inbound_max_body_bytes
  404 unknown_connector   no active connector with this code accepts inbound events
  423 connector_frozen    the connector is frozen
  401 unauthorized        missing / wrong signature or token, stale timestamp
  400 invalid_json        the body is not JSON
  422 invalid_envelope    the envelope does not match inbound_envelope/v1
  422 unknown_event_type  no such event type is declared
  403 domain_not_allowed  the connector may not send this data domain
  403 not_system_of_record the connector does not own this data domain
  422 invalid_payload     the payload does not match the event type's schema

Accepted: 202 {"status": "accepted", "id": ...}. The same event id again: 200 with the
original outcome and "duplicate": true; nothing changes.
"""

import hmac
import json
import logging

from werkzeug.exceptions import RequestEntityTooLarge

from odoo import http
from odoo.http import request
from odoo.tools import config

from ..tools import signing
from ..tools.crypto import SecretKeyError

_logger = logging.getLogger("odoo.addons.integration_core.inbound.security")


def _json(status, body):
    return request.make_response(
        json.dumps(body), headers=[("Content-Type", "application/json")], status=status
    )


class InboundRefusal(Exception):
    def __init__(self, status, error, message, **extra):
        super().__init__(message)
        self.status, self.error, self.message, self.extra = status, error, message, extra


class IntegrationInboundController(http.Controller):
    @http.route(
        "/integration/<string:code>/events",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def receive_event(self, code, **_kwargs):
        env = request.env(su=True)
        try:
            answer = self._receive(env, code)
        except InboundRefusal as refusal:
            _logger.warning(
                "Inbound event refused (%s %s) for connector %r from %s: %s",
                refusal.status,
                refusal.error,
                code,
                request.httprequest.remote_addr,
                refusal.message,
            )
            body = {"error": refusal.error, "message": refusal.message, **refusal.extra}
            return _json(refusal.status, body)
        return _json(*answer)

    @http.route("/integration/openapi.json", type="http", auth="none", methods=["GET"])
    def openapi(self):
        document = request.env(su=True)["integration.inbound.event"]._openapi_document()
        return _json(200, document)

    # ------------------------------------------------------------------ checks

    def _receive(self, env, code):
        body = self._read_body()
        connector = self._connector(env, code)
        self._authenticate(connector, body)
        try:
            envelope = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InboundRefusal(400, "invalid_json", f"The body is not valid JSON: {exc}") from exc
        Schema = env["integration.schema"]
        errors = (
            Schema._lookup("inbound_envelope")._errors(envelope)
            if isinstance(envelope, dict)
            else ["the body must be a JSON object"]
        )
        if errors:
            raise InboundRefusal(
                422, "invalid_envelope", "The envelope is invalid.", details=errors
            )
        event_type = env["integration.event.type"]._by_code(envelope["event_type"])
        if not event_type:
            raise InboundRefusal(
                422,
                "unknown_event_type",
                f"Odoo does not accept events of type {envelope['event_type']!r}.",
                accepted=env["integration.event.type"].sudo().search([]).mapped("code"),
            )
        domain = event_type.domain_id
        if envelope.get("domain") and envelope["domain"] != domain.code:
            raise InboundRefusal(
                422,
                "invalid_envelope",
                f"Event type {event_type.code} belongs to the {domain.code} domain, "
                f"not {envelope['domain']}.",
            )
        if domain not in connector.allowed_domain_ids:
            raise InboundRefusal(
                403,
                "domain_not_allowed",
                f"{connector.name} is not allowed to send {domain.name} data.",
            )
        if domain.owner_connector_id != connector:
            owner = domain.owner_connector_id.name or "Odoo"
            raise InboundRefusal(
                403,
                "not_system_of_record",
                f"{connector.name} is not the system of record for {domain.name} data "
                f"({owner} is), so Odoo does not accept changes to it from {connector.name}.",
            )
        errors = event_type.schema_id._errors(envelope["payload"])
        if errors:
            raise InboundRefusal(
                422,
                "invalid_payload",
                f"The payload does not match schema {event_type.schema_id.display_name}.",
                details=errors,
            )
        return env["integration.inbound.event"]._store(connector, event_type, envelope)

    def _read_body(self):
        limit = int(config.get("integration_inbound_max_body_bytes") or 1048576)
        length = request.httprequest.content_length
        if length is not None and length > limit:
            raise InboundRefusal(413, "body_too_large", f"The body is over {limit} bytes.")
        # A body without Content-Length (chunked) is cut off by werkzeug at the same limit.
        request.httprequest.max_content_length = limit
        try:
            body = request.httprequest.get_data(cache=False)
        except RequestEntityTooLarge as exc:
            raise InboundRefusal(413, "body_too_large", f"The body is over {limit} bytes.") from exc
        if len(body) > limit:
            raise InboundRefusal(413, "body_too_large", f"The body is over {limit} bytes.")
        return body

    def _connector(self, env, code):
        connectors = env["integration.connector"].search(
            [("code", "=", code), ("inbound_enabled", "=", True)]
        )
        if len(connectors) != 1:
            raise InboundRefusal(
                404, "unknown_connector", f"No connector {code!r} accepts inbound events here."
            )
        if connectors.frozen:
            raise InboundRefusal(
                423,
                "connector_frozen",
                f"{connectors.name} is frozen in Odoo: nothing is accepted from it for now.",
            )
        return connectors

    def _authenticate(self, connector, body):
        try:
            secret = connector._get_inbound_secret()
        except SecretKeyError:
            _logger.error("Inbound secret of connector %s cannot be decrypted", connector.code)
            secret = None
        if not secret:
            raise InboundRefusal(
                401, "unauthorized", "This connector has no inbound secret configured in Odoo."
            )
        headers = request.httprequest.headers
        if connector.inbound_auth == "token":
            given = headers.get("Authorization", "")
            expected = f"Bearer {secret}"
            if not hmac.compare_digest(given.encode(), expected.encode()):
                raise InboundRefusal(401, "unauthorized", "Missing or wrong bearer token.")
            return
        skew = int(config.get("integration_inbound_max_skew_seconds") or 300)
        reason = signing.verify(
            secret,
            headers.get(signing.TIMESTAMP_HEADER),
            headers.get(signing.SIGNATURE_HEADER),
            body,
            max_skew=skew,
        )
        if reason:
            raise InboundRefusal(401, "unauthorized", f"Signature check failed: {reason}.")
