# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
import os
import socket
import threading
import time
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models, sql_db
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, config
from odoo.tools.sql import create_index

from ..compat.constraints import sql_constraints
from ..compat.cron import report_progress
from ..compat.testing import testing
from ..tools import circuit, granularity, options, queue_core, queue_sql
from ..tools.queue_core import Bodies, tells_to_rest
from ..tools.schema import validation_errors
from ..tools.transport import Outcome

_logger = logging.getLogger(__name__)

MESSAGE_STATES = [
    ("pending", "Pending"),
    ("sending", "Sending"),
    ("failed", "Failed, will retry"),
    ("sent", "Sent"),
    ("dead", "Dead letter"),
    ("cancelled", "Cancelled"),
    ("superseded", "Superseded"),
]
WAITING_STATES = ("pending", "failed")
# Stored values sort in priority order, so the claim query can ORDER BY them directly.
PRIORITY_CLASSES = [
    ("0_realtime", "Real-time"),
    ("1_high", "High"),
    ("2_normal", "Normal"),
    ("3_batch", "Batch"),
]
PRIORITY_ALIASES = {
    "realtime": "0_realtime",
    "real-time": "0_realtime",
    "high": "1_high",
    "normal": "2_normal",
    "batch": "3_batch",
}
PRIORITY_CODES = frozenset(code for code, _label in PRIORITY_CLASSES)
ERROR_CATEGORIES = [
    ("validation", "Invalid content"),
    ("mapping", "Mapping missing"),
    ("auth", "Credentials refused"),
    ("rate_limited", "Rate limited"),
    ("remote_error", "Remote system error"),
    ("rejected", "Rejected by the remote"),
    ("timeout", "Timeout"),
    ("network", "Network unreachable"),
    ("crash", "Worker stopped"),
]
ERROR_HINTS = {
    "validation": "The content does not match its schema. Fix the source record, then replay.",
    "mapping": "A product or unit has no mapping for this connector. Add it, then replay.",
    "auth": "The remote refused our credentials. Check the connector's secret, then replay.",
    "rate_limited": "The remote asked us to slow down. It is retried automatically.",
    "remote_error": "The remote system had a problem. It is retried automatically.",
    "rejected": "The remote refused this message. Read its answer below, fix, then replay.",
    "timeout": "The remote did not answer in time. It is retried automatically.",
    "network": "The remote could not be reached. It is retried automatically.",
    "crash": "A worker stopped while sending. It is retried automatically.",
}


# Fields an envelope is read from (flushed before _raw_envelopes reads them in SQL).
ENVELOPE_FIELDS = [
    "idempotency_key",
    "key_sequence",
    "event_type",
    "domain_id",
    "schema_id",
    "res_model",
    "res_id",
    "source_version",
    "payload",
]


class _Where:
    """'Message 3 of 20' for error messages, translated only when an error is raised."""

    def __init__(self, env, index, count):
        self.env, self.index, self.count = env, index, count

    def __str__(self):
        return self.env._("Message %(index)s of %(count)s", index=self.index, count=self.count)


def _notify_cron_threads_later(dbname, delays=(1.0, 3.0, 10.0)):
    """Tell the cron threads of this server again, after `delays` seconds, that a job of
    `dbname` is due. A server loads the registries it serves before it starts its cron
    threads, which only then LISTEN: the NOTIFY of a trigger committed while loading reaches
    nobody, and they would look at the queue at their first tick, a minute later."""

    def notify():
        for delay in delays:
            time.sleep(delay)
            try:
                with sql_db.db_connect("postgres").cursor() as cr:
                    cr.execute(SQL("SELECT pg_notify('cron_trigger', %s)", dbname))
            except Exception:  # noqa: BLE001 - a wake-up that fails leaves the minute's tick
                _logger.debug("could not wake the cron threads", exc_info=True)
                return

    threading.Thread(target=notify, name="integration-wake-up", daemon=True).start()


def _connector_id(connector):
    """The id of an _enqueue message's connector (a record or an id)."""
    return connector.id if isinstance(connector, models.BaseModel) else connector


# Seconds a connector that went unreachable or timed out rests in a run: its other messages
# go to the next claims, not straight back to it (the circuit breaker stops a remote that
# keeps failing).
REST_SECONDS = 0.5
# "Parallel deliverers": delivery Scheduled Actions that may run at once (all nodes together).
# Two fit one node with Odoo's default two cron threads; give N nodes about 2 x N.
DELIVERY_WORKERS_PARAM = "integration_core.delivery_workers"
DEFAULT_DELIVERY_WORKERS = 2
MAX_DELIVERY_WORKERS = 64
# A run that finds nothing due waits this long for what comes due whoever it is; longer
# waits (up to idle_wait) are for one run at a time (_is_the_waiter).
SHORT_WAIT = 2.0
# Messages in flight with another worker are looked at again this often (to find them
# should it stop without a trace), when nothing else is due earlier.
RECHECK_SECONDS = 10


