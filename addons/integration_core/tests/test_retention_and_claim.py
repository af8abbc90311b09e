"""The queue under load, in one transaction: the claim reads no more than it takes however
stale the planner's statistics, and retention removes only finished messages older than the
period, whatever state everything else is in. tests/test_queue_load.py does the same with real
worker processes."""

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from ..tools import queue_sql
from .common import IntegrationCase

ALL_STATES = ("pending", "sending", "failed", "sent", "dead", "cancelled", "superseded")
FINISHED = ("sent", "superseded", "cancelled")


@tagged("post_install", "-at_install")
class TestClaimUnderLoad(IntegrationCase):
    def _rows_fetched(self):
        """Rows of integration_message this transaction read so far (sequential and index
        scans, bitmap scans included), from PostgreSQL's per-transaction statistics."""
        self.env.cr.execute(
            "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
            "FROM pg_stat_xact_user_tables WHERE relname = 'integration_message'"
        )
        return self.env.cr.fetchone()[0]

    def test_claim_reads_what_it_takes_whatever_the_planner_believes(self):
        # Statistics taken while nothing waited (what autovacuum usually sees of a queue) make
        # the planner expect next to no due message, and so prefer reading every match and
        # sorting them to walking an index. Index access made to look dear gives it the same
        # inclination here, where statistics cannot be made stale inside a transaction.
        self.enqueue(*[self.stock_message(f"SNAP-{i}", priority="batch") for i in range(1500)])
        self.env.flush_all()
        self.env.cr.execute("SET LOCAL random_page_cost = 1000")
        before = self._rows_fetched()
        claimed = self.Message._claim(10)
        read = self._rows_fetched() - before
        self.assertEqual(len(claimed), 10)
        # An ordered walk of the partial index: the 10 rows, then the same 10 updated by
        # primary key. A scan and a sort would read all 1,500.
        self.assertLess(read, 100, f"the claim of 10 read {read} rows")

    def test_claim_plan_walks_the_due_index_in_order(self):
        self.enqueue(*[self.stock_message(f"P-{i}", priority="batch") for i in range(50)])
        self.env.flush_all()
        query = self.Message._claim_query(10)
        self.Message._pin_index_scans(True)
        self.env.cr.execute("SAVEPOINT explain_claim")
        self.env.cr.execute(SQL("EXPLAIN (FORMAT JSON) %s", query))
        [[plan]] = self.env.cr.fetchall()
        self.env.cr.execute("ROLLBACK TO SAVEPOINT explain_claim")
        self.Message._pin_index_scans(False)

        def nodes(node):
            yield node
            for child in node.get("Plans", []):
                yield from nodes(child)

        scans = [
            n
            for n in nodes(plan[0]["Plan"])
            if n.get("Relation Name") == "integration_message" and n["Node Type"] != "ModifyTable"
        ]
        # The due messages in priority order from the partial index, then the rows locked
        # updated by primary key: no scan of the table, no sort, whatever the statistics say.
        self.assertEqual(
            sorted((n["Node Type"], n.get("Index Name")) for n in scans),
            [
                ("Index Scan", "integration_message_due_at_idx"),
                ("Index Scan", "integration_message_pkey"),
            ],
        )
        self.assertNotIn("Sort", [n["Node Type"] for n in nodes(plan[0]["Plan"])])
        self.assertNotIn("Bitmap Heap Scan", [n["Node Type"] for n in scans])

    def test_supersede_plan_looks_keys_up_whatever_the_statistics(self):
        """The enqueue's supersede step is driven from the new messages, one coalescing-index
        lookup each, even when the statistics say nothing waits (a bulk enqueue makes them
        wrong at once): never a scan of the waiting messages (the due index) or the table."""
        self.env.cr.execute("ANALYZE integration_message")  # statistics of a quiet queue
        waiting = self.enqueue(
            *[
                self.stock_message(f"W-{i}", priority="batch", coalescing_key=f"stock:W-{i}")
                for i in range(300)
            ]
        )
        newer = self.enqueue(
            *[
                self.stock_message(f"W-{i}", priority="batch", coalescing_key=f"stock:W-{i}")
                for i in range(3)
            ]
        )
        self.assertEqual(len(newer), 3)
        self.assertEqual(
            waiting.filtered(lambda m: m.state == "superseded").superseded_by_id, newer
        )
        text, params = queue_sql.supersede_waiting(newer.ids, fields.Datetime.now())
        self.env.cr.execute("SAVEPOINT explain_supersede")
        self.env.cr.execute(SQL("EXPLAIN (FORMAT JSON) %s", SQL(text, **params)))
        [[plan]] = self.env.cr.fetchall()
        self.env.cr.execute("ROLLBACK TO SAVEPOINT explain_supersede")

        def nodes(node):
            yield node
            for child in node.get("Plans", []):
                yield from nodes(child)

        scans = [
            (n["Node Type"], n.get("Index Name"))
            for n in nodes(plan[0]["Plan"])
            if n.get("Relation Name") == "integration_message" or "Index Name" in n
        ]
        scans = [scan for scan in scans if scan[0] != "ModifyTable"]
        self.assertIn(("Index Scan", "integration_message_coalescing_idx"), scans)
        self.assertNotIn("Seq Scan", [kind for kind, _index in scans])
        self.assertNotIn("integration_message_due_at_idx", [index for _kind, index in scans])


