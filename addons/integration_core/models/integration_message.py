# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, config
from odoo.tools.sql import create_index

from ..tools import amqp, backoff
from ..tools.schema import validation_errors
from ..tools.transport import Outcome, classify
from .integration_connector import dumps

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
    "event_type",
    "domain_id",
    "schema_id",
    "res_model",
    "res_id",
    "source_version",
    "payload",
]


def _apply_maps(envelope, maps):
    """The envelope with its SKU and unit translated by `maps` (sku map, unit map)."""
    payload = envelope["payload"]
    if not maps or not isinstance(payload, dict):
        return envelope
    skus, uoms = maps
    if payload.get("sku") not in skus and payload.get("uom") not in uoms:
        return envelope
    payload = dict(payload)
    if payload.get("sku") in skus:
        payload["sku"] = skus[payload["sku"]]
    if payload.get("uom") in uoms:
        payload["uom"] = uoms[payload["uom"]]
    return {**envelope, "payload": payload}


class _Bodies:
    """What one delivery run sends for its messages: envelopes read in one query, creation
    times, and the connector's maps, applied as each body is built."""

    def __init__(self, envelopes, created, maps):
        self.envelopes, self.created, self.maps = envelopes, created, maps

    def of(self, message):
        return _apply_maps(self.envelopes[message.id], self.maps)


class _Where:
    """'Message 3 of 20' for error messages, translated only when an error is raised."""

    def __init__(self, env, index, count):
        self.env, self.index, self.count = env, index, count

    def __str__(self):
        return self.env._("Message %(index)s of %(count)s", index=self.index, count=self.count)


