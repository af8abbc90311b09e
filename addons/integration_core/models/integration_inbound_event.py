# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import copy
import hmac
import json
import logging
import re
import secrets
import traceback
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, config

from ..compat.constraints import sql_constraints
from ..compat.testing import registry_in_test_mode
from ..tools import backoff, cloudevents, dates, options, signing, strict_json
from ..tools.crypto import SecretKeyError
from ..tools.product_mapping import internal_sku

_logger = logging.getLogger(__name__)
_security_logger = logging.getLogger("odoo.addons.integration_core.inbound.security")

# application/json, optionally with charset=utf-8: the only body the endpoint reads.
JSON_CONTENT_TYPE = re.compile(
    r'application/(json|cloudevents\+json)(\s*;\s*charset\s*=\s*("utf-8"|utf-8))?\s*',
    re.IGNORECASE,
)
# Stands in for the secret of a connector that does not exist or has none, so that refusing
# it takes as long as refusing a wrong signature.
_NOBODY_SECRET = secrets.token_hex(32)

INBOUND_STATES = [
    ("received", "Received"),
    ("processing", "Processing"),
    ("failed", "Failed, will retry"),
    ("done", "Done"),
    ("dead", "Dead letter"),
    ("cancelled", "Cancelled"),
]


# The event types by which a channel says what it did with what Odoo sent it.
ACKNOWLEDGEMENT_TYPES = ("price.applied", "promotion.applied", "stock.applied")