@tagged("post_install", "-at_install")
class TestRetentionStates(IntegrationCase):
    def _age(self, messages, days):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE integration_message SET write_date = (now() AT TIME ZONE 'UTC') - "
            "%s * interval '1 day', create_date = (now() AT TIME ZONE 'UTC') - "
            "%s * interval '1 day' WHERE id = ANY(%s)",
            [days, days, messages.ids],
        )
        messages.invalidate_recordset()

    def test_only_old_finished_messages_go_whatever_the_state_of_the_rest(self):
        self.env["ir.config_parameter"].sudo().set_param("integration_core.retention_days", 30)
        frozen = self.make_connector("frozen", frozen=True)
        by_key = {}
        for age in (45, 29, 0):
            for state in ALL_STATES:
                message = self.enqueue(
                    self.stock_message(f"{state}-{age}", connector=frozen, priority="batch")
                )
                self.env.cr.execute(
                    "UPDATE integration_message SET state = %s, lease_until = CASE WHEN %s "
                    "THEN (now() AT TIME ZONE 'UTC') + interval '1 hour' END WHERE id = %s",
                    [state, state == "sending", message.id],
                )
                self._age(message, age)
                by_key[(state, age)] = message
        # A kept message superseded by one that goes: the link is cleared, the message stays.
        stays = by_key[("superseded", 29)]
        self.env.cr.execute(
            "UPDATE integration_message SET superseded_by_id = %s WHERE id = %s",
            [by_key[("sent", 45)].id, stays.id],
        )
        removed = self.Message._cron_cleanup(batch_size=2)
        self.assertEqual(removed, 3)
        gone = {key for key, message in by_key.items() if not message.exists()}
        self.assertEqual(gone, {(state, 45) for state in FINISHED})
        self.env.cr.execute(
            "SELECT superseded_by_id FROM integration_message WHERE id = %s", [stays.id]
        )
        self.assertEqual(self.env.cr.fetchone()[0], None)

    def test_cleanup_reads_what_it_removes_whatever_the_planner_believes(self):
        self.env["ir.config_parameter"].sudo().set_param("integration_core.retention_days", 30)
        recent = self.enqueue(*[self.stock_message(f"NEW-{i}") for i in range(1500)])
        old = self.enqueue(*[self.stock_message(f"OLD-{i}") for i in range(200)])
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE integration_message SET state = 'sent' WHERE id = ANY(%s)",
            [(recent | old).ids],
        )
        self._age(old, 45)
        # As in TestClaimUnderLoad: a planner inclined to read everything and sort.
        self.env.cr.execute("SET LOCAL random_page_cost = 1000")
        self.env.cr.execute(
            "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
            "FROM pg_stat_xact_user_tables WHERE relname = 'integration_message'"
        )
        before = self.env.cr.fetchone()[0]
        self.assertEqual(self.Message._cron_cleanup(batch_size=50), 200)
        self.env.cr.execute(
            "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
            "FROM pg_stat_xact_user_tables WHERE relname = 'integration_message'"
        )
        read = self.env.cr.fetchone()[0] - before
        # Each old row found in the index, then removed by primary key; not 5 batches each
        # reading the 1,500 recent rows too.
        self.assertLess(read, 1000, f"removing 200 messages read {read} rows")
        self.assertEqual(len(recent.exists()), 1500)

    def test_every_link_to_a_message_is_indexed_for_removals(self):
        # Removing a message makes PostgreSQL look for the rows that link to it (ON DELETE
        # SET NULL / RESTRICT): without an index on the linking column, one scan of the whole
        # linking table per message removed, which a million old messages make hours. Every
        # installed addon's links count (stock_publication's states link to messages).
        self.env.cr.execute(
            """
            SELECT c.conrelid::regclass::text, a.attname
              FROM pg_constraint c
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
             WHERE c.contype = 'f' AND c.confrelid = 'integration_message'::regclass
               AND NOT EXISTS (
                   SELECT 1 FROM pg_index i
                    WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
            """
        )
        self.assertEqual(self.env.cr.fetchall(), [], "links to integration_message without index")
