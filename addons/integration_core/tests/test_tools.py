"""The plain-Python mechanics, tested without the ORM."""

import unittest
from datetime import UTC, datetime, timedelta

from ..tools import backoff, circuit, signing
from ..tools.ratelimit import TokenBucket
from ..tools.schema import validation_errors
from .receiver import sign as receiver_sign


class TestBackoff(unittest.TestCase):
    def test_exponential_with_jitter_bounds(self):
        for attempt, step in [(1, 10), (2, 20), (3, 40), (10, 3600)]:
            low = backoff.retry_delay(attempt, base=10, cap=3600, rng=lambda: 0.0)
            high = backoff.retry_delay(attempt, base=10, cap=3600, rng=lambda: 1.0)
            self.assertEqual((low, high), (step / 2, step))

    def test_retry_after_seconds_and_date(self):
        self.assertEqual(backoff.parse_retry_after("120"), 120.0)
        now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
        self.assertEqual(backoff.parse_retry_after("Thu, 01 Jan 2026 12:01:00 GMT", now=now), 60.0)
        self.assertIsNone(backoff.parse_retry_after("soon"))
        self.assertIsNone(backoff.parse_retry_after(None))


class TestSigning(unittest.TestCase):
    def test_signature_matches_the_receiver_and_verifies(self):
        body = b'{"a":1}'
        headers = signing.signature_headers("s3", body, now=1_700_000_000)
        self.assertEqual(headers["X-Signature"], receiver_sign("s3", 1_700_000_000, body))
        self.assertIsNone(
            signing.verify(
                "s3", headers["X-Timestamp"], headers["X-Signature"], body, now=1_700_000_010
            )
        )
        self.assertIn(
            "does not match",
            signing.verify("s3", "1700000000", headers["X-Signature"], b"{}", now=1_700_000_000),
        )
        self.assertIn(
            "away from",
            signing.verify("s3", "1700000000", headers["X-Signature"], body, now=1_700_009_000),
        )
        self.assertIn("missing", signing.verify("s3", None, None, body))


class TestCircuit(unittest.TestCase):
    def test_opens_at_threshold_and_closes_on_success(self):
        now = datetime(2026, 1, 1)
        state = circuit.CircuitState("closed", 0, None)
        state = circuit.after_failure(state, "timeout", now, threshold=2, cooldown_seconds=60)
        self.assertEqual(state.state, "closed")
        state = circuit.after_failure(state, "rejected", now, threshold=2, cooldown_seconds=60)
        self.assertEqual(
            state.consecutive_failures, 1, "a rejected payload is not the remote's health"
        )
        state = circuit.after_failure(state, "network", now, threshold=2, cooldown_seconds=60)
        self.assertEqual(state.state, "open")
        self.assertTrue(circuit.is_blocked(state, now + timedelta(seconds=59)))
        self.assertTrue(circuit.is_trial(state, now + timedelta(seconds=61)))
        self.assertEqual(circuit.after_success(state).state, "closed")

    def test_open_circuit_sends_a_lone_trial_and_blocks_claims_while_cooling_down(self):
        now = datetime(2026, 1, 1)
        state = circuit.CircuitState("open", 5, now + timedelta(seconds=60))
        self.assertTrue(circuit.needs_trial(state))
        self.assertFalse(circuit.needs_trial(circuit.after_success(state)))
        reopened = circuit.after_outcomes(state, [None, "network", "timeout"], now, 2, 30)
        self.assertEqual((reopened.state, reopened.consecutive_failures), ("open", 2))
        self.assertEqual(reopened.open_until, now + timedelta(seconds=30))
        self.assertEqual(
            circuit.blocked_domain(now),
            ["&", ("circuit_state", "=", "open"), ("circuit_open_until", ">", now)],
        )


class TestTokenBucket(unittest.TestCase):
    def test_rate_is_enforced_with_a_fake_clock(self):
        clock = [0.0]
        slept = []

        def sleep(seconds):
            slept.append(seconds)
            clock[0] += seconds

        bucket = TokenBucket(5, burst=5, clock=lambda: clock[0], sleep=sleep)
        for _ in range(15):
            bucket.acquire()
        # 5 from the burst, then 10 more at 5/s: two seconds of waiting.
        self.assertAlmostEqual(sum(slept), 2.0, places=6)

    def test_pause_empties_the_bucket(self):
        clock = [0.0]
        bucket = TokenBucket(
            10, clock=lambda: clock[0], sleep=lambda s: clock.__setitem__(0, clock[0] + s)
        )
        bucket.pause(3)
        waited = bucket.acquire()
        self.assertAlmostEqual(waited, 3.1, places=6)


class TestSchema(unittest.TestCase):
    def test_readable_errors(self):
        schema = '{"type": "object", "required": ["sku"], "properties": {"qty": {"minimum": 0}}}'
        self.assertEqual(validation_errors(schema, {"sku": "a", "qty": 1}), [])
        errors = validation_errors(schema, {"qty": -1})
        self.assertEqual(len(errors), 2)
        self.assertIn("at /qty: -1 is less than the minimum of 0", errors)
