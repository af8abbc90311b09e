"""The HTTP transport on its own, against the real local receiver: no ORM, no database."""

import unittest
from datetime import datetime

from ..tools import transport
from ..tools.transport import HttpSettings, HttpTransport
from .receiver import Fault, TestReceiver


def _items(*keys):
    created = datetime(2026, 1, 1, 12, 0)
    return [
        (
            {
                "idempotency_key": key,
                "event_type": "stock.level",
                "domain": "stock",
                "schema": None,
                "payload": {"sku": key, "quantity": 1},
            },
            created,
        )
        for key in keys
    ]


class TestHttpTransport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.receiver = TestReceiver(api_key="k-1").start()
        cls.addClassCleanup(cls.receiver.stop)

    def setUp(self):
        self.receiver.reset()

    def make(self, batch_size=1, authenticate=None):
        settings = HttpSettings(
            key=-1,  # no connector: a process-wide session of its own
            base_url=self.receiver.url,
            delivery_path="/events",
            batch_path="/events/batch",
            batch_size=batch_size,
            timeout=5.0,
        )
        return HttpTransport(
            settings, authenticate or (lambda body, force, msg_id=None: {"X-API-Key": "k-1"})
        )

    def test_one_request_per_message_stops_when_told_to_rest(self):
        self.receiver.add_faults(Fault.status(200), Fault.status(429, retry_after=7))
        with self.make() as http:
            outcomes = http.send(_items("a", "b", "c"))
        self.assertEqual([o.ok for o in outcomes], [True, False], "c was not tried")
        self.assertEqual((outcomes[1].category, outcomes[1].retry_after), ("rate_limited", 7.0))
        self.assertEqual([r.idempotency_key for r in self.receiver.deliveries()], ["a", "b"])

    def test_batches_and_the_trial_goes_alone(self):
        with self.make(batch_size=2) as http:
            outcomes = http.send(_items("a", "b", "c"))
            self.assertEqual([o.ok for o in outcomes], [True, True, True])
            self.assertEqual(len(self.receiver.deliveries()), 2, "two batches of at most 2")
            http.send(_items("d"), single=True)
        self.assertEqual(self.receiver.deliveries()[-1].idempotency_key, "d")

    def test_credentials_refused_or_missing(self):
        refused = self.make(authenticate=lambda body, force, msg_id=None: {"X-API-Key": "wrong"})
        [outcome] = refused.send(_items("a"))
        self.assertEqual((outcome.category, outcome.status), ("auth", 401))

        def no_secret(body, force, msg_id=None):
            raise transport.AuthError("no secret")

        [outcome] = self.make(authenticate=no_secret).send(_items("a"))
        self.assertEqual((outcome.category, outcome.error), ("auth", "no secret"))
