"""The queue's plain core, free of the ORM: what one delivery sends (envelopes with the
payloads as the connector reads them) and what becomes of a message after an attempt (the outcome
decision), one small function per state change, as OCA queue_job's Job has set_done /
set_failed. Retry timing lives in backoff.py alone; the models only store what is decided
here.

>>> from datetime import datetime
>>> now = datetime(2026, 1, 1, 12, 0)
>>> decide(Outcome(True, status=200), attempts=1, max_attempts=8, now=now).state
'sent'
>>> decide(Outcome(False, status=422, permanent=True), 1, 8, now).state
'dead'
>>> later = decide(Outcome(False, status=503, category="remote_error"), 1, 8, now, base=10)
>>> later.state, 5 <= (later.next_attempt_at - now).total_seconds() <= 10
('failed', True)
>>> decide(Outcome(False, category="timeout"), 8, 8, now).state
'dead'
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from . import backoff
from .transport import Outcome, tells_to_rest  # noqa: F401 - the queue's words


def utcnow():
    """Now in naive UTC to the microsecond: the queue's clock. fields.Datetime.now() drops the
    microseconds, which would make every retry and pause up to a second longer."""
    return datetime.now(UTC).replace(tzinfo=None)


# ---------------------------------------------------------------- enqueue


def coalesce(rows):
    """`rows` without those a later row of the same call supersedes (same connector and
    coalescing key): the last message for a key wins.

    >>> [r["n"] for r in coalesce([
    ...     {"n": 1, "connector_id": 1, "coalescing_key": "a"},
    ...     {"n": 2, "connector_id": 1, "coalescing_key": None},
    ...     {"n": 3, "connector_id": 1, "coalescing_key": "a"},
    ...     {"n": 4, "connector_id": 2, "coalescing_key": "a"}])]
    [2, 3, 4]
    """
    seen = set()
    kept = []
    for row in reversed(rows):  # the last of a key is the first met backwards
        key = row["coalescing_key"]
        if key:
            key = (row["connector_id"], key)
            if key in seen:
                continue
            seen.add(key)
        kept.append(row)
    kept.reverse()
    return kept


# ---------------------------------------------------------------- envelopes


def envelope(row):
    """The JSON body of one delivery, before mapping, from a row of envelopes_statement():
    (id, key, event type, domain code, schema name, schema version, created, source model,
    source id, source version, payload, sequence). `sequence` grows with each message of a
    coalescing key: a receiver may drop one older than the last it applied for that key."""
    _mid, key, event_type, domain, schema, version, created, res_model, res_id = row[:9]
    source = None
    if res_model:
        source = {"model": res_model, "id": res_id or 0, "version": row[9] or False}
    return {
        "idempotency_key": key,
        "event_type": event_type,
        "domain": domain,
        "schema": f"{schema}/v{version}" if schema else None,
        "queued_at": created.strftime("%Y-%m-%d %H:%M:%S"),
        "source": source,
        "sequence": row[11],
        "payload": row[10],
    }


class Bodies:
    """What one delivery run sends for its messages: envelopes read in one query ({id:
    envelope}), creation times ({id: datetime}) and the payloads as the connector reads
    them ({id: payload}, see integration.product.mapping), put in their envelopes as each
    body is built.

    >>> bodies = Bodies({7: {"payload": {"sku": "A"}, "sequence": 1}}, {7: None},
    ...                 {7: {"sku": "EXT-A"}})
    >>> bodies.of(7)
    {'payload': {'sku': 'EXT-A'}, 'sequence': 1}
    >>> Bodies({7: {"payload": {"sku": "A"}}}, {7: None}).of(7)
    {'payload': {'sku': 'A'}}
    """

    def __init__(self, envelopes, created, payloads=None):
        self.envelopes, self.created, self.payloads = envelopes, created, payloads or {}

    def of(self, message_id):
        envelope = self.envelopes[message_id]
        if message_id not in self.payloads:
            return envelope
        return {**envelope, "payload": self.payloads[message_id]}

    def items(self, message_ids):
        """[(envelope, queued at)] of these messages, what a Transport sends."""
        return [(self.of(mid), self.created[mid]) for mid in message_ids]


# ---------------------------------------------------------------- outcome decision


@dataclass(frozen=True)
class Decision:
    """What becomes of a message after an attempt: state 'sent', 'failed' (retried at
    next_attempt_at) or 'dead', with the Outcome that decided it."""

    state: str
    outcome: Outcome
    next_attempt_at: datetime | None = None


def set_sent(outcome):
    return Decision("sent", outcome)


def set_failed(outcome, attempts, now, base):
    """Retried later: when, backoff.retry_at decides (exponential, or the remote's
    Retry-After when it asked for longer)."""
    return Decision("failed", outcome, backoff.retry_at(now, attempts, base, outcome.retry_after))


def set_dead(outcome):
    return Decision("dead", outcome)


def decide(outcome, attempts, max_attempts, now, base=30.0):
    """The Decision for `outcome` of attempt number `attempts` out of `max_attempts`."""
    if outcome.ok:
        return set_sent(outcome)
    if outcome.permanent or attempts >= max_attempts:
        return set_dead(outcome)
    return set_failed(outcome, attempts, now, base)
