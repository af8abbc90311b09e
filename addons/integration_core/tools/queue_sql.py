"""The queue's SQL statements, free of the ORM: each function returns (text, params) for
``cursor.execute(text, params)``, on a psycopg2 cursor or, wrapped in ``odoo.tools.SQL(text,
**params)``, on an Odoo one. Fixed texts with named parameters: nothing is formatted into them.

The hot statements read only what is waiting or in flight, through the partial indexes
integration_message.init() creates, and touch the rows they locked by primary key (an array
of ids), so that no join order can make them scan the table. Run them after
pin_index_scans(True) (see IntegrationMessage._pin_index_scans for why).
"""

import csv
import io

import orjson

from .pg import array_literal

PIN_INDEX_SCANS = (
    "SET LOCAL enable_seqscan TO off; SET LOCAL enable_bitmapscan TO off; "
    "SET LOCAL enable_sort TO off"
)
UNPIN_INDEX_SCANS = (
    "SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL enable_bitmapscan TO DEFAULT; "
    "SET LOCAL enable_sort TO DEFAULT"
)


# The per-key sequence (integration.message.key_sequence): one global sequence, the column's
# default, so every INSERT and COPY assigns it; messages queued before it existed take their
# id, which came from a sequence too, and the new one starts above them.
CREATE_KEY_SEQUENCE = """
    CREATE SEQUENCE integration_message_key_sequence_seq;
    UPDATE integration_message SET key_sequence = id WHERE key_sequence IS NULL;
    SELECT setval('integration_message_key_sequence_seq',
                  GREATEST((SELECT max(key_sequence) FROM integration_message), 0) + 1, false);
    ALTER TABLE integration_message
        ALTER COLUMN key_sequence SET DEFAULT nextval('integration_message_key_sequence_seq');
"""


def pin_index_scans(pin):
    """Make the next statements of this transaction walk indexes in order (pin=True), or let
    the planner choose again (pin=False)."""
    return (PIN_INDEX_SCANS if pin else UNPIN_INDEX_SCANS), {}


# Bulk enqueue: the prepared rows are streamed by COPY into a temporary staging table (no
# statement text grows with the rows, nothing of theirs is parsed as SQL), then merged by one
# statement. Fixed texts: COPY cannot take parameters, and never gets any data in its text.
STAGE_COLUMNS = (
    "n",
    "connector_id",
    "domain_id",
    "event_type",
    "priority_class",
    "payload",
    "schema_id",
    "idempotency_key",
    "coalescing_key",
    "res_model",
    "res_id",
    "source_version",
)
# The merge sorts the staged rows (their order becomes the ids' order): room to sort a large
# enqueue in memory rather than on disk, for the rest of the enqueuing transaction.
STAGE = """
    SET LOCAL work_mem = '32MB';
    CREATE TEMPORARY TABLE IF NOT EXISTS integration_message_stage (
        n int, connector_id int, domain_id int, event_type varchar, priority_class varchar,
        payload jsonb, schema_id int, idempotency_key varchar, coalescing_key varchar,
        res_model varchar, res_id int, source_version varchar
    ) ON COMMIT DELETE ROWS;
    TRUNCATE integration_message_stage
"""
STAGE_COPY = (
    f"COPY integration_message_stage ({', '.join(STAGE_COLUMNS)}) FROM STDIN WITH (FORMAT csv)"
)


