"""Per-key order: every message carries a sequence per (connector, coalescing key); no
channel gets an older value of a key after a newer one, retried or replayed."""

from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import tagged

from ..tools import queue_sql
from .common import IntegrationCase
from .receiver import Fault


@tagged("post_install", "-at_install")
class TestKeyOrder(IntegrationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The replayer posts on the message: the chatter needs her address.
        cls.responsible.email = "rita.responsible@example.com"

    def in_flight_then_newer(self, fault):
        """The old message of key stock:A is claimed; a newer one is queued while it is in
        flight; the old delivery then meets `fault`; the newer one is sent."""
        old = self.enqueue(self.stock_message("A", quantity=1, coalescing_key="stock:A"))
        claimed = self.Message._claim(10)
        self.assertEqual(claimed, old)
        new = self.enqueue(self.stock_message("A", quantity=2, coalescing_key="stock:A"))
        self.assertEqual(old.state, "sending", "in flight: not superseded at enqueue")
        self.receiver.add_faults(fault)
        claimed._deliver()
        self.process()
        self.assertEqual(new.state, "sent")
        return old, new

    def test_sequence_grows_per_key_and_is_in_the_envelope(self):
        first = self.enqueue(self.stock_message("A", coalescing_key="stock:A"))
        self.process()
        second = self.enqueue(self.stock_message("A", quantity=6, coalescing_key="stock:A"))
        third = self.enqueue(self.stock_message("A", quantity=7, coalescing_key="stock:A"))
        self.assertLess(first.key_sequence, second.key_sequence)
        self.assertLess(second.key_sequence, third.key_sequence)
        self.assertEqual(third._envelope()["sequence"], third.key_sequence)
        self.process()
        sequences = [r.json["sequence"] for r in self.receiver.deliveries()]
        self.assertEqual(sequences, [first.key_sequence, third.key_sequence])

    def test_older_retry_after_newer_sent_is_superseded_never_sent(self):
        old, new = self.in_flight_then_newer(Fault.status(503))
        self.assertEqual(old.state, "failed")
        old.sudo().write({"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)})
        counts = self.process()
        self.assertEqual(counts.get("superseded"), 1)
        self.assertEqual(old.state, "superseded")
        self.assertEqual(old.superseded_by_id, new)
        # What the receiver got: the old one's failed attempt, then the new one; no more.
        received = [
            (r.idempotency_key, r.json["payload"]["quantity"]) for r in self.receiver.deliveries()
        ]
        self.assertEqual(received, [(old.idempotency_key, 1), (new.idempotency_key, 2)])
        self.assertEqual(self.receiver.applied, {new.idempotency_key: 1})

    def test_replay_of_outdated_dead_letter_needs_confirmation(self):
        old, new = self.in_flight_then_newer(Fault.status(422))
        self.assertEqual(old.state, "dead")
        user = self.responsible
        action = old.with_user(user).action_replay()
        self.assertEqual(action["res_model"], "integration.message.replay.wizard")
        self.assertIn("older than one already sent", action["name"])
        self.assertEqual(old.state, "dead", "not replayed without confirmation")
        self.process()
        self.assertEqual(len(self.receiver.deliveries(old.idempotency_key)), 1)
        wizard = self.env[action["res_model"]].with_user(user).browse(action["res_id"])
        self.assertEqual(wizard.outdated_ids, old)
        wizard.action_confirm()
        self.assertEqual(old.state, "pending")
        self.assertGreater(old.key_sequence, new.key_sequence, "now the newest of its key")
        self.process()
        self.assertEqual(old.state, "sent")
        self.assertEqual(self.receiver.applied[old.idempotency_key], 1)

    def test_replay_of_a_dead_letter_still_newest_needs_no_confirmation(self):
        self.receiver.add_faults(Fault.status(422))
        dead = self.enqueue(self.stock_message("B", coalescing_key="stock:B"))
        self.process()
        self.assertEqual(dead.state, "dead")
        self.assertIs(dead.with_user(self.responsible).action_replay(), True)
        self.assertEqual(dead.state, "pending")


@tagged("post_install", "-at_install")
class TestSupersedeOutdatedStatement(IntegrationCase):
    """queue_sql.supersede_outdated on the raw cursor, no ORM between it and PostgreSQL."""

    def test_only_claimed_messages_with_a_newer_one_sent_or_in_flight(self):
        def message(sku, key):
            return self.stock_message(sku, coalescing_key=key)

        # One call per message: coalescing in one call would keep only the last of a key.
        older, newer_sent = (self.enqueue(message("A", "k:a")) for _i in range(2))
        in_flight_old, in_flight_new = (self.enqueue(message("B", "k:b")) for _i in range(2))
        lone, dead_old, dead_new = (
            self.enqueue(message("C", "k:c")),
            self.enqueue(message("D", "k:d")),
            self.enqueue(message("D", "k:d")),
        )
        uncoalesced = self.enqueue(self.stock_message("E"))
        self.env.flush_all()
        raw = self.env.cr._obj

        def set_state(records, state):
            raw.execute(
                "UPDATE integration_message SET state = %s, superseded_by_id = NULL "
                "WHERE id = ANY(%s)",
                [state, records.ids],
            )

        # older and newer_sent were waiting together: put them back as if older was in
        # flight when newer_sent came (the enqueue superseded it).
        set_state(newer_sent, "sent")
        set_state(in_flight_new, "sending")
        set_state(dead_new, "dead")
        claimed = older | in_flight_old | lone | dead_old | uncoalesced
        set_state(claimed, "sending")
        raw.execute(*queue_sql.supersede_outdated(claimed.ids, datetime.now()))
        self.assertEqual(sorted(r[0] for r in raw.fetchall()), sorted([older.id, in_flight_old.id]))
        raw.execute(
            "SELECT id, state, superseded_by_id FROM integration_message WHERE id = ANY(%s)",
            [claimed.ids],
        )
        got = {mid: (state, by) for mid, state, by in raw.fetchall()}
        self.assertEqual(
            got,
            {
                older.id: ("superseded", newer_sent.id),
                in_flight_old.id: ("superseded", in_flight_new.id),
                lone.id: ("sending", None),
                dead_old.id: ("sending", None),  # a dead newer one was never sent
                uncoalesced.id: ("sending", None),
            },
        )
