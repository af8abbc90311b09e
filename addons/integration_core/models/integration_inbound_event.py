# Copyright 2026 Governed Commerce Sync
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging
import traceback
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..tools import backoff

_logger = logging.getLogger(__name__)

INBOUND_STATES = [
    ("received", "Received"),
    ("processing", "Processing"),
    ("failed", "Failed, will retry"),
    ("done", "Done"),
    ("dead", "Dead letter"),
    ("cancelled", "Cancelled"),
]


class InboundRefused(Exception):
    """A handler refuses an event for a business reason (the message says which, in words).
    The event becomes a dead letter at once: retrying cannot help."""

    def __init__(self, message, category="validation"):
        super().__init__(message)
        self.category = category


class IntegrationInboundEvent(models.Model):
    """An event received from an external system (WMS, pricing or promotion engine): stored
    first, then processed by a Scheduled Action with retries and dead letters.

    Domain addons handle event types by adding a method to this model, named after the
    event type with dots as underscores: ``_handle_inbound_stock_adjusted(self)`` handles
    ``stock.adjusted``. The method receives one event (``self``), reads ``self.payload`` and
    ``self.connector_id``, applies it idempotently and returns a short result text (or
    None). It raises ``InboundRefused`` for a business refusal (dead at once), ``UserError``
    or ``ValidationError`` for invalid content (dead at once), anything else to be retried.
    """

    _name = "integration.inbound.event"
    _description = "Integration Inbound Event"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"

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

    def _process(self):
        """Run the handler of each event; record the outcome on it."""
        for event in self:
            handler = getattr(event, "_handle_inbound_" + event.event_type.replace(".", "_"), None)
            event.attempts += 1
            if handler is None:
                event._die(
                    "unknown_event",
                    self.env._("No handler is installed for event type %s.", event.event_type),
                )
                continue
            try:
                with self.env.cr.savepoint():
                    result = handler()
            except InboundRefused as exc:
                event._die(exc.category, str(exc))
            except (UserError, ValidationError) as exc:
                event._die("validation", str(exc.args[0] if exc.args else exc))
            except Exception as exc:  # noqa: BLE001 - anything else is retried, then dead
                _logger.warning("Inbound event %s failed: %s", event.id, exc)
                message = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
                if event.attempts >= event.connector_id.max_attempts:
                    event._die("processing", message)
                else:
                    delay = backoff.retry_delay(event.attempts, base=event.connector_id.retry_base_delay)
                    event.write(
                        {
                            "state": "failed",
                            "error_category": "processing",
                            "error_message": message,
                            "next_attempt_at": fields.Datetime.now() + timedelta(seconds=delay),
                        }
                    )
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

    def _die(self, category, message):
        self.write(
            {
                "state": "dead",
                "dead_at": fields.Datetime.now(),
                "error_category": category,
                "error_message": message,
            }
        )
        user = self.connector_id.responsible_user_id
        if user:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Inbound event refused: %s", self.display_name),
                note=message,
                user_id=user.id,
            )

    def action_retry(self):
        self.filtered(lambda e: e.state in ("dead", "failed")).write(
            {"state": "received", "attempts": 0, "next_attempt_at": fields.Datetime.now(),
             "dead_at": False}
        )
        self.activity_ids.action_feedback(feedback=self.env._("Retried"))
        return True

    def action_cancel(self):
        self.filtered(lambda e: e.state in ("received", "failed", "dead")).write(
            {"state": "cancelled"}
        )
        self.activity_ids.action_feedback(feedback=self.env._("Cancelled"))
        return True