def _worker_id():
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


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

    connector_id = fields.Many2one(
        "integration.connector", required=True, ondelete="restrict", index=True, readonly=True
    )
    company_id = fields.Many2one(related="connector_id.company_id", store=True, index=True)
    domain_id = fields.Many2one(
        "integration.data.domain", "Data domain", required=True, ondelete="restrict", readonly=True
    )
    event_type = fields.Char(required=True, readonly=True, help="e.g. price.updated")
    priority_class = fields.Selection(
        PRIORITY_CLASSES, "Priority", required=True, default="2_normal", readonly=True
    )
    state = fields.Selection(
        MESSAGE_STATES, required=True, default="pending", readonly=True, tracking=True, index=True
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
    res_model = fields.Char("Source model", readonly=True, index=True)
    res_id = fields.Many2oneReference("Source record", model_field="res_model", readonly=True)
    source_version = fields.Char(readonly=True, help="Version of the source record sent.")
    age = fields.Char(compute="_compute_age", help="Time since the message was queued.")

    _sql_constraints = [
        (
            "idempotency_key_uniq",
            "unique(connector_id, idempotency_key)",
            "A message with this idempotency key was already queued for this connector.",
        ),
    ]

    def init(self):
        # The queue's hot queries read only what is waiting or in flight: partial indexes keep
        # them cheap however many sent messages pile up behind.
        create_index(
            self.env.cr,
            "integration_message_due_idx",
            self._table,
            ["priority_class", "next_attempt_at", "id"],
            where="state IN ('pending', 'failed')",
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
          source_version.

        All or nothing: on any invalid message a ValidationError names it and nothing is
        queued. A message whose idempotency key is already queued for its connector is not
        queued again. Runs a fixed number of queries whatever the number of messages.
        Returns the messages created.
        """
        if not messages:
            return self.browse()
        rows = self._prepare_rows(messages)
        # Coalescing inside the call: the last message for a key wins.
        latest = {}
        for index, row in enumerate(rows):
            if row["coalescing_key"]:
                latest[(row["connector_id"], row["coalescing_key"])] = index
        rows = [
            row
            for index, row in enumerate(rows)
            if not row["coalescing_key"]
            or latest[(row["connector_id"], row["coalescing_key"])] == index
        ]
        now = fields.Datetime.now()
        uid = self.env.uid
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO integration_message (
                    connector_id, company_id, domain_id, event_type, priority_class, state,
                    payload, schema_id, idempotency_key, coalescing_key, attempts,
                    next_attempt_at, res_model, res_id, source_version,
                    create_uid, create_date, write_uid, write_date)
                SELECT r.connector_id, c.company_id, r.domain_id, r.event_type, r.priority_class,
                       'pending', r.payload, r.schema_id, r.idempotency_key, r.coalescing_key, 0,
                       %(now)s, r.res_model, r.res_id, r.source_version,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(connector)s::int[], %(domain)s::int[], %(event)s::varchar[],
                              %(priority)s::varchar[], %(payload)s::jsonb[], %(schema)s::int[],
                              %(key)s::varchar[], %(coalesce)s::varchar[], %(res_model)s::varchar[],
                              %(res_id)s::int[], %(version)s::varchar[])
                       WITH ORDINALITY AS r(connector_id, domain_id, event_type, priority_class,
                                            payload, schema_id, idempotency_key, coalescing_key,
                                            res_model, res_id, source_version, n)
                  JOIN integration_connector c ON c.id = r.connector_id
                 ORDER BY r.n
                ON CONFLICT (connector_id, idempotency_key) DO NOTHING
                RETURNING id, connector_id, coalescing_key
                """,
                now=now,
                uid=uid,
                connector=[r["connector_id"] for r in rows],
                domain=[r["domain_id"] for r in rows],
                event=[r["event_type"] for r in rows],
                priority=[r["priority_class"] for r in rows],
                payload=[json.dumps(r["payload"]) for r in rows],
                schema=[r["schema_id"] for r in rows],
                key=[r["idempotency_key"] for r in rows],
                coalesce=[r["coalescing_key"] for r in rows],
                res_model=[r["res_model"] for r in rows],
                res_id=[r["res_id"] for r in rows],
                version=[r["source_version"] for r in rows],
            )
        )
        created = self.env.cr.fetchall()
        ids = [row[0] for row in created]
        coalesced = [(row[0], row[1], row[2]) for row in created if row[2]]
        if coalesced:
            # Older waiting messages for the same record are superseded by the new one.
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE integration_message old
                       SET state = 'superseded', superseded_by_id = new.id,
                           write_date = %(now)s, write_uid = %(uid)s
                      FROM unnest(%(ids)s::int[], %(connectors)s::int[], %(keys)s::varchar[])
                           AS new(id, connector_id, coalescing_key)
                     WHERE old.connector_id = new.connector_id
                       AND old.coalescing_key = new.coalescing_key
                       AND old.state IN ('pending', 'failed')
                       AND old.id < new.id
                    """,
                    now=now,
                    uid=uid,
                    ids=[c[0] for c in coalesced],
                    connectors=[c[1] for c in coalesced],
                    keys=[c[2] for c in coalesced],
                )
            )
        self.invalidate_model()
        if any(r["priority_class"] == "0_realtime" for r in rows) and ids:
            self._trigger_delivery()
        return self.browse(ids)

    def _prepare_rows(self, messages):
        """Check and normalise _enqueue input; raise ValidationError naming the bad message."""
        Connector = self.env["integration.connector"]
        connector_ids = {
            m.get("connector").id
            if isinstance(m.get("connector"), models.BaseModel)
            else m.get("connector")
            for m in messages
        }
        connectors = {
            c.id: c
            for c in Connector.sudo()
            .with_context(active_test=False)
            .browse([cid for cid in connector_ids if isinstance(cid, int)])
            .exists()
        }
        domains = {d.code: d for d in self.env["integration.data.domain"].sudo().search([])}
        Schema = self.env["integration.schema"]
        schemas = {}
        checked = set()
        rows = []
        for index, message in enumerate(messages, start=1):
            where = _Where(self.env, index, len(messages))
            connector = message.get("connector")
            connector_id = connector.id if isinstance(connector, models.BaseModel) else connector
            connector = connectors.get(connector_id)
            if not connector:
                raise ValidationError(self.env._("%(where)s: no such connector.", where=where))
            domain = domains.get(message.get("domain"))
            # Connector and domain checks read records: once per pair, not once per message.
            if (connector.id, message.get("domain")) not in checked:
                if not connector.active:
                    raise ValidationError(
                        self.env._(
                            "%(where)s: connector %(c)s is archived.", where=where, c=connector.name
                        )
                    )
                if not domain:
                    raise ValidationError(
                        self.env._(
                            "%(where)s: unknown data domain %(domain)r (known: %(known)s).",
                            where=where,
                            domain=message.get("domain"),
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
                checked.add((connector.id, message.get("domain")))
            event_type = message.get("event_type")
            if not event_type or not isinstance(event_type, str):
                raise ValidationError(
                    self.env._("%(where)s: the event type is missing.", where=where)
                )
            payload = message.get("payload")
            if not isinstance(payload, dict):
                raise ValidationError(
                    self.env._("%(where)s: the payload must be a JSON object.", where=where)
                )
            schema_id = False
            if message.get("schema"):
                ref = message["schema"]
                ref = ref if isinstance(ref, str) else tuple(ref)
                if ref not in schemas:
                    found = Schema._lookup(ref)
                    schemas[ref] = (found, found._read_file(found.file_path))
                schema, schema_text = schemas[ref]
                errors = validation_errors(schema_text, payload)
                if errors:
                    raise ValidationError(
                        self.env._(
                            "%(where)s (%(event)s to %(c)s) does not match schema %(schema)s: "
                            "%(errors)s",
                            where=where,
                            event=event_type,
                            c=connector.name,
                            schema=schema.display_name,
                            errors="; ".join(errors),
                        )
                    )
                schema_id = schema.id
            priority = message.get("priority") or "normal"
            priority = PRIORITY_ALIASES.get(priority, priority)
            if priority not in dict(PRIORITY_CLASSES):
                raise ValidationError(
                    self.env._("%(where)s: unknown priority %(p)r.", where=where, p=priority)
                )
            record = message.get("record")
            res_model = record._name if record else message.get("res_model")
            res_id = record.id if record else message.get("res_id")
            rows.append(
                {
                    "connector_id": connector.id,
                    "domain_id": domain.id,
                    "event_type": event_type,
                    "priority_class": priority,
                    "payload": payload,
                    "schema_id": schema_id or None,
                    "idempotency_key": str(message.get("idempotency_key") or uuid.uuid4()),
                    "coalescing_key": message.get("coalescing_key") or None,
                    "res_model": res_model or None,
                    "res_id": res_id or None,
                    "source_version": (
                        str(message["source_version"]) if message.get("source_version") else None
                    ),
                }
            )
        return rows

    @api.model
    def _delivery_crons(self):
        """Every active delivery job (the shipped workers and any an admin duplicated)."""
        return (
            self.env["ir.cron"]
            .sudo()
            .search([("model_id.model", "=", self._name), ("code", "=", "model._cron_deliver()")])
        )

    @api.model
    def _trigger_delivery(self):
        for cron in self._delivery_crons():
            cron._trigger()

    # ------------------------------------------------------------------ processing

    @api.model
    def _queue_settings(self):
        return {
            "batch_size": int(config.get("integration_queue_batch_size") or 200),
            "lease_seconds": int(config.get("integration_queue_lease_seconds") or 300),
            "time_budget": float(config.get("integration_queue_time_budget") or 50),
        }

    def _queue_commit(self):
        """Commit between batches (except inside a test's transaction) and run the next
        transaction in READ COMMITTED: several workers claim with FOR UPDATE SKIP LOCKED and
        touch the same connector rows, which Odoo's default REPEATABLE READ would turn into
        serialization failures instead of short waits."""
        if getattr(threading.current_thread(), "testing", False) or self.env.context.get(
            "integration_no_commit"
        ):
            return
        self.env.cr.commit()  # pylint: disable=invalid-commit
        self.env.cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")

    @api.model
    def _cron_deliver(self):
        """Scheduled Action: deliver due messages in bounded, committed batches."""
        settings = self._queue_settings()
        return self._process_queue(
            batch_size=settings["batch_size"], time_budget=settings["time_budget"]
        )

    @api.model
    def _process_queue(self, batch_size=200, time_budget=50.0, max_batches=None):
        """Claim and deliver due messages until none is due, the time budget is spent or
        max_batches were processed. Safe to run in any number of workers at once. Returns
        counts by outcome."""
        deadline = time.monotonic() + time_budget
        totals = defaultdict(int)
        batches = 0
        # Expired leases are looked for at the start and whenever the queue has caught up (a
        # claim came back short), not before every batch: while a backlog drains, a stopped
        # worker's messages wait for the next run, and a batch costs no scan of the leases.
        reclaim = True
        # Connectors that went unreachable, timed out or asked us to slow down in this run:
        # their messages went back to the queue untried and wait for the next run.
        resting = set()
        self._queue_commit()  # start from a fresh READ COMMITTED transaction
        while time.monotonic() < deadline and (max_batches is None or batches < max_batches):
            if reclaim:
                self._reclaim_expired_leases()
            batch = self._claim(batch_size, skip=resting)
            reclaim = len(batch) < batch_size
            self._queue_commit()
            if not batch:
                # Leases of a stopped worker about to expire: wait for them rather than leave
                # their messages to the next run.
                wait = self._seconds_to_next_lease_expiry()
                if wait is not None and wait <= min(10.0, deadline - time.monotonic()):
                    time.sleep(wait + 0.1)
                    continue
                break
            batches += 1
            for key, value in batch._deliver(resting).items():
                totals[key] += value
            self._queue_commit()
        if totals:
            _logger.info("Integration queue: %s", dict(totals))
        return dict(totals)

    @api.model
    def _seconds_to_next_lease_expiry(self):
        """Seconds until the earliest lease of a message in flight expires; None if none."""
        self.env.cr.execute(
            "SELECT min(lease_until) FROM integration_message WHERE state = 'sending'"
        )
        earliest = self.env.cr.fetchone()[0]
        if earliest is None:
            return None
        return max(0.0, (earliest - fields.Datetime.now()).total_seconds())

    @api.model
    def _reclaim_expired_leases(self):
        """Messages left in 'sending' by a worker that died are due again (the remote dedups
        by idempotency key if the delivery did arrive)."""
        self.flush_model()
        self._pin_index_scans(True)
        self.env.cr.execute(
            SQL(
                """
                UPDATE integration_message
                   SET state = 'failed', lease_until = NULL, claimed_by = NULL,
                       error_category = 'crash', next_attempt_at = %(now)s,
                       error_message = %(msg)s
                 WHERE state = 'sending' AND lease_until < %(now)s
                """,
                now=fields.Datetime.now(),
                msg=self.env._("The worker sending this message stopped; sent again."),
            )
        )
        reclaimed = self.env.cr.rowcount
        self._pin_index_scans(False)
        if reclaimed:
            _logger.warning("Reclaimed %s messages from stopped workers", reclaimed)
            self.invalidate_model()

    @api.model
    def _claim(self, limit, skip=()):
        """Lock and lease up to `limit` due messages in priority order, skipping those other
        workers hold (FOR UPDATE SKIP LOCKED) and those of the connectors in `skip`."""
        self.flush_model()
        query = self._claim_query(limit, skip)
        self._pin_index_scans(True)
        self.env.cr.execute(query)
        rows = sorted(self.env.cr.fetchall(), key=lambda r: (r[1], r[0]))
        self._pin_index_scans(False)
        self.invalidate_model()
        return self.browse([r[0] for r in rows])

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
        value = SQL("off") if pin else SQL("DEFAULT")
        self.env.cr.execute(
            SQL(
                "SET LOCAL enable_seqscan TO %(v)s; SET LOCAL enable_bitmapscan TO %(v)s; "
                "SET LOCAL enable_sort TO %(v)s",
                v=value,
            )
        )

    @api.model
    def _claim_query(self, limit, skip=()):
        """The claim statement: it reads only what is due, through the partial index
        integration_message_due_idx, in priority order, and updates the rows it locked by
        their primary key (an array of ids, so that no join order can make it scan the table).
        Run it after _pin_index_scans(True); bench/queue_load.py prints its plan."""
        now = fields.Datetime.now()
        return SQL(
            """
            UPDATE integration_message m
               SET state = 'sending', attempts = m.attempts + 1, lease_until = %(lease)s,
                   claimed_by = %(worker)s, last_attempt_at = %(now)s
             WHERE m.id = ANY(ARRAY(
                    SELECT id FROM integration_message
                     WHERE state IN ('pending', 'failed')
                       AND next_attempt_at <= %(now)s
                       AND NOT (connector_id = ANY(%(blocked)s::int[]))
                     ORDER BY priority_class, next_attempt_at, id
                     LIMIT %(limit)s
                       FOR UPDATE SKIP LOCKED))
         RETURNING m.id, m.priority_class
            """,
            now=now,
            blocked=sorted(
                set(self.env["integration.connector"]._blocked_connector_ids()) | set(skip)
            ),
            limit=limit,
            lease=now + timedelta(seconds=self._queue_settings()["lease_seconds"]),
            worker=_worker_id(),
        )

    def _raw_envelopes(self):
        """{id: JSON body of its delivery before mapping}, read in one query: the delivery hot
        path reads no field one record at a time. Also {id: creation time} for transports
        that carry a timestamp."""
        if not self:
            return {}, {}
        self.flush_model(ENVELOPE_FIELDS)
        self.env.cr.execute(
            SQL(
                """
                SELECT m.id, m.idempotency_key, m.event_type, d.code, s.name, s.version,
                       m.create_date, m.res_model, m.res_id, m.source_version, m.payload
                  FROM integration_message m
                  JOIN integration_data_domain d ON d.id = m.domain_id
             LEFT JOIN integration_schema s ON s.id = m.schema_id
                 WHERE m.id = ANY(%(ids)s)
                """,
                ids=self.ids,
            )
        )
        envelopes, created = {}, {}
        for row in self.env.cr.fetchall():
            (mid, key, event_type, domain, schema, version, create_date, res_model, res_id) = row[
                :9
            ]
            envelopes[mid] = {
                "idempotency_key": key,
                "event_type": event_type,
                "domain": domain,
                "schema": f"{schema}/v{version}" if schema else None,
                "queued_at": fields.Datetime.to_string(create_date),
                "source": {"model": res_model, "id": res_id or 0, "version": row[9] or False}
                if res_model
                else None,
                "payload": row[10],
            }
            created[mid] = create_date
        return envelopes, created

    def _bodies(self, connector=None):
        """The envelopes of these messages with the connector's SKU and unit maps applied, as
        a _Bodies; and the messages that cannot go for lack of a required mapping."""
        envelopes, created = self._raw_envelopes()
        maps, unmapped = self._connector_maps(connector, envelopes) if connector else (None, [])
        return _Bodies(envelopes, created, maps), unmapped

    def _envelope(self, maps=None):
        """The JSON body of one delivery; `maps` translate our SKUs and units into the
        connector's (see _connector_maps)."""
        self.ensure_one()
        envelopes, _created = self._raw_envelopes()
        return _apply_maps(envelopes[self.id], maps)

    def _connector_maps(self, connector, envelopes):
        """(sku map, unit map) of the connector for these messages, in two queries, and the
        messages that cannot go because their product has no mapping where one is required."""
        payloads = {
            mid: envelope["payload"]
            for mid, envelope in envelopes.items()
            if isinstance(envelope["payload"], dict)
        }
        skus = {p.get("sku") for p in payloads.values() if isinstance(p.get("sku"), str)}
        sku_map = connector._external_skus(skus)
        uom_map = {m.uom_id.name: m.external_code for m in connector.uom_mapping_ids}
        unmapped = []
        if connector.mapping_required:
            unmapped = [
                message
                for message in self
                if (sku := payloads.get(message.id, {}).get("sku")) and sku not in sku_map
            ]
        return (sku_map, uom_map), unmapped

    def _deliver(self, resting=None):
        """Deliver claimed messages (state 'sending'), connector by connector, and record
        each outcome. Returns counts by outcome. Adds to the set `resting` the connectors
        that went unreachable, timed out or asked us to slow down, whose remaining messages
        were given back untried: the caller claims none of theirs again in this run."""
        counts = defaultdict(int)
        by_connector = defaultdict(list)
        for message in self:
            by_connector[message.connector_id].append(message)
        now = fields.Datetime.now()
        for connector, messages in by_connector.items():
            results = []  # (message, Outcome)
            bodies, unmapped = self.browse([m.id for m in messages])._bodies(connector)
            for message in unmapped:
                results.append(
                    (
                        message,
                        Outcome(
                            False,
                            category="mapping",
                            permanent=True,
                            error=self.env._(
                                "Product %(sku)s has no mapping for %(connector)s, which requires one. "
                                "Add it (connector > Inbound > products), then replay.",
                                sku=bodies.envelopes[message.id]["payload"].get("sku"),
                                connector=connector.name,
                            ),
                        ),
                    )
                )
            pending = [m for m in messages if m not in unmapped]
            if connector.circuit_state == "open" and pending:
                # Cool-down over: one trial delivery decides whether the circuit closes.
                trial, pending = pending[:1], pending[1:]
                trial_results = self.browse([m.id for m in trial])._send_group(
                    connector, bodies, single=True
                )
                results += trial_results
                if not trial_results[-1][1].ok:
                    self._apply_results(connector, results, now, counts)
                    self.browse([m.id for m in pending])._release()
                    counts["released"] += len(pending)
                    continue
            chunk = max(1, connector.batch_size)
            if connector.transport == "amqp":
                # One publisher for the whole run; it stops early on a lost connection.
                results += self.browse([m.id for m in pending])._send_amqp(connector, bodies)
                pending = []
            for start in range(0, len(pending), chunk):
                group = self.browse([m.id for m in pending[start : start + chunk]])
                results += group._send_group(connector, bodies)
                # Stop early on a connector that just asked us to wait or went unwell.
                last = results[-1][1]
                if not last.ok and last.category in ("rate_limited", "network", "timeout"):
                    rest = self.browse([m.id for m in pending[start + chunk :]])
                    if rest:
                        rest._release()
                        counts["released"] += len(rest)
                    break
            if resting is not None and any(
                not outcome.ok and outcome.category in ("rate_limited", "network", "timeout")
                for _message, outcome in results
            ):
                resting.add(connector.id)
            self._apply_results(connector, results, now, counts)
        return counts

    def _send_group(self, connector, bodies=None, single=False):
        """Send these messages (at most the connector's batch size) by its transport; `single`
        sends one by one over HTTP (the circuit breaker's trial). `bodies` (see _bodies) holds
        their envelopes, read once per delivery run."""
        if connector.transport == "amqp":
            return self._send_amqp(connector, bodies)
        if not single and connector.batch_size > 1 and connector.batch_path:
            return self._send_batch(connector, bodies)
        return self._send_each(connector, bodies)

    def _send_amqp(self, connector, bodies=None):
        """Publish these messages to the connector's exchange in groups of its batch size, each
        group followed by a wait for the broker's confirms (batch size 1: publish and wait)."""
        bodies = bodies or self._bodies(connector)[0]
        items = []
        routing_keys = {}
        for message in self:
            envelope = bodies.of(message)
            domain, event_type = envelope["domain"], envelope["event_type"]
            routing_key = routing_keys.get((domain, event_type))
            if routing_key is None:
                routing_key = routing_keys[domain, event_type] = connector._routing_key(
                    domain, event_type
                )
            items.append(
                (
                    routing_key,
                    dumps(envelope),
                    amqp.properties(
                        envelope["idempotency_key"],
                        event_type,
                        domain,
                        bodies.created[message.id].replace(tzinfo=UTC).timestamp(),
                        {"schema": envelope["schema"] or ""},
                    ),
                )
            )
        outcomes = connector._publish_amqp(items, chunk=max(1, connector.batch_size))
        untried = self[len(outcomes) :]
        untried._release()  # after a lost connection: back to the queue, attempt not counted
        return list(zip(self, outcomes, strict=False))

    def _send_each(self, connector, bodies=None):
        bodies = bodies or self._bodies(connector)[0]
        results = []
        for message in self:
            envelope = bodies.of(message)
            headers = {
                "Idempotency-Key": envelope["idempotency_key"],
                "X-Event-Type": envelope["event_type"],
            }
            outcome = connector._send(connector.delivery_path, dumps(envelope), headers)
            results.append((message, outcome))
            if not outcome.ok and outcome.category in ("rate_limited", "network", "timeout"):
                # Do not keep hammering: the rest of this group goes back to the queue.
                rest = self - self.browse([m.id for m, _o in results])
                rest._release()
                break
        return results

    def _send_batch(self, connector, bodies=None):
        """One request for the group; per-message results from the remote's answer."""
        bodies = bodies or self._bodies(connector)[0]
        body = dumps({"messages": [bodies.of(m) for m in self]})
        batch_key = (
            "batch-" + uuid.uuid5(uuid.NAMESPACE_URL, ",".join(self.mapped("idempotency_key"))).hex
        )
        outcome = connector._send(connector.batch_path, body, {"Idempotency-Key": batch_key})
        if not outcome.ok:
            return [(message, outcome) for message in self]
        try:
            answer = json.loads(outcome.body or b"{}")
            by_key = {r["idempotency_key"]: r for r in answer.get("results", [])}
        except (ValueError, TypeError, KeyError, AttributeError):
            by_key = {}
        results = []
        for message in self:
            item = by_key.get(message.idempotency_key)
            if item is None:
                results.append(
                    (
                        message,
                        Outcome(
                            False,
                            status=outcome.status,
                            category="remote_error",
                            error=self.env._("The batch answer did not mention this message."),
                            latency_ms=outcome.latency_ms,
                        ),
                    )
                )
                continue
            status = int(item.get("status") or 200)
            if 200 <= status < 300:
                results.append(
                    (message, Outcome(True, status=status, latency_ms=outcome.latency_ms))
                )
            else:
                category, permanent, text = classify(status, str(item.get("error") or ""))
                results.append(
                    (
                        message,
                        Outcome(
                            False,
                            status=status,
                            category=category,
                            error=text,
                            permanent=permanent,
                            latency_ms=outcome.latency_ms,
                            excerpt=str(item.get("error") or "")[:500],
                        ),
                    )
                )
        return results

    def _release(self):
        """Give claimed messages back to the queue untried (attempt not counted)."""
        if not self:
            return
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                UPDATE integration_message
                   SET state = CASE WHEN attempts > 1 THEN 'failed' ELSE 'pending' END,
                       attempts = GREATEST(attempts - 1, 0), lease_until = NULL, claimed_by = NULL
                 WHERE id = ANY(%(ids)s) AND state = 'sending'
                """,
                ids=self.ids,
            )
        )
        self.invalidate_recordset()

    @api.model
    def _apply_results(self, connector, results, now, counts):
        """Write outcomes in bulk; dead letters go through the ORM so that automation rules
        (exception routing) see them."""
        if not results:
            return
        sent, failed, dead = [], [], []
        for message, outcome in results:
            if outcome.ok:
                sent.append((message, outcome))
            elif outcome.permanent or message.attempts >= connector.max_attempts:
                dead.append((message, outcome))
            else:
                failed.append((message, outcome))
        self.flush_model()
        # "m.id = ANY(ids)" besides the join: the rows are then found by primary key even when
        # the statistics make the table look empty (a join alone may then read all of it).
        if sent:
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE integration_message m
                       SET state = 'sent', sent_at = %(now)s, lease_until = NULL,
                           http_status = v.status, latency_ms = v.latency,
                           error_category = NULL, error_message = NULL,
                           write_date = %(now)s
                      FROM unnest(%(ids)s::int[], %(status)s::int[], %(latency)s::int[])
                           AS v(id, status, latency)
                     WHERE m.id = v.id AND m.id = ANY(%(ids)s)
                    """,
                    now=now,
                    ids=[m.id for m, _o in sent],
                    status=[o.status or 200 for _m, o in sent],
                    latency=[o.latency_ms for _m, o in sent],
                )
            )
        if failed:
            next_at = []
            for message, outcome in failed:
                delay = backoff.retry_delay(message.attempts, base=connector.retry_base_delay)
                if outcome.retry_after is not None:
                    delay = max(delay, outcome.retry_after)
                next_at.append(now + timedelta(seconds=delay))
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE integration_message m
                       SET state = 'failed', next_attempt_at = v.next_at, lease_until = NULL,
                           claimed_by = NULL, http_status = v.status, latency_ms = v.latency,
                           error_category = v.category, error_message = v.error,
                           response_excerpt = v.excerpt, write_date = %(now)s
                      FROM unnest(%(ids)s::int[], %(next_at)s::timestamp[], %(status)s::int[],
                                  %(latency)s::int[], %(category)s::varchar[], %(error)s::text[],
                                  %(excerpt)s::text[])
                           AS v(id, next_at, status, latency, category, error, excerpt)
                     WHERE m.id = v.id AND m.id = ANY(%(ids)s)
                    """,
                    now=now,
                    ids=[m.id for m, _o in failed],
                    next_at=next_at,
                    status=[o.status for _m, o in failed],
                    latency=[o.latency_ms for _m, o in failed],
                    category=[o.category for _m, o in failed],
                    error=[o.error for _m, o in failed],
                    excerpt=[o.excerpt for _m, o in failed],
                )
            )
        self.invalidate_model()
        for message, outcome in dead:
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
        self.env["integration.metric"]._increment(
            connector.id,
            [o.latency_ms for _m, o in sent],
            [o.category for _m, o in failed + dead],
        )
        counts["sent"] += len(sent)
        counts["failed"] += len(failed)
        counts["dead"] += len(dead)
        connector._record_results(bool(sent), [o for _m, o in failed] + [o for _m, o in dead])

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
            # The oldest finished messages from their partial index, in order, then removed
            # by primary key: each batch reads what it removes, whatever the statistics.
            self._pin_index_scans(True)
            self.env.cr.execute(
                SQL(
                    """
                    DELETE FROM integration_message
                     WHERE id = ANY(ARRAY(
                            SELECT id FROM integration_message
                             WHERE state IN ('sent', 'superseded', 'cancelled')
                               AND write_date < %(cutoff)s
                             ORDER BY write_date, id
                             LIMIT %(limit)s
                               FOR UPDATE SKIP LOCKED))
                 RETURNING id
                    """,
                    cutoff=cutoff,
                    limit=batch_size,
                )
            )
            ids = [row[0] for row in self.env.cr.fetchall()]
            self._pin_index_scans(False)
            if ids:
                # Their chatter goes with them (no foreign key ties it to the message).
                self.env.cr.execute(
                    SQL(
                        "DELETE FROM mail_message WHERE model = 'integration.message' "
                        "AND res_id = ANY(%(ids)s)",
                        ids=ids,
                    )
                )
                self.env.cr.execute(
                    SQL(
                        "DELETE FROM mail_followers WHERE res_model = 'integration.message' "
                        "AND res_id = ANY(%(ids)s)",
                        ids=ids,
                    )
                )
            batch = len(ids)
            removed += batch
            self._queue_commit()
            if batch < batch_size:
                break
        if removed:
            _logger.info("Integration queue retention: removed %s messages", removed)
        self.invalidate_model()
        return removed

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
        replayable.sudo().write(
            {
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": fields.Datetime.now(),
                "dead_at": False,
            }
        )
        replayable._note_handled(
            self.env._("Replayed"), self.env._("Replayed by %s.", self.env.user.name)
        )
        self._trigger_delivery()
        return True

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

    # ------------------------------------------------------------------ figures

    @api.model
    def _connector_figures(self, connector_ids):
        """Dashboard figures per connector, each from a query that an index serves."""
        cr = self.env.cr
        now = fields.Datetime.now()
        since = now - timedelta(hours=24)
        figures = defaultdict(dict)
        cr.execute(
            SQL(
                """
                SELECT connector_id, count(*), min(create_date)
                  FROM integration_message
                 WHERE state IN ('pending', 'failed', 'sending') AND connector_id = ANY(%(ids)s)
                 GROUP BY connector_id
                """,
                ids=connector_ids,
            )
        )
        for cid, count, oldest in cr.fetchall():
            figures[cid].update(waiting=count, oldest=oldest)
        cr.execute(
            SQL(
                "SELECT connector_id, count(*) FROM integration_message "
                "WHERE state = 'dead' AND connector_id = ANY(%(ids)s) GROUP BY connector_id",
                ids=connector_ids,
            )
        )
        for cid, count in cr.fetchall():
            figures[cid]["dead"] = count
        cr.execute(
            SQL(
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
        )
        for cid, count, p50, p95 in cr.fetchall():
            figures[cid].update(sent_24h=count, p50=p50 or 0, p95=p95 or 0)
        cr.execute(
            SQL(
                """
                SELECT connector_id, count(*) FROM integration_message
                 WHERE state IN ('failed', 'dead') AND connector_id = ANY(%(ids)s)
                   AND last_attempt_at >= %(since)s
                 GROUP BY connector_id
                """,
                ids=connector_ids,
                since=since,
            )
        )
        for cid, count in cr.fetchall():
            figures[cid]["failed_24h"] = count
        return figures

    # ------------------------------------------------------------------ demo

    @api.model
    def _demo_populate(self):
        """Demo data: a queue with messages in every state, with the errors people meet."""
        webshop = self.env.ref("integration_core.demo_connector_webshop")
        marketplace = self.env.ref("integration_core.demo_connector_marketplace")
        wms = self.env.ref("integration_core.demo_connector_wms")
        now = fields.Datetime.now()

        def stock(connector, sku, qty, **extra):
            return {
                "connector": connector,
                "domain": "stock",
                "event_type": "stock.level",
                "payload": {"sku": sku, "quantity": qty},
                "schema": "stock",
                "coalescing_key": f"stock:{sku}",
                **extra,
            }

        def price(connector, sku, amount):
            return {
                "connector": connector,
                "domain": "base_price",
                "event_type": "price.updated",
                "payload": {"sku": sku, "pricelist": "Public", "currency": "EUR", "price": amount},
                "schema": "price",
            }

        messages = self._enqueue(
            [
                stock(webshop, "FURN_0096", 14, priority="realtime"),
                stock(webshop, "FURN_8888", 3),
                price(webshop, "FURN_0269", 149.0),
                stock(marketplace, "FURN_0096", 9),
                stock(wms, "FURN_7800", 40),
                price(webshop, "FURN_6666", 89.5),
                stock(wms, "E-COM11", 0),
                price(webshop, "FURN_0789", 320.0),
            ]
        )
        _pending, _superseded, sent, _frozen, failed, dead, dead_rejected, cancelled = messages
        sent.write(
            {
                "state": "sent",
                "attempts": 1,
                "sent_at": now,
                "http_status": 200,
                "latency_ms": 42,
                "last_attempt_at": now,
            }
        )
        failed.write(
            {
                "state": "failed",
                "attempts": 2,
                "last_attempt_at": now,
                "next_attempt_at": now + timedelta(minutes=4),
                "error_category": "network",
                "error_message": "Could not reach the remote: ConnectionError: connection refused "
                "by 127.0.0.1:8097 (the WMS gateway is down for maintenance).",
            }
        )
        dead.write(
            {
                "state": "dead",
                "attempts": 8,
                "last_attempt_at": now,
                "dead_at": now,
                "http_status": 401,
                "error_category": "auth",
                "error_message": "The remote refused our credentials (HTTP 401).",
                "response_excerpt": '{"error": "unauthorized", "reason": "API key expired on 2026-11-01"}',
            }
        )
        dead_rejected.write(
            {
                "state": "dead",
                "attempts": 1,
                "last_attempt_at": now,
                "dead_at": now,
                "http_status": 422,
                "error_category": "rejected",
                "error_message": "The remote rejected the message (HTTP 422): unknown SKU E-COM11",
                "response_excerpt": '{"error": "unknown sku", "sku": "E-COM11"}',
            }
        )
        cancelled.write({"state": "cancelled"})
        self._enqueue([stock(webshop, "FURN_8888", 2)])  # supersedes the older waiting one
        # Connector health that matches the story: the webshop works but one key expired, the
        # WMS gateway has been down for the last two tries.
        webshop.sudo().write(
            {
                "last_success_at": now,
                "last_failure_at": now - timedelta(hours=1),
                "last_error": dead.error_message,
            }
        )
        wms.sudo().write(
            {
                "last_success_at": now - timedelta(hours=3),
                "last_failure_at": now,
                "last_error": failed.error_message[:250],
                "consecutive_failures": 2,
            }
        )
        return messages