def stage_buffer(rows):
    """`rows` (prepared _enqueue rows, in order) as the CSV that STAGE_COPY reads: None is an
    unquoted empty field, which COPY reads as NULL (_enqueue never stages an empty string).
    Payloads are serialised by orjson (some ten times faster than json, the same JSON for
    the JSON types a schema allows; mapping keys that are not strings become strings, as
    json does)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    option = orjson.OPT_NON_STR_KEYS

    def dumps(payload):
        return orjson.dumps(payload, option=option).decode()

    writer.writerows(
        (
            n,
            r["connector_id"],
            r["domain_id"],
            r["event_type"],
            r["priority_class"],
            dumps(r["payload"]),
            r["schema_id"],
            r["idempotency_key"],
            r["coalescing_key"],
            r["res_model"],
            r["res_id"],
            r["source_version"],
        )
        for n, r in enumerate(rows)
    )
    buffer.seek(0)
    return buffer


def merge_staged(now):
    """Insert the staged rows as pending messages, in order, skipping any whose idempotency
    key is already queued for its connector (the unique index decides, also against a
    concurrent enqueue). Returns the ids inserted; supersede_waiting() then retires what
    they replace."""
    return (
        """
        WITH new AS (
            INSERT INTO integration_message (
                connector_id, domain_id, event_type, priority_class, state,
                payload, schema_id, idempotency_key, coalescing_key, attempts,
                next_attempt_at, res_model, res_id, source_version, create_date, write_date)
            SELECT r.connector_id, r.domain_id, r.event_type, r.priority_class,
                   'pending', r.payload, r.schema_id,
                   COALESCE(r.idempotency_key, gen_random_uuid()::text), r.coalescing_key, 0,
                   %(now)s, r.res_model, r.res_id, r.source_version, %(now)s, %(now)s
              FROM integration_message_stage r
             ORDER BY r.n
            ON CONFLICT (connector_id, idempotency_key) DO NOTHING
            RETURNING id
        )
        SELECT id FROM new ORDER BY id
        """,
        {"now": now},
    )


def supersede_waiting(ids, now):
    """Older waiting messages with the coalescing key of one of the messages `ids` (just
    queued, one per key: coalesce() made them so) are superseded by the newest of their key.

    Driven from the new messages whatever the planner's statistics say (a bulk enqueue
    makes them wrong at once): the LATERAL subquery, kept apart by OFFSET 0, looks each new
    message's key up in the coalescing index (the only index on the key whose conditions it
    meets: the due index also wants a retry time, and `key_sequence + 0` is no key-order index
    condition, which would walk the key's history), the rows found are updated by primary
    key, and each finds its successor in the key-order index. A join would let the planner
    read every waiting message (hash join) or, believing none waits, loop over all of them."""
    return (
        """
        UPDATE integration_message old
           SET state = 'superseded', write_date = %(now)s,
               superseded_by_id = (
                   SELECT n.id FROM integration_message n
                    WHERE n.connector_id = old.connector_id
                      AND n.coalescing_key = old.coalescing_key
                    ORDER BY n.key_sequence DESC
                    LIMIT 1)
         WHERE old.id = ANY(ARRAY(
                   SELECT w.id
                     FROM integration_message new
                    CROSS JOIN LATERAL (
                          SELECT o.id FROM integration_message o
                           WHERE o.connector_id = new.connector_id
                             AND o.coalescing_key = new.coalescing_key
                             AND o.state IN ('pending', 'failed')
                             AND o.key_sequence + 0 < new.key_sequence
                          OFFSET 0) w
                    WHERE new.id = ANY(%(ids)s::int[]) AND new.coalescing_key IS NOT NULL))
        """,
        {"ids": array_literal(ids), "now": now},
    )


def supersede_outdated(ids, now):
    """Per-key order: of the claimed messages `ids`, those whose coalescing key already has a
    newer message (higher key_sequence) sent or in flight become 'superseded' by the newest
    such one instead of being sent; returns their ids. Run it on a claimed batch before
    sending it: an older message that failed and is retried after a newer one was sent would
    otherwise overwrite the newer value on the channel."""
    return (
        """
        UPDATE integration_message m
           SET state = 'superseded', superseded_by_id = newer.id, lease_until = NULL,
               claimed_by = NULL, write_date = %(now)s
          FROM integration_message o
          CROSS JOIN LATERAL (
                SELECT n.id FROM integration_message n
                 WHERE n.connector_id = o.connector_id
                   AND n.coalescing_key = o.coalescing_key
                   AND n.key_sequence > o.key_sequence
                   AND n.state IN ('sent', 'sending')
                 ORDER BY n.key_sequence DESC
                 LIMIT 1) newer
         WHERE o.id = m.id AND m.id = ANY(%(ids)s) AND o.id = ANY(%(ids)s)
           AND o.coalescing_key IS NOT NULL AND m.state = 'sending'
     RETURNING m.id
        """,
        {"ids": list(ids), "now": now},
    )


def outdated_by_sent(ids):
    """Those of messages `ids` whose coalescing key has a newer message already sent."""
    return (
        """
        SELECT o.id FROM integration_message o
         WHERE o.id = ANY(%(ids)s) AND o.coalescing_key IS NOT NULL
           AND EXISTS (
                SELECT 1 FROM integration_message n
                 WHERE n.connector_id = o.connector_id
                   AND n.coalescing_key = o.coalescing_key
                   AND n.key_sequence > o.key_sequence
                   AND n.state = 'sent')
        """,
        {"ids": list(ids)},
    )


def resequence(ids):
    """Give messages `ids` new sequences: each becomes the newest of its key."""
    return (
        """
        UPDATE integration_message
           SET key_sequence = nextval('integration_message_key_sequence_seq')
         WHERE id = ANY(%(ids)s)
        """,
        {"ids": list(ids)},
    )


def claim(now, lease_until, worker, blocked, limit):
    """Lock and lease up to `limit` due messages in priority order, skipping those other
    workers hold (FOR UPDATE SKIP LOCKED) and those of the `blocked` connector ids.
    claimed_by records `worker` and the database
    session that claims ("pid@start"): the worker keeps that session until it has recorded
    the outcomes, and the session ends when its process does, however it stops (SIGKILL
    included), so that a message whose session is gone was left by a worker that stopped.
    Returns (id, priority class, connector id, attempts) of those claimed."""
    return (
        """
        UPDATE integration_message m
           SET state = 'sending', attempts = m.attempts + 1, lease_until = %(lease)s,
               claimed_by = %(worker)s || '/' || (
                    SELECT pid || '@' || extract(epoch FROM backend_start)
                      FROM pg_stat_activity WHERE pid = pg_backend_pid()),
               last_attempt_at = %(now)s
         WHERE m.id = ANY(ARRAY(
                SELECT id FROM integration_message
                 WHERE state IN ('pending', 'failed')
                   AND next_attempt_at <= %(now)s
                   AND NOT (connector_id = ANY(%(blocked)s::int[]))
                 ORDER BY priority_class, next_attempt_at, id
                 LIMIT %(limit)s
                   FOR UPDATE SKIP LOCKED))
     RETURNING m.id, m.priority_class, m.connector_id, m.attempts
        """,
        {
            "now": now,
            "blocked": sorted(blocked),
            "limit": limit,
            "lease": lease_until,
            "worker": worker,
        },
    )


def release(ids):
    """Give claimed messages back to the queue untried (the attempt is not counted)."""
    return (
        """
        UPDATE integration_message
           SET state = CASE WHEN attempts > 1 THEN 'failed' ELSE 'pending' END,
               attempts = GREATEST(attempts - 1, 0), lease_until = NULL, claimed_by = NULL
         WHERE id = ANY(%(ids)s) AND state = 'sending'
        """,
        {"ids": list(ids)},
    )


def reclaim(now, error_message):
    """Messages in flight whose worker stopped are due again, as failed 'crash': the
    database session that claimed them is gone (pg_stat_activity, same database user), or
    their lease expired (the last resort, and the only way for a claim that recorded no
    session)."""
    return (
        """
        UPDATE integration_message
           SET state = 'failed', lease_until = NULL, claimed_by = NULL,
               error_category = 'crash', next_attempt_at = %(now)s,
               error_message = %(msg)s
         WHERE state = 'sending'
           AND (lease_until < %(now)s
                OR split_part(claimed_by, '/', 2) <> '' AND NOT EXISTS (
                    SELECT 1 FROM pg_stat_activity a
                     WHERE a.pid || '@' || extract(epoch FROM a.backend_start)
                           = split_part(claimed_by, '/', 2)))
        """,
        {"now": now, "msg": error_message},
    )


# The advisory lock of the one delivery run that waits for messages due later.
WAITER_LOCK = 0x1A7E_0017


def take_waiter_lock():
    """True when this transaction holds (or now takes) the waiter's lock."""
    return ("SELECT pg_try_advisory_xact_lock(%(key)s)", {"key": WAITER_LOCK})


