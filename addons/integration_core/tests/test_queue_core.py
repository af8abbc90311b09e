"""The queue's plain core (envelopes, outcome decision, batch answers), without the ORM."""

import doctest
import unittest
from datetime import datetime, timedelta

from ..tools import amqp, backoff, cloudevents, product_mapping, queue_core, signing, transport
from ..tools.transport import Outcome


class TestDoctests(unittest.TestCase):
    def test_doctests(self):
        for module in (queue_core, backoff, transport, amqp, cloudevents, signing, product_mapping):
            result = doctest.testmod(module)
            self.assertEqual(result.failed, 0, f"doctests of {module.__name__}")


class TestOutcomeDecision(unittest.TestCase):
    now = datetime(2026, 1, 1, 12, 0)

    def test_each_state_change(self):
        ok = Outcome(True, status=200, latency_ms=5)
        self.assertEqual(queue_core.decide(ok, 8, 8, self.now), queue_core.set_sent(ok))
        refused = Outcome(False, status=422, category="rejected", permanent=True)
        self.assertEqual(queue_core.decide(refused, 1, 8, self.now).state, "dead")
        down = Outcome(False, category="network")
        self.assertEqual(queue_core.decide(down, 8, 8, self.now).state, "dead")
        retried = queue_core.decide(down, 3, 8, self.now, base=10)
        self.assertEqual(retried.state, "failed")
        self.assertGreaterEqual(retried.next_attempt_at, self.now + timedelta(seconds=20))
        self.assertLessEqual(retried.next_attempt_at, self.now + timedelta(seconds=40))

    def test_retry_after_wins_when_longer(self):
        slow = Outcome(False, status=429, category="rate_limited", retry_after=600.0)
        decision = queue_core.decide(slow, 1, 8, self.now, base=10)
        self.assertEqual(decision.next_attempt_at, self.now + timedelta(seconds=600))
        soon = Outcome(False, status=429, category="rate_limited", retry_after=0.0)
        decision = queue_core.decide(soon, 1, 8, self.now, base=10)
        self.assertGreaterEqual(decision.next_attempt_at, self.now + timedelta(seconds=5))

    def test_resting_categories(self):
        for category in ("rate_limited", "network", "timeout"):
            self.assertTrue(queue_core.tells_to_rest(Outcome(False, category=category)))
        for category in ("auth", "remote_error", "rejected"):
            self.assertFalse(queue_core.tells_to_rest(Outcome(False, category=category)))
        self.assertFalse(queue_core.tells_to_rest(Outcome(True)))


class TestEnvelope(unittest.TestCase):
    def test_row_to_envelope_and_maps(self):
        created = datetime(2026, 1, 1, 12, 0, 5)
        row = (7, "k-7", "stock.level", "stock", "stock", 1, created, "product.product", 42, "v3")
        envelope = queue_core.envelope((*row, {"sku": "A", "uom": "Units", "quantity": 1}, 11))
        self.assertEqual(envelope["schema"], "stock/v1")
        self.assertEqual(envelope["sequence"], 11)
        self.assertEqual(envelope["queued_at"], "2026-01-01 12:00:05")
        self.assertEqual(
            envelope["source"], {"model": "product.product", "id": 42, "version": "v3"}
        )
        translated = {"sku": "EXT", "uom": "EA", "quantity": 1}
        bodies = queue_core.Bodies({7: envelope}, {7: created}, {7: translated})
        self.assertEqual(bodies.of(7)["payload"], translated)
        self.assertEqual(bodies.of(7)["sequence"], 11)
        self.assertEqual(envelope["payload"]["sku"], "A", "the stored envelope is not changed")
        bare = queue_core.envelope(
            (8, "k", "e", "d", None, None, created, None, None, None, [1], 12)
        )
        self.assertEqual((bare["schema"], bare["source"]), (None, None))
        self.assertIs(queue_core.Bodies({8: bare}, {8: created}).of(8), bare)

    def test_batch_answer_that_cannot_be_read(self):
        keys = ["a", "b"]
        for body in (b"not json", b"[1, 2]", b'{"results": [{"status": 200}]}'):
            outcomes = transport.batch_outcomes(keys, Outcome(True, status=200, body=body), "?")
            self.assertEqual([o.category for o in outcomes], ["remote_error"] * 2, body)
        failed = Outcome(False, status=503, category="remote_error")
        self.assertEqual(transport.batch_outcomes(keys, failed, "?"), [failed, failed])