def _worker_id():
    """Host, process and thread; the claim adds the database session that holds the
    messages (queue_sql.claim), whose end tells that the worker stopped."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


@sql_constraints
class IntegrationMessage(models.Model):
    """One outbound delivery to one connector: the queue record."""

    _name = "integration.message"
    _description = "Integration Message"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _rec_name = "display_name"
    # Nobody writes the queue's records directly (access rights: read only for every group,
    # deletion by retention alone); those who may read a message may still discuss it.
    _mail_post_access = "read"
    # Written by the queue's SQL, in bulk: no create/write user columns, whose foreign keys
    # PostgreSQL checks on every row queued (two of the six checks per message). Who caused a
    # message is its source record's business (res_model, res_id); the dates stay.
    _log_access = False

    # Every index and foreign key is paid for by each message queued (20,000 at a time by a
    # stock snapshot): connector_id is the first column of the unique idempotency index, which
    # serves it; state is read through the partial indexes of init(); the company is the
    # connector's (record rules search it through the connector).
    connector_id = fields.Many2one(
        "integration.connector", required=True, ondelete="restrict", readonly=True
    )
    company_id = fields.Many2one(related="connector_id.company_id")
    domain_id = fields.Many2one(
        "integration.data.domain", "Data domain", required=True, ondelete="restrict", readonly=True
    )
    event_type = fields.Char(required=True, readonly=True, help="e.g. price.updated")
    priority_class = fields.Selection(
        PRIORITY_CLASSES, "Priority", required=True, default="2_normal", readonly=True
    )
    state = fields.Selection(
        MESSAGE_STATES, required=True, default="pending", readonly=True, tracking=True
    )
    payload = fields.Json(readonly=True)
    schema_id = fields.Many2one("integration.schema", "Schema", readonly=True, ondelete="restrict")
    idempotency_key = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        help="Sent as the Idempotency-Key header: the remote applies each key once, however "
        "often it is delivered.",
    )
    coalescing_key = fields.Char(
        readonly=True,
        help="A newer waiting message with the same key supersedes this one (only the latest "
        "state of a record is sent).",
    )
    key_sequence = fields.Integer(
        "Sequence",
        readonly=True,
        copy=False,
        aggregator=None,
        help="Order of the messages of one coalescing key, sent in the envelope: a message is "
        "never sent once a newer one of its key was sent or is in flight, and receivers may "
        "drop a message older than the last one they applied.",
    )
    attempts = fields.Integer(readonly=True, copy=False)
    next_attempt_at = fields.Datetime(
        "Next attempt", readonly=True, default=fields.Datetime.now, copy=False
    )
    last_attempt_at = fields.Datetime(readonly=True, copy=False)
    lease_until = fields.Datetime(readonly=True, copy=False)
    claimed_by = fields.Char(
        "Worker", readonly=True, copy=False, help="Host, process and thread of the last attempt."
    )
    error_category = fields.Selection(ERROR_CATEGORIES, readonly=True, copy=False)
    error_message = fields.Text(readonly=True, copy=False)
    error_hint = fields.Char(compute="_compute_error_hint")
    http_status = fields.Integer("HTTP status", readonly=True, copy=False)
    response_excerpt = fields.Text(readonly=True, copy=False)
    latency_ms = fields.Integer("Latency (ms)", readonly=True, copy=False)
    sent_at = fields.Datetime(readonly=True, copy=False)
    dead_at = fields.Datetime(readonly=True, copy=False)
    # Indexed: removing a message (retention) makes PostgreSQL find the messages it superseded
    # (ON DELETE SET NULL), a scan of the whole table per row removed without this index.
    superseded_by_id = fields.Many2one(
        "integration.message", readonly=True, copy=False, index="btree_not_null"
    )
    ack_state = fields.Selection(
        [("applied", "Applied"), ("rejected", "Rejected")],
        "Acknowledgement",
        readonly=True,
        copy=False,
        help="What the remote said it did with this message (a *.applied event); empty "
        "until it says so.",
    )
    acknowledged_at = fields.Datetime(readonly=True, copy=False)
    ack_reason = fields.Text("Rejection reason", readonly=True, copy=False)
    res_model = fields.Char("Source model", readonly=True, index=True)
    res_id = fields.Many2oneReference("Source record", model_field="res_model", readonly=True)
    source_version = fields.Char(readonly=True, help="Version of the source record sent.")
    age = fields.Char(compute="_compute_age", help="Time since the message was queued.")
    create_date = fields.Datetime("Queued on", readonly=True, default=fields.Datetime.now)
    write_date = fields.Datetime("Last updated on", readonly=True, default=fields.Datetime.now)

    _sql_constraints = [
        (
            "idempotency_key_uniq",
            "unique(connector_id, idempotency_key)",
            "A message with this idempotency key was already queued for this connector.",
        ),
    ]

    def init(self):
        self._init_key_sequence()
        # What earlier versions indexed and stored for nothing, at the cost of every insert
        # (see the fields): Odoo keeps an index or a column its model no longer asks for.
        self.env.cr.execute(
            "DROP INDEX IF EXISTS integration_message__connector_id_index, "
            "integration_message__state_index, integration_message__company_id_index"
        )
        self.env.cr.execute(
            "ALTER TABLE integration_message DROP COLUMN IF EXISTS company_id, "
            "DROP COLUMN IF EXISTS create_uid, DROP COLUMN IF EXISTS write_uid"
        )
        # The queue's hot queries read only what is waiting or in flight: partial indexes keep
        # them cheap however many sent messages pile up behind.
        # Claims walk it in order. Its predicate names the retry time so that only statements
        # about due messages can use it: the enqueue's key lookups (see
        # queue_sql.supersede_waiting) go to the coalescing index even when the statistics
        # believe nothing waits.
        self.env.cr.execute("DROP INDEX IF EXISTS integration_message_due_idx")
        create_index(
            self.env.cr,
            "integration_message_due_at_idx",
            self._table,
            ["priority_class", "next_attempt_at", "id"],
            where="state IN ('pending', 'failed') AND next_attempt_at IS NOT NULL",
        )
        create_index(
            self.env.cr,
            "integration_message_lease_idx",
            self._table,
            ["lease_until"],
            where="state = 'sending'",
        )
        create_index(
            self.env.cr,
            "integration_message_coalescing_idx",
            self._table,
            ["connector_id", "coalescing_key"],
            where="state IN ('pending', 'failed') AND coalescing_key IS NOT NULL",
        )
        # Per-key order: is there a newer message of this key sent or in flight?
        create_index(
            self.env.cr,
            "integration_message_key_order_idx",
            self._table,
            ["connector_id", "coalescing_key", "key_sequence"],
            where="coalescing_key IS NOT NULL",
        )
        create_index(
            self.env.cr,
            "integration_message_dead_idx",
            self._table,
            ["connector_id", "dead_at"],
            where="state = 'dead'",
        )
        create_index(
            self.env.cr,
            "integration_message_finished_idx",
            self._table,
            ["write_date", "id"],
            where="state IN ('sent', 'superseded', 'cancelled')",
        )
        create_index(
            self.env.cr,
            "integration_message_sent_at_idx",
            self._table,
            ["connector_id", "sent_at"],
            where="state = 'sent'",
        )

    def _init_key_sequence(self):
        """key_sequence comes from one global PostgreSQL sequence, the column's default: it
        is assigned by the INSERT itself, so it grows with every message of a key even when
        several transactions enqueue at once, with no counter row to lock (a per-key counter
        table would serialise concurrent enqueues of a key and cost an upsert per key).
        Messages queued before it existed take their id, which grew the same way."""
        cr = self.env.cr
        cr.execute("SELECT to_regclass('integration_message_key_sequence_seq')")
        if cr.fetchone()[0]:
            return
        cr.execute(queue_sql.CREATE_KEY_SEQUENCE)

    # ------------------------------------------------------------------ display

    @api.depends("event_type", "connector_id")
    def _compute_display_name(self):
        for message in self:
            message.display_name = f"{message.event_type or ''} → {message.connector_id.name or ''}"

    @api.depends("error_category")
    def _compute_error_hint(self):
        for message in self:
            message.error_hint = ERROR_HINTS.get(message.error_category, False)

    @api.depends("create_date")
    def _compute_age(self):
        now = fields.Datetime.now()
        for message in self:
            if not message.create_date:
                message.age = False
                continue
            seconds = int((now - message.create_date).total_seconds())
            if seconds < 120:
                message.age = self.env._("%s s", seconds)
            elif seconds < 7200:
                message.age = self.env._("%s min", seconds // 60)
            elif seconds < 172800:
                message.age = self.env._("%s h", seconds // 3600)
            else:
                message.age = self.env._("%s days", seconds // 86400)

    # ------------------------------------------------------------------ enqueue API

    @api.model
    def _enqueue(self, messages):
        """Queue outbound messages; the Python API of integration_core for other addons.

        Private on purpose: server code decides what is published, never an RPC client (a
        public method would let any logged-in user, portal included, queue any payload).

        `messages` is a list of dicts:
          connector (record or id, required), domain (data domain code, e.g. "stock",
          required), event_type (required), payload (JSON-able dict, required),
          schema ("name" or ("name", version); validated before anything is queued),
          idempotency_key (default: a new UUID), coalescing_key (a newer waiting message
          with the same key supersedes the older one), priority ("realtime", "high",
          "normal" or "batch"), record (the source record) or res_model/res_id,
          source_version, scope ({model name: [ids]} of the records the payload carries,
          e.g. {"product.product": [7], "product.pricelist": [2]}; a product source record
          counts as carried).

        Scope and granularity: a message carrying a record outside its connector's scope,
        a message to a connector limited to some products that does not say which products
        it carries, and a message telling a connector quantities more precisely than its
        granularity allows are refused (see integration.connector._in_scope).

        All or nothing: on any invalid message a ValidationError names it and nothing is
        queued. A message whose idempotency key is already queued for its connector is not
        queued again. Runs a fixed number of queries whatever the number of messages.
        Returns the messages created.
        """
        if not messages:
            return self.browse()
        rows = queue_core.coalesce(self._prepare_rows(messages))
        self.flush_model()
        self._execute((queue_sql.STAGE, {}), fetch=False)
        self.env.cr.copy_expert(queue_sql.STAGE_COPY, queue_sql.stage_buffer(rows))
        now = fields.Datetime.now()
        ids = [row[0] for row in self._execute(queue_sql.merge_staged(now))]
        if ids:
            self._execute(queue_sql.supersede_waiting(ids, now), fetch=False)
            self._trigger_delivery()  # any priority: delivery wakes now, not at the next tick
        self.invalidate_model()
        return self.browse(ids)

    def write(self, vals):
        # No log access columns (see _log_access): the ORM's writes date themselves too.
        if "write_date" not in vals:
            vals = {**vals, "write_date": fields.Datetime.now()}
        return super().write(vals)

    @api.model
    def _execute(self, statement, fetch=True):
        """Run a queue_sql statement; its rows when `fetch`."""
        text, params = statement
        self.env.cr.execute(SQL(text, **params))
        return self.env.cr.fetchall() if fetch else None

    def _prepare_rows(self, messages):
        """Check and normalise _enqueue input; raise ValidationError naming the bad message."""
        connectors = self._enqueue_connectors(messages)
        domains = {d.code: d for d in self.env["integration.data.domain"].sudo().search([])}
        schemas = {}
        checked = set()
        rows = []
        for index, message in enumerate(messages, start=1):
            where = _Where(self.env, index, len(messages))
            connector = connectors.get(_connector_id(message.get("connector")))
            if not connector:
                raise ValidationError(self.env._("%(where)s: no such connector.", where=where))
            domain = domains.get(message.get("domain"))
            # Connector and domain checks read records: once per pair, not once per message.
            if (connector.id, message.get("domain")) not in checked:
                self._check_receiver(where, connector, message.get("domain"), domains)
                checked.add((connector.id, message.get("domain")))
            rows.append(self._prepare_row(where, message, connector, domain, schemas))
        self._check_scopes(messages, connectors)
        return rows

    def _enqueue_connectors(self, messages):
        """{id: connector} of the connectors `messages` name that exist, archived included."""
        ids = {_connector_id(m.get("connector")) for m in messages}
        return {
            c.id: c
            for c in self.env["integration.connector"]
            .sudo()
            .with_context(active_test=False)
            .browse([cid for cid in ids if isinstance(cid, int)])
            .exists()
        }

    def _check_receiver(self, where, connector, code, domains):
        """Raise ValidationError unless `connector` may receive data of domain `code`."""
        domain = domains.get(code)
        if not connector.active:
            raise ValidationError(
                self.env._("%(where)s: connector %(c)s is archived.", where=where, c=connector.name)
            )
        if not domain:
            raise ValidationError(
                self.env._(
                    "%(where)s: unknown data domain %(domain)r (known: %(known)s).",
                    where=where,
                    domain=code,
                    known=", ".join(sorted(domains)),
                )
            )
        if domain not in connector.allowed_domain_ids:
            raise ValidationError(
                self.env._(
                    "%(where)s: connector %(c)s is not allowed to receive %(domain)s data "
                    "(see its allowed data domains).",
                    where=where,
                    c=connector.name,
                    domain=domain.name,
                )
            )
        if domain.owner_connector_id == connector:
            raise ValidationError(
                self.env._(
                    "%(where)s: %(c)s is the system of record for %(domain)s data; Odoo "
                    "does not publish that data back to it.",
                    where=where,
                    c=connector.name,
                    domain=domain.name,
                )
            )

    def _check_scopes(self, messages, connectors):
        """Raise ValidationError naming the first message that carries a record outside its
        connector's scope (integration.connector._in_scope) or tells a connector quantities
        more precisely than its granularity allows. One query per connector and kind of
        record, whatever the number of messages."""
        count = len(messages)
        scopes = [
            self._message_scope(_Where(self.env, index, count), message)
            for index, message in enumerate(messages, start=1)
        ]
        wanted = defaultdict(set)
        for message, scope in zip(messages, scopes, strict=True):
            for model, ids in scope.items():
                wanted[(_connector_id(message["connector"]), model)].update(ids)
        allowed = {
            (cid, model): connectors[cid]._in_scope(model, ids)
            for (cid, model), ids in wanted.items()
        }
        coarse = {}
        for index, (message, scope) in enumerate(zip(messages, scopes, strict=True), start=1):
            where = _Where(self.env, index, count)
            connector = connectors[_connector_id(message["connector"])]
            if "product.product" not in scope and connector._scope_restricts_products():
                raise ValidationError(
                    self.env._(
                        "%(where)s: %(c)s may receive some products only, and this message "
                        "does not say which products it carries (scope).",
                        where=where,
                        c=connector.name,
                    )
                )
            for model, ids in scope.items():
                outside = set(ids) - allowed[(connector.id, model)]
                if outside:
                    self._refuse_out_of_scope(where, connector, model, outside)
            key = (connector.id, message["domain"])
            if key not in coarse:
                coarse[key] = connector._granularity(message["domain"])[0]
            if coarse[key] != granularity.EXACT:
                self._check_coarse(where, connector, message)

    def _message_scope(self, where, message):
        """{model: ids} of the records a message carries: its `scope`, and its source record
        when that is a product."""
        scope = message.get("scope") or {}
        if not isinstance(scope, dict) or not all(
            isinstance(ids, list | tuple | set) and all(isinstance(i, int) for i in ids)
            for ids in scope.values()
        ):
            raise ValidationError(
                self.env._(
                    "%(where)s: its scope must map model names to lists of record ids.",
                    where=where,
                )
            )
        scope = {model: set(ids) for model, ids in scope.items()}
        record = message.get("record")
        res_model = record._name if record else message.get("res_model")
        res_id = record.id if record else message.get("res_id")
        if res_model == "product.product" and res_id:
            scope.setdefault("product.product", set()).add(res_id)
        return scope

    def _refuse_out_of_scope(self, where, connector, model, outside):
        records = self.env[model].sudo().with_context(active_test=False).browse(sorted(outside))
        names = ", ".join(records[:5].mapped("display_name"))
        raise ValidationError(
            self.env._(
                "%(where)s: %(records)s%(more)s is outside the scope of %(c)s (see the Scope "
                "page of the connector): nothing was queued.",
                where=where,
                records=names,
                more=self.env._(" and %s more", len(records) - 5) if len(records) > 5 else "",
                c=connector.name,
            )
        )

    def _check_coarse(self, where, connector, message):
        """A connector told a data domain coarser than exactly gets that domain's coarse
        schema, and no number anywhere in the payload."""
        expected = granularity.COARSE_SCHEMAS.get(message["domain"])
        schema = message.get("schema")
        name = schema if isinstance(schema, str) else (schema or [None])[0]
        numbers = granularity.numbers_in(message.get("payload"))
        if expected and name == expected[0] and not numbers:
            return
        raise ValidationError(
            self.env._(
                "%(where)s: %(c)s is told %(domain)s data without quantities (see its "
                "granularity), and this message carries some%(paths)s: nothing was queued.",
                where=where,
                c=connector.name,
                domain=message["domain"],
                paths=f" ({', '.join(numbers[:5])})" if numbers else "",
            )
        )

    def _prepare_row(self, where, message, connector, domain, schemas):
        """The row _enqueue inserts for one checked `message`."""
        event_type = message.get("event_type")
        if not event_type or not isinstance(event_type, str):
            raise ValidationError(self.env._("%(where)s: the event type is missing.", where=where))
        payload = message.get("payload")
        if not isinstance(payload, dict):
            raise ValidationError(
                self.env._("%(where)s: the payload must be a JSON object.", where=where)
            )
        schema_id = self._validated_schema_id(where, message, connector, schemas)
        priority = message.get("priority") or "normal"
        priority = PRIORITY_ALIASES.get(priority, priority)
        if priority not in PRIORITY_CODES:
            raise ValidationError(
                self.env._("%(where)s: unknown priority %(p)r.", where=where, p=priority)
            )
        record = message.get("record")
        res_model = record._name if record else message.get("res_model")
        res_id = record.id if record else message.get("res_id")
        version = message.get("source_version")
        return {
            "connector_id": connector.id,
            "domain_id": domain.id,
            "event_type": event_type,
            "priority_class": priority,
            "payload": payload,
            "schema_id": schema_id or None,
            # None: PostgreSQL draws a random UUID (gen_random_uuid) as it inserts the row.
            "idempotency_key": str(message["idempotency_key"])
            if message.get("idempotency_key")
            else None,
            "coalescing_key": message.get("coalescing_key") or None,
            "res_model": res_model or None,
            "res_id": res_id or None,
            "source_version": str(version) if version else None,
        }

    def _validated_schema_id(self, where, message, connector, schemas):
        """Id of the message's schema once its payload matches it (False without schema);
        `schemas` caches {reference: (schema, text)} for one _enqueue call."""
        if not message.get("schema"):
            return False
        ref = message["schema"]
        ref = ref if isinstance(ref, str) else tuple(ref)
        if ref not in schemas:
            found = self.env["integration.schema"]._lookup(ref)
            schemas[ref] = (found, found._read_file(found.file_path))
        schema, schema_text = schemas[ref]
        errors = validation_errors(schema_text, message["payload"])
        if errors:
            raise ValidationError(
                self.env._(
                    "%(where)s (%(event)s to %(c)s) does not match schema %(schema)s: %(errors)s",
                    where=where,
                    event=message["event_type"],
                    c=connector.name,
                    schema=schema.display_name,
                    errors="; ".join(errors),
                )
            )
        return schema.id

    @api.model
    def _delivery_worker_count(self):
        """How many delivery Scheduled Actions may run at once, across every node (the
        setting "Parallel deliverers"); at least one."""
        value = self.env["ir.config_parameter"].sudo().get_param(DELIVERY_WORKERS_PARAM)
        try:
            return max(1, min(MAX_DELIVERY_WORKERS, int(value or DEFAULT_DELIVERY_WORKERS)))
        except ValueError:
            return DEFAULT_DELIVERY_WORKERS

    @api.model
    def _sync_delivery_crons(self):
        """One delivery Scheduled Action per parallel deliverer. Odoo runs each Scheduled Action
        on one cron thread at a time, across every node (it locks the job), so N deliverers
        take N jobs: the first ships as data, the others are made here as copies of it, with
        XML ids of this module (removed with it), and archived when the setting goes down."""
        wanted = self._delivery_worker_count()
        first = self.env.ref(
            "integration_core.ir_cron_integration_deliver", raise_if_not_found=False
        )
        if not first:
            return
        first = first.sudo().with_context(active_test=False)
        Data = self.env["ir.model.data"].sudo()
        slots = {1: first}
        for data in Data.search(
            [("module", "=", "integration_core"), ("model", "=", "ir.cron"),
             ("name", "=like", "ir\\_cron\\_integration\\_deliver\\_%")]
        ):  # fmt: skip
            number = data.name.rsplit("_", 1)[1]
            if number.isdigit():
                slots[int(number)] = first.browse(data.res_id).exists()
        for number in range(2, max(wanted, max(slots)) + 1):
            cron = slots.get(number)
            if number > wanted:
                if cron and cron.active:
                    cron.active = False
                continue
            if not cron:
                cron = first.copy(
                    {"name": self.env._("%(name)s (worker %(n)s)", name=first.name, n=number)}
                )
                Data._update_xmlids(
                    [{"xml_id": f"integration_core.ir_cron_integration_deliver_{number}",
                      "record": cron, "noupdate": True}]
                )  # fmt: skip
            if not cron.active or not first.active:
                cron.active = first.active
        return wanted

    @api.model
    def _delivery_crons(self):
        """Every active delivery job (the shipped workers and any an admin duplicated)."""
        return (
            self.env["ir.cron"]
            .sudo()
            .search([("model_id.model", "=", self._name), ("code", "=", "model._cron_deliver()")])
        )

    @api.model
    def _trigger_delivery(self, at=None):
        """Wake every delivery job now, or at `at` (Odoo's cron threads look for due
        triggers when notified and at least once a minute)."""
        for cron in self._delivery_crons():
            cron._trigger(at=at)

    def _register_hook(self):
        """A server that starts wakes delivery at once when messages wait or were left in
        flight (by a worker that stopped), rather than at the next minute's tick."""
        super()._register_hook()
        earliest = self._next_wake_up()
        if earliest is not None:
            self._trigger_delivery(at=max(earliest, fields.Datetime.now()))
            if not config.get("stop_after_init"):
                _notify_cron_threads_later(self.env.cr.dbname)

    # ------------------------------------------------------------------ processing

    @api.model
    def _queue_settings(self):
        return {
            "batch_size": int(options.get(config, "queue_batch_size") or 200),
            "lease_seconds": int(options.get(config, "queue_lease_seconds") or 300),
            "time_budget": float(options.get(config, "queue_time_budget") or 50),
            # A run that finds nothing due waits for what comes due within this many seconds
            # (a paused connector, a retry) instead of ending; later ones trigger a new run.
            "idle_wait": float(options.get(config, "queue_idle_wait") or 50),
        }

    def _queue_commit(self):
        """Commit between batches (except inside a test's transaction) and run the next
        transaction in READ COMMITTED: several workers claim with FOR UPDATE SKIP LOCKED and
        touch the same connector rows, which Odoo's default REPEATABLE READ would turn into
        serialization failures instead of short waits."""
        if testing(self.env) or self.env.context.get("integration_no_commit"):
            return
        self.env.cr.commit()  # pylint: disable=invalid-commit
        self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")

    @api.model
    def _cron_deliver(self):
        """Scheduled Action: deliver due messages in bounded, committed batches; asks Odoo
        to run it again at once when its time budget ran out with messages still due, and
        triggers itself for when the next ones come due."""
        settings = self._queue_settings()
        counts = self._process_queue(
            batch_size=settings["batch_size"],
            time_budget=settings["time_budget"],
            idle_wait=settings["idle_wait"],
        )
        wake_up_at = self._next_wake_up()
        soon = fields.Datetime.now() + timedelta(seconds=settings["idle_wait"])
        due = wake_up_at is not None and wake_up_at <= soon
        done = sum(counts.get(state, 0) for state in ("sent", "failed", "dead"))
        # Work done and more due soon: Odoo runs the job again at once (progress API); a
        # trigger alone is looked at by Odoo's cron threads only once a minute.
        report_progress(self.env, done=done, remaining=int(due and done > 0))
        if wake_up_at is not None:
            self._trigger_delivery(at=max(wake_up_at, queue_core.utcnow() + timedelta(seconds=1)))
        return counts

    @api.model
    def _process_queue(self, batch_size=200, time_budget=50.0, max_batches=None, idle_wait=0.0):
        """Claim and deliver due messages until none is due, the time budget is spent or
        max_batches were processed. Safe to run in any number of workers at once. When
        nothing is due but something comes due within `idle_wait` seconds (and the budget),
        waits for it. Returns counts by outcome."""
        deadline = time.monotonic() + time_budget
        totals = defaultdict(int)
        batches = 0
        # Messages of dead workers are looked for at the start and whenever the queue has
        # caught up (a claim came back short), not before every batch.
        reclaim = True
        # Connectors that went unreachable or timed out rest a moment ({id: monotonic end});
        # one that asked us to slow down (429) is paused for every worker (paused_until).
        resting = {}
        self._queue_commit()  # start from a fresh READ COMMITTED transaction
        while time.monotonic() < deadline and (max_batches is None or batches < max_batches):
            if reclaim:
                self._reclaim_stale()
            rows = self._claim_rows(batch_size, skip=self._still_resting(resting))
            reclaim = len(rows) < batch_size
            self._queue_commit()
            batch = self._claimed(rows)
            if not batch:
                if self._waited_for_next_due(deadline, idle_wait, resting):
                    continue
                break
            batches += 1
            tired = set()
            for key, value in batch._deliver(tired).items():
                totals[key] += value
            resting.update(dict.fromkeys(tired, time.monotonic() + REST_SECONDS))
            self._queue_commit()
        if totals:
            _logger.info("Integration queue: %s", dict(totals))
        return dict(totals)

    @api.model
    def _still_resting(self, resting):
        """Ids of the connectors of `resting` ({id: monotonic end}) whose rest runs."""
        now = time.monotonic()
        return {cid for cid, until in resting.items() if until > now}

    @api.model
    def _waited_for_next_due(self, deadline, idle_wait, resting):
        """Nothing is due: when something comes due (a retry, a paused connector's or a
        resting one's end, a stale lease) within `idle_wait` seconds and the budget, wait
        for it and return True."""
        limit = min(idle_wait, deadline - time.monotonic())
        if limit <= 0:
            return False
        wake_up_at = self._next_wake_up(recheck_in_flight=False)
        now = time.monotonic()
        waits = [until - now for until in resting.values() if until > now]
        if wake_up_at is not None:
            waits.append((wake_up_at - queue_core.utcnow()).total_seconds())
        waits = [max(0.05, wait) for wait in waits if wait <= limit]
        if not waits or (min(waits) > SHORT_WAIT and not self._is_the_waiter()):
            return False
        # Look again at least every second: messages queued meanwhile are claimed too.
        time.sleep(min(1.0, min(waits)))
        return True

    @api.model
    def _is_the_waiter(self):
        """True for one delivery run of all at a time, the one that waits for messages due
        in more than SHORT_WAIT seconds: the others end and leave their cron threads to
        other Scheduled Actions (a transaction lock, let go at the next commit)."""
        [[won]] = self._execute(queue_sql.take_waiter_lock())
        return won

    @api.model
    def _next_wake_up(self, recheck_in_flight=True):
        """When the next waiting message comes due (its retry time, or the end of its
        connector's pause or circuit cool-down), or a message in flight must be looked at
        again (its lease's end, or RECHECK_SECONDS from now with `recheck_in_flight`);
        None when nothing waits."""
        self.flush_model()
        held = self.env["integration.connector"]._held_connector_ids()
        recheck = None
        if recheck_in_flight:
            recheck = fields.Datetime.now() + timedelta(seconds=RECHECK_SECONDS)
        [[earliest]] = self._execute(queue_sql.next_wake_up(held, recheck))
        return earliest

    @api.model
    def _reclaim_stale(self):
        """Messages left in 'sending' by a worker that stopped are due again: its database
        session is gone (found at once), or, as a last resort, its lease expired. The
        remote dedups by idempotency key if the delivery did arrive."""
        self.flush_model()
        self._pin_index_scans(True)
        message = self.env._("The worker sending this message stopped; sent again.")
        self._execute(queue_sql.reclaim(queue_core.utcnow(), message), fetch=False)
        reclaimed = self.env.cr.rowcount
        self._pin_index_scans(False)
        if reclaimed:
            _logger.warning("Reclaimed %s messages from stopped workers", reclaimed)
            self.invalidate_model()

    @api.model
    def _claim(self, limit, skip=()):
        """Lock and lease up to `limit` due messages in priority order, skipping those other
        workers hold (FOR UPDATE SKIP LOCKED) and those of the connectors in `skip`."""
        return self._claimed(self._claim_rows(limit, skip))

    @api.model
    def _claim_rows(self, limit, skip=()):
        """_claim's rows: (id, priority class, connector id, attempts)."""
        self.flush_model()
        query = self._claim_query(limit, skip)
        self._pin_index_scans(True)
        self.env.cr.execute(query)
        rows = sorted(self.env.cr.fetchall(), key=lambda r: (r[1], r[0]))
        self._pin_index_scans(False)
        self.invalidate_model()
        return rows

    @api.model
    def _claimed(self, rows):
        """The messages of claim `rows`, with what delivery reads of them (connector,
        attempts) in the cache: through the ORM it would fetch every column of the batch,
        payloads included. Call it again after a commit (which empties the cache)."""
        batch = self.browse([r[0] for r in rows])
        cache = self.env.cache
        cache.update(batch, self._fields["connector_id"], [r[2] for r in rows])
        cache.update(batch, self._fields["attempts"], [r[3] for r in rows])
        cache.update(batch, self._fields["state"], ["sending"] * len(rows))
        return batch

    @api.model
    def _pin_index_scans(self, pin):
        """Make the next statements of this transaction walk the queue's partial indexes in
        order (pin=True), or let the planner choose again (pin=False).

        The planner's idea of how many messages are due or in flight comes from statistics
        usually taken while the queue was nearly empty. Believing few rows match, it reads
        every match through a bitmap and sorts them: with 200,000 messages waiting, every
        claim of 200 would read all 200,000. A bitmap scan also never marks the index entries
        of rows that left the queue (sent, superseded) as dead, so where nothing vacuums,
        each scan visits them all again. An ordered index scan reads only as far as the
        claim takes, and marks dead entries so that later scans skip them without reading
        the table."""
        self._execute(queue_sql.pin_index_scans(pin), fetch=False)

    @api.model
    def _claim_query(self, limit, skip=()):
        """The claim statement: it reads only what is due, through the partial index
        integration_message_due_at_idx, in priority order, and updates the rows it locked by
        their primary key (an array of ids, so that no join order can make it scan the table).
        Run it after _pin_index_scans(True); bench/queue_load.py prints its plan."""
        now = queue_core.utcnow()
        text, params = queue_sql.claim(
            now,
            now + timedelta(seconds=self._queue_settings()["lease_seconds"]),
            _worker_id(),
            set(self.env["integration.connector"]._blocked_connector_ids()) | set(skip),
            limit,
        )
        return SQL(text, **params)

    def _raw_envelopes(self):
        """{id: JSON body of its delivery before mapping}, read in one query: the delivery hot
        path reads no field one record at a time. Also {id: creation time} for transports
        that carry a timestamp."""
        if not self:
            return {}, {}
        self.flush_model(ENVELOPE_FIELDS)
        envelopes, created = {}, {}
        for row in self._execute(queue_sql.envelopes(self.ids)):
            envelopes[row[0]] = queue_core.envelope(row)
            created[row[0]] = row[6]
        return envelopes, created

    def _bodies(self, connector=None):
        """The envelopes of these messages with their payloads as the connector reads them
        (integration.product.mapping translates a whole batch in a few queries), as a
        queue_core.Bodies; and {message: why it cannot go} for the messages that name a
        product or unit without the mapping the connector requires."""
        envelopes, created = self._raw_envelopes()
        if not connector:
            return Bodies(envelopes, created), {}
        translated = self.env["integration.product.mapping"]._outbound(
            connector, {mid: envelope["payload"] for mid, envelope in envelopes.items()}
        )
        payloads = {mid: payload for mid, (payload, _reason) in translated.items()}
        unmapped = {m: translated[m.id][1] for m in self if translated[m.id][1]}
        return Bodies(envelopes, created, payloads), unmapped

    def _envelope(self, connector=None):
        """The JSON body of one delivery, as `connector` (if given) reads it."""
        self.ensure_one()
        bodies, _unmapped = self._bodies(connector)
        return bodies.of(self.id)

    def _deliver(self, resting=None):
        """Deliver claimed messages (state 'sending'), connector by connector, and record
        each outcome. Returns counts by outcome. Adds to the set `resting` the connectors
        that went unreachable, timed out or asked us to slow down, whose remaining messages
        were given back untried: the caller claims none of theirs again in this run."""
        counts = defaultdict(int)
        by_connector = defaultdict(list)
        for message in self - self._supersede_outdated(counts):  # per-key order (enqueue side)
            by_connector[message.connector_id].append(message.id)
        for connector, ids in by_connector.items():
            results, trial_failed = self.browse(ids)._deliver_to(connector, counts)
            if resting is not None and not trial_failed:
                if any(tells_to_rest(outcome) for _message, outcome in results):
                    resting.add(connector.id)
            # Retries are timed from the answers, not from the start of the batch.
            self._apply_results(connector, results, queue_core.utcnow(), counts)
        return counts

    def _supersede_outdated(self, counts=None):
        """Per-key order: those of these claimed messages whose coalescing key already has a
        newer message sent or in flight are marked superseded instead of being sent; returns
        them (counted as 'superseded' in `counts`)."""
        if not self:
            return self
        self.flush_model()
        rows = self._execute(queue_sql.supersede_outdated(self.ids, queue_core.utcnow()))
        outdated = self.browse([row[0] for row in rows])
        if outdated:
            outdated.invalidate_recordset()
            if counts is not None:
                counts["superseded"] += len(outdated)
        return outdated

    def _deliver_to(self, connector, counts):
        """Send these messages of `connector` through its transport: ([(message, Outcome)],
        whether a failed circuit trial held the others back). An open circuit lets one trial
        delivery through first; the others go only if it succeeds."""
        bodies, unmapped = self._bodies(connector)
        results = [
            (m, Outcome(False, category="mapping", permanent=True, error=reason))
            for m, reason in unmapped.items()
        ]
        pending = self.browse([m.id for m in self if m not in unmapped])
        with connector._transport() as transport:
            if pending and circuit.needs_trial(connector._circuit()):
                if not connector._take_trial():  # another worker tries it
                    pending._release()
                    counts["released"] += len(pending)
                    return results, True
                trial, pending = pending[:1], pending[1:]
                trial_results = trial._send_by(transport, bodies, counts, single=True)
                results += trial_results
                if not trial_results or not trial_results[-1][1].ok:
                    pending._release()
                    counts["released"] += len(pending)
                    return results, True
            results += pending._send_by(transport, bodies, counts)
        return results, False

    def _send_by(self, transport, bodies, counts, single=False):
        """[(message, Outcome)] of these messages sent by `transport` (see _bodies for
        `bodies`); those it did not try go back to the queue, their attempt not counted."""
        outcomes = transport.send(bodies.items(self.ids), single=single)
        untried = self[len(outcomes) :]
        untried._release()
        counts["released"] += len(untried)
        return list(zip(self, outcomes, strict=False))

    def _release(self):
        """Give claimed messages back to the queue untried (attempt not counted)."""
        if not self:
            return
        self.flush_model()
        self._execute(queue_sql.release(self.ids), fetch=False)
        self.invalidate_recordset()

    @api.model
    def _apply_results(self, connector, results, now, counts):
        """Store what queue_core decided for each (message, Outcome): sent and failed in bulk,
        dead letters through the ORM so that automation rules (exception routing) see them;
        then metrics and the connector's health."""
        if not results:
            return
        by_state = {"sent": [], "failed": [], "dead": []}
        for message, outcome in results:
            decision = queue_core.decide(
                outcome, message.attempts, connector.max_attempts, now, connector.retry_base_delay
            )
            by_state[decision.state].append((message, decision))
        self.flush_model()
        self._write_sent(by_state["sent"], now)
        self._write_failed(by_state["failed"], now)
        self.invalidate_model()
        self._write_dead(by_state["dead"], now)
        sent = [d.outcome for _m, d in by_state["sent"]]
        failures = [d.outcome for _m, d in by_state["failed"] + by_state["dead"]]
        self.env["integration.metric"]._increment(
            connector.id,
            [o.latency_ms for o in sent],
            [o.category for o in failures],
            [d.outcome.category for _m, d in by_state["failed"]],
        )
        for state, decided in by_state.items():
            counts[state] += len(decided)
        connector._record_results([outcome for _message, outcome in results])  # sent order

    @api.model
    def _write_sent(self, decided, now):
        if not decided:
            return
        ids = [m.id for m, _d in decided]
        statuses = [d.outcome.status or 200 for _m, d in decided]
        latencies = [d.outcome.latency_ms for _m, d in decided]
        self._execute(queue_sql.mark_sent(now, ids, statuses, latencies), fetch=False)

    @api.model
    def _write_failed(self, decided, now):
        if not decided:
            return
        ids = [m.id for m, _d in decided]
        next_at = [d.next_attempt_at for _m, d in decided]
        outcomes = [d.outcome for _m, d in decided]
        self._execute(queue_sql.mark_failed(now, ids, next_at, outcomes), fetch=False)

    @api.model
    def _write_dead(self, decided, now):
        for message, decision in decided:
            outcome = decision.outcome
            message.write(
                {
                    "state": "dead",
                    "dead_at": now,
                    "lease_until": False,
                    "claimed_by": False,
                    "http_status": outcome.status,
                    "latency_ms": outcome.latency_ms,
                    "error_category": outcome.category,
                    "error_message": outcome.error,
                    "response_excerpt": outcome.excerpt,
                }
            )

    # ------------------------------------------------------------------ retention

    @api.model
    def _cron_cleanup(self, batch_size=5000, time_budget=300.0):
        """Scheduled Action: remove sent, superseded and cancelled messages older than the
        retention period (Settings), in bounded batches each committed on its own, so that
        delivery is never blocked for long. Dead letters stay until someone handles them.
        Returns the number of messages removed."""
        days = int(
            self.env["ir.config_parameter"].sudo().get_param("integration_core.retention_days", 30)
        )
        if days <= 0:
            return 0
        cutoff = fields.Datetime.now() - timedelta(days=days)
        deadline = time.monotonic() + time_budget
        removed = 0
        self._queue_commit()
        while time.monotonic() < deadline:
            batch = self._remove_finished(cutoff, batch_size)
            removed += batch
            self._queue_commit()
            if batch < batch_size:
                break
        if removed:
            _logger.info("Integration queue retention: removed %s messages", removed)
        self.invalidate_model()
        return removed

    @api.model
    def _remove_finished(self, cutoff, limit):
        """Remove up to `limit` of the oldest finished messages written before `cutoff`, with
        their chatter; returns how many. Read from their partial index in order, then removed
        by primary key: each batch reads what it removes, whatever the statistics."""
        self._pin_index_scans(True)
        ids = [row[0] for row in self._execute(queue_sql.retention_batch(cutoff, limit))]
        self._pin_index_scans(False)
        for statement in queue_sql.remove_chatter(ids) if ids else ():
            self._execute(statement, fetch=False)
        return len(ids)

    # ------------------------------------------------------------------ acknowledgements

    def _record_acknowledgement(self, status, reason, at):
        """Record what the remote said it did with these messages: status "applied" or
        "rejected" (with its reason), at `at`. The latest acknowledgement wins: a channel may
        apply what it rejected once fixed. Callers run _on_acknowledged() afterwards."""
        self.sudo().write(
            {
                "ack_state": status,
                "acknowledged_at": at,
                "ack_reason": reason if status == "rejected" else False,
            }
        )

    def _on_acknowledged(self):
        """Hook run after acknowledgements were recorded on these messages. Here: a
        rejection is routed to the connector's responsible user; addons that know a better
        person for their records (the requester of a price change) route theirs first and
        call super() with the rest."""
        for connector in self.filtered(lambda m: m.ack_state == "rejected").connector_id:
            rejected = self.filtered(
                lambda m, c=connector: m.connector_id == c and m.ack_state == "rejected"
            )
            user = connector.responsible_user_id
            if not user:
                continue
            text = "; ".join(f"{m.display_name}: {m.ack_reason}" for m in rejected[:5])
            connector.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._(
                    "%(c)s rejected %(n)s message(s)", c=connector.name, n=len(rejected)
                ),
                note=text,
                user_id=user.id,
            )

    # ------------------------------------------------------------------ exception routing

    def _route_dead_letters(self):
        """Called by the shipped automation rule when messages become dead letters: one
        activity per connector for its responsible user, and a note on the connector."""
        for connector in self.connector_id:
            messages = self.filtered(lambda m, c=connector: m.connector_id == c)
            lines = "; ".join(
                f"{m.event_type} #{m.id}: {m.error_message or m.error_category}"
                for m in messages[:5]
            )
            body = self.env._(
                "%(count)s message(s) to %(connector)s became dead letters and need someone: "
                "%(lines)s",
                count=len(messages),
                connector=connector.name,
                lines=lines,
            )
            connector.message_post(body=body)
            user = connector.responsible_user_id
            if user:
                for message in messages:
                    message.activity_schedule(
                        "mail.mail_activity_data_todo",
                        summary=self.env._("Dead letter: %s", message.display_name),
                        note=(message.error_message or "") + "\n" + (message.error_hint or ""),
                        user_id=user.id,
                    )

    def _escalate_dead_letters(self):
        """Called by the shipped time-based rule for dead letters left unhandled."""
        for message in self.filtered(lambda m: m.state == "dead"):
            connector = message.connector_id
            user = connector.escalation_user_id or self.env.ref("base.user_admin", False)
            body = self.env._(
                "Escalated: dead letter %(msg)s to %(connector)s is still unhandled.",
                msg=message.display_name,
                connector=connector.name,
            )
            message.message_post(body=body)
            if user:
                message.activity_schedule(
                    "mail.mail_activity_data_warning",
                    summary=self.env._("Escalated dead letter"),
                    note=body,
                    user_id=user.id,
                )

    # ------------------------------------------------------------------ user actions

    def action_replay(self):
        """Send again: dead, failed or cancelled messages go back to the queue now.

        For Integration Users who may read the messages. No group writes the queue's fields
        (access rights): this action checks the caller, then writes the state with sudo."""
        self._integration_check_caller("integration_core.group_integration_user")
        replayable = self.filtered(lambda m: m.state in ("dead", "failed", "cancelled"))
        if not replayable:
            raise UserError(
                self.env._("Only dead letters, failed or cancelled messages can be replayed.")
            )
        outdated = replayable._outdated_by_sent()
        if outdated and not self.env.context.get("integration_replay_outdated"):
            return self._replay_confirmation(replayable, outdated)
        replayable.sudo().write(
            {
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": fields.Datetime.now(),
                "dead_at": False,
            }
        )
        if outdated:
            # Confirmed: the older content is now the newest of its key (per-key order).
            self.flush_model()
            self._execute(queue_sql.resequence(outdated.ids), fetch=False)
            outdated.invalidate_recordset(["key_sequence"])
        replayable._note_handled(
            self.env._("Replayed"), self.env._("Replayed by %s.", self.env.user.name)
        )
        self._trigger_delivery()
        return True

    def _outdated_by_sent(self):
        """Those of these messages whose coalescing key has a newer message already sent."""
        if not self:
            return self
        self.flush_model()
        return self.browse([row[0] for row in self._execute(queue_sql.outdated_by_sent(self.ids))])

    def _replay_confirmation(self, replayable, outdated):
        """The confirmation a replay of `outdated` messages needs: nothing is replayed until
        the user confirms in it (a confirmation, not a privilege: action_replay checks the
        caller again)."""
        wizard = self.env["integration.message.replay.wizard"].create(
            {"message_ids": [(6, 0, replayable.ids)], "outdated_ids": [(6, 0, outdated.ids)]}
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._(
                "%(count)s message(s) are older than one already sent for their key",
                count=len(outdated),
            ),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_cancel(self):
        """Never send these waiting, failed or dead messages. For Integration Users who may
        read them; checks the caller, then writes the state with sudo."""
        self._integration_check_caller("integration_core.group_integration_user")
        cancellable = self.filtered(lambda m: m.state in ("pending", "failed", "dead"))
        if not cancellable:
            raise UserError(self.env._("Only waiting, failed or dead messages can be cancelled."))
        cancellable.sudo().write({"state": "cancelled", "dead_at": False})
        cancellable._note_handled(
            self.env._("Cancelled"), self.env._("Cancelled by %s.", self.env.user.name)
        )
        return True

    def _note_handled(self, feedback, body):
        """Close the messages' activities and post `body` on each, as the current user:
        reading a message is enough to post on it (_mail_post_access)."""
        self.activity_ids.action_feedback(feedback=feedback)
        for message in self:
            message.message_post(body=body)

    def action_open_source(self):
        """The form of the message's source record; the web client then reads that record
        with the caller's own rights."""
        self.ensure_one()
        if not self.res_model or not self.res_id:
            raise UserError(self.env._("This message has no source record."))
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