def next_lease_expiry():
    """The earliest lease of a message in flight (NULL if none)."""
    return ("SELECT min(lease_until) FROM integration_message WHERE state = 'sending'", {})


def next_wake_up(held, recheck):
    """When a delivery run has something to do next (NULL if never by itself): the earliest
    retry time of a waiting message, pushed to the end of its connector's pause or circuit
    cool-down, leaving out connectors `held` until someone acts; for messages in flight,
    their lease's end or `recheck`, whichever comes first (a stopped worker's messages are
    then found)."""
    return (
        """
        SELECT min(t) FROM (
            SELECT GREATEST(m.next_attempt_at, c.paused_until,
                            CASE WHEN c.circuit_state = 'open' THEN c.circuit_open_until END)
              FROM integration_message m
              JOIN integration_connector c ON c.id = m.connector_id
             WHERE m.state IN ('pending', 'failed') AND m.next_attempt_at IS NOT NULL
               AND NOT (m.connector_id = ANY(%(held)s::int[]))
            UNION ALL
            SELECT LEAST(min(lease_until), %(recheck)s::timestamp)
              FROM integration_message WHERE state = 'sending'
             HAVING count(*) > 0
        ) AS wake_up(t)
        """,
        {"held": sorted(held), "recheck": recheck},
    )


