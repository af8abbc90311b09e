"""The queue's statements (tools/queue_sql.py) run as they are, on the raw psycopg2 cursor
under the test's transaction: no ORM between them and PostgreSQL."""

from datetime import datetime, timedelta

from odoo.tests import tagged

from ..tools import queue_sql
from ..tools.transport import Outcome
from .common import IntegrationCase


@tagged("post_install", "-at_install")
class TestQueueStatements(IntegrationCase):
    def setUp(self):
        super().setUp()
        self.messages = self.enqueue(
            self.stock_message("Q-1", priority="batch"),
            self.stock_message("Q-2", priority="high"),
            self.stock_message("Q-3"),
        )
        self.env.flush_all()
        self.raw = self.env.cr._obj  # psycopg2's own cursor
        self.now = datetime.now().replace(microsecond=0) + timedelta(seconds=1)

    def run_statement(self, statement):
        self.raw.execute(*statement)
        return self.raw.fetchall() if self.raw.description else None

    def states(self):
        self.raw.execute(
            "SELECT id, state, attempts FROM integration_message WHERE id = ANY(%s) ORDER BY id",
            [self.messages.ids],
        )
        return {mid: (state, attempts) for mid, state, attempts in self.raw.fetchall()}

    def claim(self, limit, blocked=()):
        lease = self.now + timedelta(seconds=60)
        rows = self.run_statement(queue_sql.claim(self.now, lease, "test", blocked, limit))
        return [row[0] for row in sorted(rows, key=lambda r: (r[1], r[0]))]

    def test_claim_in_priority_order_and_release(self):
        first, high, normal = self.messages.ids
        self.assertEqual(self.claim(2), [high, normal])
        self.assertEqual(self.claim(5), [first])
        self.assertEqual(self.claim(5), [], "nothing left to claim")
        self.run_statement(queue_sql.release([high, first]))
        self.assertEqual(
            self.states(), {first: ("pending", 0), high: ("pending", 0), normal: ("sending", 1)}
        )

    def test_blocked_connector_is_not_claimed(self):
        self.assertEqual(self.claim(10, blocked={self.connector.id}), [])

    def test_outcomes_written_and_expired_lease_reclaimed(self):
        first, high, normal = self.messages.ids
        self.claim(10)
        self.run_statement(queue_sql.mark_sent(self.now, [high], [200], [12]))
        failure = Outcome(False, status=503, category="remote_error", error="down")
        later = self.now + timedelta(minutes=5)
        self.run_statement(queue_sql.mark_failed(self.now, [normal], [later], [failure]))
        self.run_statement(queue_sql.reclaim(self.now + timedelta(minutes=2), "stopped"))
        self.assertEqual(
            self.states(), {first: ("failed", 1), high: ("sent", 1), normal: ("failed", 1)}
        )
        [[expiry]] = self.run_statement(queue_sql.next_lease_expiry())
        self.assertIsNone(expiry, "nothing in flight any more")

    def test_envelope_rows_and_retention(self):
        rows = self.run_statement(queue_sql.envelopes(self.messages.ids))
        self.assertEqual({row[0] for row in rows}, set(self.messages.ids))
        self.assertEqual({row[3] for row in rows}, {"stock"})
        self.raw.execute(
            "UPDATE integration_message SET state = 'sent', write_date = %s WHERE id = %s",
            [self.now - timedelta(days=40), self.messages.ids[0]],
        )
        cutoff = self.now - timedelta(days=30)
        removed = self.run_statement(queue_sql.retention_batch(cutoff, 10))
        self.assertEqual(removed, [(self.messages.ids[0],)])
        for statement in queue_sql.remove_chatter([row[0] for row in removed]):
            self.run_statement(statement)
        self.assertEqual(len(self.states()), 2)