class InboundRefusal(Exception):
    """A request refused at the door: nothing is stored. ``error`` is the stable code senders
    program against, ``message`` the words for people; ``reason`` goes to the security log
    only (a 401 says nothing more than "unauthorized" to the sender)."""

    def __init__(self, status, error, message, details=None, headers=None, reason=None):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message
        self.details, self.headers, self.reason = details, headers or {}, reason

    def answer(self):
        body = {"error": self.error, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return self.status, body, self.headers


class InboundRefused(Exception):
    """A handler refuses an event for a business reason (the message says which, in words).
    The event becomes a dead letter at once: retrying cannot help."""

    def __init__(self, message, category="validation"):
        super().__init__(message)
        self.category = category


@sql_constraints
class IntegrationInboundEvent(models.Model):
    """An event received from an external system (WMS, pricing or promotion engine): stored
    first, then processed by a Scheduled Action with retries and dead letters.

    Requests are checked and stored by ``_receive_request`` (the controller hands them over
    as they come). Domain addons handle event types by declaring a handler method in
    ``_get_inbound_handlers``; it receives events already validated and ownership-checked.
    """

    _name = "integration.inbound.event"
    _description = "Integration Inbound Event"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    # Nobody writes events directly (access rights: read only); readers may discuss them.
    _mail_post_access = "read"

    connector_id = fields.Many2one(
        "integration.connector", required=True, ondelete="restrict", index=True, readonly=True
    )
    company_id = fields.Many2one(related="connector_id.company_id", store=True, index=True)
    domain_id = fields.Many2one(
        "integration.data.domain", "Data domain", required=True, ondelete="restrict", readonly=True
    )
    event_type = fields.Char(required=True, readonly=True)
    external_id = fields.Char(
        "Sender's event id",
        required=True,
        readonly=True,
        help="The sender's id of this event: a repeat with the same id changes nothing.",
    )
    payload = fields.Json(readonly=True)
    schema_id = fields.Many2one("integration.schema", readonly=True, ondelete="restrict")
    state = fields.Selection(
        INBOUND_STATES, required=True, default="received", readonly=True, tracking=True, index=True
    )
    attempts = fields.Integer(readonly=True)
    next_attempt_at = fields.Datetime(readonly=True, default=fields.Datetime.now)
    processed_at = fields.Datetime(readonly=True)
    dead_at = fields.Datetime(readonly=True)
    result = fields.Char(readonly=True, help="What processing did, in words.")
    error_category = fields.Selection(
        [
            ("validation", "Invalid content"),
            ("mapping", "Mapping missing"),
            ("ownership", "Not the system of record"),
            ("unknown_event", "Unknown event type"),
            ("processing", "Processing error"),
        ],
        readonly=True,
    )
    error_message = fields.Text(readonly=True)

    _sql_constraints = [
        (
            "external_id_uniq",
            "unique(connector_id, external_id)",
            "This event was already received from this connector.",
        )
    ]

    @api.depends("event_type", "connector_id")
    def _compute_display_name(self):
        for event in self:
            event.display_name = f"{event.connector_id.name or ''} → {event.event_type or ''}"

    # ------------------------------------------------------------------ receiving

    @api.model
    def _receive_request(self, code, method, headers, read_body, remote_addr=None):
        """Check one request to /integration/<code>/events and store its event.

        ``headers`` is a mapping, ``read_body(limit)`` returns the body as bytes or None when
        it is longer than limit. Returns (status, JSON body, headers). The checks run in the
        order the API documents, one method each; a refusal is a JSON 4xx that writes nothing
        but a line in the security log: 405 method_not_allowed, 413 body_too_large,
        415 unsupported_media_type, 401 unauthorized, 423 connector_frozen, 400 invalid_json,
        422 invalid_envelope, 422 unknown_event_type, 403 domain_not_allowed,
        403 not_system_of_record, 422 invalid_payload. Accepted: 202, or 200 for an event id
        already received (nothing changes)."""
        try:
            status, body = self._accept_request(code, method, headers, read_body)
        except InboundRefusal as refusal:
            return self._refused("Inbound event", refusal, code, remote_addr)
        return status, body, {}

    @api.model
    def _refused(self, what, refusal, code, remote_addr):
        """Log a refusal in the security log; its (status, JSON body, headers)."""
        _security_logger.warning(
            "%s refused (%s %s) for connector %r from %s: %s%s",
            what,
            refusal.status,
            refusal.error,
            code[:100],
            remote_addr,
            refusal.message,
            f" ({refusal.reason})" if refusal.reason else "",
        )
        return refusal.answer()

    @api.model
    def _machine_request(self, code, method, headers, read_body, domain, answer, remote_addr=None):
        """A calling system's request to a machine endpoint other than events (the promotion
        eligibility endpoint), authenticated the way its connector sends events: 405, 413,
        415 (JSON only), 401 unauthorized (the same answer whatever failed), 423 frozen, 403
        domain_not_allowed unless the connector may exchange data domain `domain`, 400
        invalid_json; then `answer(connector, document)` gives (status, JSON body) or raises
        InboundRefusal. Returns (status, JSON body, headers)."""
        try:
            self._check_method(method)
            body = self._read_limited_body(read_body)
            if self._check_content_type(headers.get("Content-Type")):
                raise InboundRefusal(
                    415,
                    "unsupported_media_type",
                    self.env._("Send JSON in UTF-8, Content-Type: application/json."),
                )
            connector = self._authenticate(code, headers, body)
            self._check_not_frozen(connector)
            if domain not in connector.allowed_domain_ids.mapped("code"):
                raise InboundRefusal(
                    403,
                    "domain_not_allowed",
                    self.env._(
                        "Connector %(connector)s is not allowed %(domain)s data.",
                        connector=connector.name,
                        domain=domain,
                    ),
                )
            status, answer_body = answer(connector, self._strict_json(body))
        except InboundRefusal as refusal:
            return self._refused("Machine request", refusal, code, remote_addr)
        return status, answer_body, {}

    @api.model
    def _accept_request(self, code, method, headers, read_body):
        self._check_method(method)
        body = self._read_limited_body(read_body)
        cloudevent = self._check_content_type(headers.get("Content-Type"))
        connector = self._authenticate(code, headers, body)
        self._check_not_frozen(connector)
        envelope = self._parse_envelope(body, cloudevent=cloudevent)
        event_type = self._event_type_of(envelope)
        self._check_sender(connector, event_type)
        self._check_payload(event_type, envelope["payload"])
        return self._store(connector, event_type, envelope)

    @api.model
    def _check_method(self, method):
        if method != "POST":
            raise InboundRefusal(
                405,
                "method_not_allowed",
                self.env._("Send events with POST."),
                headers={"Allow": "POST"},
            )

    @api.model
    def _read_limited_body(self, read_body):
        limit = int(options.get(config, "inbound_max_body_bytes") or 1048576)
        body = read_body(limit)
        if body is None:
            raise InboundRefusal(
                413, "body_too_large", self.env._("The body is over %s bytes.", limit)
            )
        return body

    @api.model
    def _check_content_type(self, content_type):
        """True for a CloudEvent in structured mode (application/cloudevents+json), False for
        the suite's envelope (application/json); anything else is refused."""
        match = JSON_CONTENT_TYPE.fullmatch(content_type or "")
        if not match:
            raise InboundRefusal(
                415,
                "unsupported_media_type",
                self.env._(
                    "Send the event as JSON in UTF-8, Content-Type: application/json (or a "
                    "CloudEvent, application/cloudevents+json)."
                ),
            )
        return match.group(1).lower() == "cloudevents+json"

    @api.model
    def _authenticate(self, code, headers, body):
        """The connector that signed this request. Whatever fails (no such connector, a code
        no connector can have, inbound events disabled, no secret, a wrong signature or token,
        a stale timestamp), the answer is the same: it must not tell who exists."""
        connector = self._inbound_connector(code)
        secret = self._inbound_secret(connector) if connector else None
        # Checked even with no connector or no secret (with a secret nobody has): refusing
        # an unknown code takes as long as refusing a wrong signature.
        reason = self._credentials_refusal(
            connector.inbound_auth or "standard_webhooks", secret or _NOBODY_SECRET, headers, body
        )
        if not connector:
            reason = "no connector with this code accepts inbound events"
        elif not secret:
            reason = "the connector has no usable inbound secret"
        if reason:
            raise InboundRefusal(
                401,
                "unauthorized",
                self.env._(
                    "Authentication failed: check the connector code in the URL, the "
                    "signature or token, and the clock."
                ),
                reason=reason,
            )
        return connector

    @api.model
    def _inbound_connector(self, code):
        Connector = self.env["integration.connector"].sudo()
        # A code with NUL or control characters cannot exist (and PostgreSQL refuses NUL).
        if not code or len(code) > 100 or not code.isprintable():
            return Connector
        connectors = Connector.search(
            [("code", "=", code), ("inbound_enabled", "=", True)], limit=2
        )
        return connectors if len(connectors) == 1 else Connector

    @api.model
    def _inbound_secret(self, connector):
        try:
            return connector._get_inbound_secret()
        except SecretKeyError:
            _logger.error("Inbound secret of connector %s cannot be decrypted", connector.code)
            return None

    @api.model
    def _credentials_refusal(self, auth, secret, headers, body):
        """Why the request's token or signature is not right, or None."""
        if auth == "token":
            given = headers.get("Authorization", "").encode("utf-8", "replace")
            if not hmac.compare_digest(given, f"Bearer {secret}".encode()):
                return "missing or wrong bearer token"
            return None
        skew = int(options.get(config, "inbound_max_skew_seconds") or 300)
        if auth == "standard_webhooks":
            return signing.webhook_verify(secret, headers, body, max_skew=skew)
        timestamp = headers.get(signing.TIMESTAMP_HEADER) or ""
        signature = headers.get(signing.SIGNATURE_HEADER) or ""
        # signing.verify compares str digests (ASCII only) and subtracts the timestamp from
        # a float: non-ASCII signatures and huge timestamps must not reach it.
        if not signature.isascii() or not (timestamp.isascii() and timestamp.isdigit()):
            return "missing or malformed signature or timestamp header"
        if len(timestamp) > 12:
            return "timestamp is not a Unix time in seconds"
        return signing.verify(secret, timestamp, signature, body, max_skew=skew)

    @api.model
    def _check_not_frozen(self, connector):
        if connector.frozen:
            raise InboundRefusal(
                423,
                "connector_frozen",
                self.env._(
                    "%s is frozen in Odoo: nothing is accepted from it for now.", connector.name
                ),
            )

    @api.model
    def _strict_json(self, body):
        """The value of a strict JSON body, or a 400 invalid_json."""
        try:
            return strict_json.loads(body)
        except strict_json.StrictJSONError as exc:
            raise InboundRefusal(
                400, "invalid_json", self.env._("The body is not strict JSON: %s.", exc)
            ) from exc

    @api.model
    def _parse_envelope(self, body, cloudevent=False):
        """The envelope of a strict JSON body (tools/strict_json.py says what is refused:
        NaN, numbers beyond 64 bits, NUL and lone surrogates, duplicate keys, deep nesting);
        with `cloudevent`, the body is a CloudEvent read as the envelope."""
        envelope = self._strict_json(body)
        if not isinstance(envelope, dict):
            raise InboundRefusal(
                422, "invalid_envelope", self.env._("The body must be a JSON object.")
            )
        if cloudevent:
            envelope, errors = cloudevents.to_inbound_envelope(envelope)
            if errors:
                raise InboundRefusal(
                    422,
                    "invalid_envelope",
                    self.env._("The CloudEvent is invalid."),
                    details=errors,
                )
        errors = self.env["integration.schema"]._lookup("inbound_envelope")._errors(envelope)
        if errors:
            raise InboundRefusal(
                422, "invalid_envelope", self.env._("The envelope is invalid."), details=errors
            )
        return envelope

    @api.model
    def _event_type_of(self, envelope):
        EventType = self.env["integration.event.type"].sudo()
        event_type = EventType._by_code(envelope["event_type"])
        if not event_type:
            raise InboundRefusal(
                422,
                "unknown_event_type",
                self.env._(
                    "Odoo does not accept events of type %s; the details list those it accepts.",
                    envelope["event_type"],
                ),
                details=EventType.search([]).mapped("code"),
            )
        domain = event_type.domain_id
        if envelope.get("domain") and envelope["domain"] != domain.code:
            raise InboundRefusal(
                422,
                "invalid_envelope",
                self.env._(
                    "Event type %(type)s belongs to the %(domain)s domain, not %(given)s.",
                    type=event_type.code,
                    domain=domain.code,
                    given=envelope["domain"],
                ),
            )
        return event_type

    @api.model
    def _check_sender(self, connector, event_type):
        refusal = event_type._sender_refusal(connector)
        if refusal:
            raise InboundRefusal(403, *refusal)

    @api.model
    def _check_payload(self, event_type, payload):
        errors = event_type._payload_errors(payload)
        if errors:
            raise InboundRefusal(
                422,
                "invalid_payload",
                self.env._(
                    "The payload does not match schema %s.", event_type.schema_id.display_name
                ),
                details=errors,
            )

    @api.model
    def _store(self, connector, event_type, envelope):
        """Store an accepted event once per (connector, sender's event id), even when the
        same event arrives on several connections at once. Returns (status, body)."""
        registry = self.env.registry
        if registry_in_test_mode(registry):
            return self._store_in(self.env.cr, connector, event_type, envelope)
        # Its own short transaction, in READ COMMITTED: a concurrent insert of the same event
        # id makes ours do nothing, and we must then see the row the other one committed.
        with registry.cursor() as cr:
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            return self._store_in(cr, connector, event_type, envelope)

    @api.model
    def _store_in(self, cr, connector, event_type, envelope):
        now = fields.Datetime.now()
        cr.execute(
            SQL(
                """
                INSERT INTO integration_inbound_event (
                    connector_id, company_id, domain_id, event_type, external_id, payload,
                    schema_id, state, attempts, next_attempt_at,
                    create_uid, create_date, write_uid, write_date)
                VALUES (%(connector)s, %(company)s, %(domain)s, %(type)s, %(external)s,
                        %(payload)s::jsonb, %(schema)s, 'received', 0, %(now)s,
                        %(uid)s, %(now)s, %(uid)s, %(now)s)
                ON CONFLICT (connector_id, external_id) DO NOTHING
                RETURNING id
                """,
                connector=connector.id,
                company=connector.company_id.id,
                domain=event_type.domain_id.id,
                type=event_type.code,
                external=envelope["event_id"],
                payload=json.dumps(envelope["payload"]),
                schema=event_type.schema_id.id,
                now=now,
                uid=self.env.uid or SUPERUSER_ID,
            )
        )
        row = cr.fetchone()
        if row:
            cron = self.env.ref(
                "integration_core.ir_cron_integration_inbound", raise_if_not_found=False
            )
            if cron:
                cron.with_env(cron.env(cr=cr)).sudo()._trigger()
            return 202, {"status": "accepted", "id": row[0]}
        cr.execute(
            SQL(
                "SELECT id, state FROM integration_inbound_event "
                "WHERE connector_id = %(connector)s AND external_id = %(external)s",
                connector=connector.id,
                external=envelope["event_id"],
            )
        )
        event_id, state = cr.fetchone()
        return 200, {"status": "accepted", "id": event_id, "duplicate": True, "state": state}

    # ------------------------------------------------------------------ processing

    @api.model
    def _cron_process(self, limit=200):
        """Scheduled Action: process received events in arrival order, one savepoint each."""
        Message = self.env["integration.message"]
        Message._queue_commit()
        now = fields.Datetime.now()
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM integration_inbound_event
                 WHERE state IN ('received', 'failed') AND next_attempt_at <= %(now)s
                 ORDER BY id
                 LIMIT %(limit)s
                   FOR UPDATE SKIP LOCKED
                """,
                now=now,
                limit=limit,
            )
        )
        events = self.browse([row[0] for row in self.env.cr.fetchall()])
        events._process()
        Message._queue_commit()
        return len(events)

    @api.model
    def _get_inbound_handlers(self):
        """{event type code: name of the method that applies such events}. An addon that
        handles an event type adds its own::

            return {**super()._get_inbound_handlers(), "stock.adjusted": "_handle_inbound_stock_adjusted"}

        The acknowledgements of every domain (ACKNOWLEDGEMENT_TYPES) are handled here, once.

        The method receives one event (``self``) whose connector may send it and whose
        payload matches the event type's schema (``_handler`` checks both, for every
        handler). It applies the event idempotently and returns a short result text (or
        None). It raises ``InboundRefused`` for a business refusal (dead at once),
        ``UserError`` or ``ValidationError`` for invalid content (dead at once), anything
        else to be retried. It reads the products and quantities the payload names through
        ``_mapped_payload()``, never the sender's SKUs and units as they come."""
        return dict.fromkeys(ACKNOWLEDGEMENT_TYPES, "_handle_inbound_acknowledgement")

    def _handle_inbound_acknowledgement(self):
        """A channel says what it applied or rejected of the messages Odoo sent it (schema
        "acknowledgement"): each acknowledgement names a message of this connector by its
        idempotency key, or by the record's version and the payload fields that identify it
        (all of that domain's messages with this version and these fields). All or nothing:
        one that names no message refuses the event, with its position."""
        self.ensure_one()
        entries = copy.deepcopy(self.payload.get("acknowledgements") or [self.payload])
        self._acknowledged_records_in_our_skus(entries)
        found = self._acknowledged_messages(entries)
        # The last word on a message wins; messages told the same are written together.
        last = {message.id: index for index in found for message in found[index]}
        Message = self.env["integration.message"].sudo()
        groups = defaultdict(list)
        for message_id, index in last.items():
            entry = entries[index]
            at = dates.to_naive_utc(entry.get("applied_at")) or fields.Datetime.now()
            groups[(entry["status"], entry.get("reason"), at)].append(message_id)
        for (status, reason, at), ids in groups.items():
            Message.browse(ids)._record_acknowledgement(status, reason, at)
        Message.browse(list(last))._on_acknowledged()
        applied = sum(len(ids) for key, ids in groups.items() if key[0] == "applied")
        return self.env._(
            "%(applied)s message(s) applied, %(rejected)s rejected.",
            applied=applied,
            rejected=len(last) - applied,
        )

    def _acknowledged_records_in_our_skus(self, entries):
        """A record is named as the channel received it: its SKU, when the connector's
        mappings know it, back into ours (an unknown one then names no message)."""
        records = [e["record"] for e in entries if (e.get("record") or {}).get("sku")]
        products = self.env["integration.product.mapping"]._products_for_external_skus(
            self.connector_id, {str(record["sku"]) for record in records}
        )
        for record in records:
            if product := products.get(str(record["sku"])):
                record["sku"] = internal_sku(product.default_code, product.barcode, product.id)

    def _acknowledged_messages(self, entries):
        """{index of entry: the messages it names}, in two queries whatever their number;
        InboundRefused for an entry that names none."""
        Message = self.env["integration.message"].sudo()
        base = [("connector_id", "=", self.connector_id.id), ("domain_id", "=", self.domain_id.id)]
        keys = [e["idempotency_key"] for e in entries if e.get("idempotency_key")]
        by_key = {
            m.idempotency_key: m
            for m in (Message.search(base + [("idempotency_key", "in", keys)]) if keys else ())
        }
        by_version = self._messages_by_version([e for e in entries if not e.get("idempotency_key")])
        found = {}
        for index, entry in enumerate(entries):
            if entry.get("idempotency_key"):
                messages = by_key.get(entry["idempotency_key"], Message.browse())
            else:
                messages = by_version.get(self._version_ref(entry), Message.browse())
            if not messages:
                raise InboundRefused(
                    self.env._(
                        "Acknowledgement %(i)s names no message sent to %(c)s: %(ref)s",
                        i=index + 1,
                        c=self.connector_id.name,
                        ref=json.dumps({k: v for k, v in entry.items() if k != "reason"}),
                    ),
                    category="mapping",
                )
            found[index] = messages
        return found

    @api.model
    def _version_ref(self, entry):
        return (str(entry["version"]), json.dumps(entry["record"], sort_keys=True))

    def _messages_by_version(self, entries):
        """{(version, record fields): messages} of this connector and domain whose source
        version and payload match, in one query (jsonb containment on the payload); never
        those superseded or cancelled before they left, which the channel cannot have seen."""
        Message = self.env["integration.message"].sudo()
        refs = list({self._version_ref(e) for e in entries})
        if not refs:
            return {}
        Message.flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT r.version, r.record, array_agg(m.id ORDER BY m.id)
                  FROM unnest(%(versions)s::varchar[], %(records)s::varchar[]) AS r(version, record)
                  JOIN integration_message m
                    ON m.connector_id = %(connector)s AND m.domain_id = %(domain)s
                   AND m.source_version = r.version AND m.payload @> r.record::jsonb
                   AND m.state NOT IN ('superseded', 'cancelled')
                 GROUP BY r.version, r.record
                """,
                versions=[v for v, _r in refs],
                records=[r for _v, r in refs],
                connector=self.connector_id.id,
                domain=self.domain_id.id,
            )
        )
        return {(version, record): Message.browse(ids) for version, record, ids in rows}

    def _mapped_payload(self):
        """(payload with its quantities and unit prices in our products' units, {the
        sender's SKU: product}) of this event, through its connector's product and unit
        mappings (integration.product.mapping); InboundRefused (mapping) when the payload
        names a product or a unit that cannot be told."""
        self.ensure_one()
        payload, products, problems = self.env["integration.product.mapping"]._inbound(
            self.connector_id, self.payload
        )
        if problems:
            raise InboundRefused(" ".join(problems), category="mapping")
        return payload, products

    def _handler(self):
        """This event's handler, bound to it, once the rules of the endpoint hold again (they
        may have changed while the event waited); InboundRefused when they do not."""
        self.ensure_one()
        event_type = self.env["integration.event.type"]._by_code(self.event_type)
        method = self._get_inbound_handlers().get(self.event_type)
        if not event_type or not method:
            raise InboundRefused(
                self.env._("No handler is installed for event type %s.", self.event_type),
                category="unknown_event",
            )
        refusal = event_type._sender_refusal(self.connector_id)
        if refusal:
            raise InboundRefused(refusal[1], category="ownership")
        errors = event_type._payload_errors(self.payload)
        if errors:
            raise InboundRefused(
                self.env._(
                    "The payload does not match schema %(schema)s: %(errors)s",
                    schema=event_type.schema_id.display_name,
                    errors="; ".join(errors),
                ),
                category="validation",
            )
        return getattr(self, method)

    def _process(self):
        """Run the handler of each event; record the outcome on it."""
        for event in self:
            event.attempts += 1
            try:
                with self.env.cr.savepoint():
                    result = event._handler()()
            except InboundRefused as exc:
                event._die(exc.category, str(exc))
            except (UserError, ValidationError) as exc:
                event._die("validation", str(exc.args[0] if exc.args else exc))
            except Exception as exc:  # noqa: BLE001 - anything else is retried, then dead
                event._fail(exc)
            else:
                event.write(
                    {
                        "state": "done",
                        "processed_at": fields.Datetime.now(),
                        "result": (result or "")[:250] or False,
                        "error_category": False,
                        "error_message": False,
                    }
                )

    def _fail(self, exc):
        """An unexpected error: retried later with backoff, dead after the last attempt."""
        _logger.warning("Inbound event %s failed: %s", self.id, exc)
        message = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
        if self.attempts >= self.connector_id.max_attempts:
            self._die("processing", message)
            return
        delay = backoff.retry_delay(self.attempts, base=self.connector_id.retry_base_delay)
        self.write(
            {
                "state": "failed",
                "error_category": "processing",
                "error_message": message,
                "next_attempt_at": fields.Datetime.now() + timedelta(seconds=delay),
            }
        )

    def _die(self, category, message):
        self.ensure_one()
        self.write(
            {
                "state": "dead",
                "dead_at": fields.Datetime.now(),
                "error_category": category,
                "error_message": message,
            }
        )
        self._notify_failure()

    def _notify_failure(self):
        """Tell the connector's responsible with ONE open to-do per connector and kind of
        failure (event type and error category), its count and last reason kept up to date:
        a sender cannot flood anyone. The sender's words are escaped, never HTML."""
        user = self.connector_id.responsible_user_id
        if not user:
            return
        todo = self.env.ref("mail.mail_activity_data_todo")
        same_kind = [
            ("connector_id", "=", self.connector_id.id),
            ("event_type", "=", self.event_type),
            ("error_category", "=", self.error_category),
            ("state", "=", "dead"),
        ]
        Events = self.sudo()
        holder = Events.search(
            same_kind
            + [
                (
                    "activity_ids",
                    "any",
                    [("activity_type_id", "=", todo.id), ("user_id", "=", user.id)],
                )
            ],
            limit=1,
        )
        kind = dict(self._fields["error_category"]._description_selection(self.env))
        values = {
            "summary": self.env._(
                "%(count)s failed %(type)s events: %(kind)s",
                count=Events.search_count(same_kind),
                type=self.event_type,
                kind=kind.get(self.error_category, self.error_category),
            ),
            "note": Markup("<p>%s</p><p>%s</p>")
            % (self.env._("Last one: %s", self.display_name), self.error_message or ""),
        }
        activity = holder.activity_ids.filtered(
            lambda a: a.activity_type_id == todo and a.user_id == user
        )[:1]
        if activity:
            activity.write(values)
        else:
            self.activity_schedule("mail.mail_activity_data_todo", user_id=user.id, **values)

    def action_retry(self):
        """Process these dead or failed events again now. For Integration Users who may read
        them; no group writes events directly, so this checks the caller, then writes with
        sudo."""
        self._integration_check_caller("integration_core.group_integration_user")
        self.filtered(lambda e: e.state in ("dead", "failed")).sudo().write(
            {
                "state": "received",
                "attempts": 0,
                "next_attempt_at": fields.Datetime.now(),
                "dead_at": False,
            }
        )
        self.activity_ids.action_feedback(feedback=self.env._("Retried"))
        return True

    def action_cancel(self):
        """Never process these waiting, failed or dead events. For Integration Users who may
        read them; checks the caller, then writes with sudo."""
        self._integration_check_caller("integration_core.group_integration_user")
        self.filtered(lambda e: e.state in ("received", "failed", "dead")).sudo().write(
            {"state": "cancelled"}
        )
        self.activity_ids.action_feedback(feedback=self.env._("Cancelled"))
        return True