def envelopes(ids):
    """The rows queue_core.envelope() builds the envelopes of messages `ids` from."""
    return (
        """
        SELECT m.id, m.idempotency_key, m.event_type, d.code, s.name, s.version,
               m.create_date, m.res_model, m.res_id, m.source_version, m.payload,
               m.key_sequence
          FROM integration_message m
          JOIN integration_data_domain d ON d.id = m.domain_id
     LEFT JOIN integration_schema s ON s.id = m.schema_id
         WHERE m.id = ANY(%(ids)s)
        """,
        {"ids": list(ids)},
    )


# "m.id = ANY(ids)" besides the join: the rows are then found by primary key even when the
# statistics make the table look empty (a join alone may then read all of it).


def mark_sent(now, ids, statuses, latencies):
    """Messages `ids` were delivered, with these HTTP statuses and latencies."""
    return (
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
        {"now": now, "ids": list(ids), "status": list(statuses), "latency": list(latencies)},
    )


def mark_failed(now, ids, next_at, outcomes):
    """Messages `ids` failed with `outcomes` (transport.Outcome) and are retried at
    `next_at`."""
    return (
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
        {
            "now": now,
            "ids": list(ids),
            "next_at": list(next_at),
            "status": [o.status for o in outcomes],
            "latency": [o.latency_ms for o in outcomes],
            "category": [o.category for o in outcomes],
            "error": [o.error for o in outcomes],
            "excerpt": [o.excerpt for o in outcomes],
        },
    )


def retention_batch(cutoff, limit):
    """Remove up to `limit` of the oldest sent, superseded and cancelled messages last
    written before `cutoff`, read from their partial index in order and removed by primary
    key; returns their ids."""
    return (
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
        {"cutoff": cutoff, "limit": limit},
    )


def remove_chatter(ids):
    """The chatter of removed messages `ids` (no foreign key ties it to them): two
    statements."""
    return [
        (
            "DELETE FROM mail_message WHERE model = 'integration.message' "
            "AND res_id = ANY(%(ids)s)",
            {"ids": list(ids)},
        ),
        (
            "DELETE FROM mail_followers WHERE res_model = 'integration.message' "
            "AND res_id = ANY(%(ids)s)",
            {"ids": list(ids)},
        ),
    ]
