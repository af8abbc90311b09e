"""Issue #17 in one process: the circuit counts failures in the order they were sent, one
worker wins a half-open trial, the shared rate-limit bucket, and a delivery run that wakes
itself up (the Scheduled Action's triggers)."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from ..tools import ratelimit
from .common import IntegrationCase
from .receiver import Fault


@tagged("post_install", "-at_install")
class TestLiveDelivery(IntegrationCase):
    def test_alternating_failures_do_not_open_the_circuit_consecutive_ones_do(self):
        self.connector.write({"circuit_threshold": 3, "max_attempts": 10})
        # S, F, S, F, ... in one batch: 500s do not stop a batch, so all twelve are sent.
        self.receiver.add_faults(
            *[Fault.status(500) if i % 2 else Fault.delay(0) for i in range(12)]
        )
        self.enqueue(*[self.stock_message(f"ALT-{i}") for i in range(12)])
        self.process()
        self.assertEqual(len(self.receiver.deliveries()), 12)
        self.assertEqual(self.connector.circuit_state, "closed")
        self.assertEqual(self.connector.consecutive_failures, 1, "the last one failed")
        # Then three failures in a row: open.
        self.receiver.add_faults(*[Fault.status(500)] * 3)
        self.enqueue(*[self.stock_message(f"ROW-{i}") for i in range(3)])
        self.process()
        self.assertEqual(self.connector.circuit_state, "open")
        self.assertEqual(self.connector.consecutive_failures, 4)

    def test_one_worker_wins_the_half_open_trial(self):
        self.connector.sudo().write(
            {
                "circuit_state": "open",
                "consecutive_failures": 5,
                "circuit_open_until": fields.Datetime.now() - timedelta(seconds=1),
            }
        )
        self.env.flush_all()
        self.assertTrue(self.connector._take_trial())
        self.assertFalse(self.connector._take_trial(), "the cool-down runs again for the rest")
        self.assertGreater(self.connector.circuit_open_until, fields.Datetime.now())

    def test_shared_bucket_makes_later_takers_wait(self):
        self.connector.rate_limit = 10
        take = self.connector._rate_limiter()._take
        waits = [take(1) for _ in range(12)]
        self.assertEqual(waits[:9], [0.0] * 9, "a burst of ten")
        # The eleventh and twelfth owe a token each: about 0.1 s and 0.2 s.
        self.assertAlmostEqual(waits[10], 0.1, delta=0.05)
        self.assertAlmostEqual(waits[11], 0.2, delta=0.05)
        self.assertEqual(ratelimit.take(0.0, 1.0, 10.0, 10.0, 5), (5.0, 0.0))

    def test_429_pauses_its_connector_only_and_the_run_waits_for_it(self):
        other = self.make_connector("other-live")
        self.receiver.fault_for_key("K-A", Fault.status(429, retry_after=1))
        first, second = self.enqueue(
            self.stock_message("A", idempotency_key="K-A"), self.stock_message("B")
        )
        elsewhere = self.enqueue(self.stock_message("C", connector=other))
        self.process(idle_wait=5)
        self.assertEqual(elsewhere.state, "sent", "another connector goes on")
        self.assertEqual(first.state, "failed")
        self.assertEqual(first.error_category, "rate_limited")
        # Given back untried, then sent in the same run once the one-second pause was over.
        self.assertEqual(second.state, "sent")
        self.assertEqual(second.attempts, 1)

    def test_the_run_triggers_itself_for_the_next_due_message(self):
        message = self.enqueue(self.stock_message())
        later = fields.Datetime.now() + timedelta(minutes=5)
        message.sudo().write({"next_attempt_at": later})
        crons = self.Message._delivery_crons()
        Trigger = self.env["ir.cron.trigger"].sudo()
        Trigger.search([("cron_id", "in", crons.ids)]).unlink()
        self.Message._cron_deliver()
        calls = Trigger.search([("cron_id", "in", crons.ids)]).mapped("call_at")
        self.assertEqual(len(calls), len(crons))
        self.assertEqual(set(calls), {later})
