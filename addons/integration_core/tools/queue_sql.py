"""The queue's SQL statements, free of the ORM: each function returns (text, params) for
``cursor.execute(text, params)``, on a psycopg2 cursor or, wrapped in ``odoo.tools.SQL(text,
**params)``, on an Odoo one. Fixed texts with named parameters: nothing is formatted into them.

The hot statements read only what is waiting or in flight, through the partial indexes
integration_message.init() creates, and touch the rows they locked by primary key (an array
of ids), so that no join order can make them scan the table. Run them after
pin_index_scans(True) (see IntegrationMessage._pin_index_scans for why).
"""

import json

PIN_INDEX_SCANS = (
    "SET LOCAL enable_seqscan TO off; SET LOCAL enable_bitmapscan TO off; "
    "SET LOCAL enable_sort TO off"
)
UNPIN_INDEX_SCANS = (
    "SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL enable_bitmapscan TO DEFAULT; "
    "SET LOCAL enable_sort TO DEFAULT"
)


def pin_index_scans(pin):
    """Make the next statements of this transaction walk indexes in order (pin=True), or let
    the planner choose again (pin=False)."""
    return (PIN_INDEX_SCANS if pin else UNPIN_INDEX_SCANS), {}


def enqueue(rows, now, uid):
    """Insert `rows` (prepared _enqueue rows) as pending messages, in order, skipping any
    whose idempotency key is already queued for its connector; returns (id, connector id,
    coalescing key) of those inserted."""
    return (
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
        {
            "now": now,
            "uid": uid,
            "connector": [r["connector_id"] for r in rows],
            "domain": [r["domain_id"] for r in rows],
            "event": [r["event_type"] for r in rows],
            "priority": [r["priority_class"] for r in rows],
            "payload": [json.dumps(r["payload"]) for r in rows],
            "schema": [r["schema_id"] for r in rows],
            "key": [r["idempotency_key"] for r in rows],
            "coalesce": [r["coalescing_key"] for r in rows],
            "res_model": [r["res_model"] for r in rows],
            "res_id": [r["res_id"] for r in rows],
            "version": [r["source_version"] for r in rows],
        },
    )


def supersede(created, now, uid):
    """Older waiting messages with the coalescing key of a new one (`created`: (id,
    connector id, key)) are superseded by it."""
    return (
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
        {
            "now": now,
            "uid": uid,
            "ids": [c[0] for c in created],
            "connectors": [c[1] for c in created],
            "keys": [c[2] for c in created],
        },
    )


def claim(now, lease_until, worker, blocked, limit):
    """Lock and lease up to `limit` due messages in priority order, skipping those other
    workers hold (FOR UPDATE SKIP LOCKED) and those of the `blocked` connector ids; returns
    (id, priority class) of those claimed. claimed_by records `worker` and the database
    session that claims ("pid@start"): the worker keeps that session until it has recorded
    the outcomes, and the session ends when its process does, however it stops (SIGKILL
    included), so that a message whose session is gone was left by a worker that stopped."""
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
     RETURNING m.id, m.priority_class
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
             WHERE m.state IN ('pending', 'failed')
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
               m.create_date, m.res_model, m.res_id, m.source_version, m.payload
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
