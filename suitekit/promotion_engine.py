"""A local promotion engine for tests: the test receiver (its auth checks, records and faults)
that also answers POST /eligibility, the call promotion_sync makes when an engine owns
promotions (README, "Eligibility").

Modes: ``answer`` answers at once with its `answer` (our answer's shape); ``slow`` waits
`slow_seconds` first (beyond the connector's timeout, the caller falls back); stop it for
"down". In a test's process (a thread), or as a process of its own:

    python -m suitekit.promotion_engine --port PORT [--mode slow] [--api-key KEY]

receivers.start_promotion_engine runs it that way.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "addons/integration_core/tests"))
from receiver import TestReceiver  # noqa: E402

ELIGIBILITY_PATH = "/eligibility"
DEFAULT_ANSWER = {
    "programs": [
        {
            "program_id": "ENGINE-SPRING",
            "version": 3,
            "name": "Engine spring campaign",
            "combinable": False,
            "discount": 12.5,
            "reward_type": "discount",
            "free_skus": [],
        }
    ],
    "discount_total": 12.5,
}


class PromotionEngine(TestReceiver):
    """TestReceiver answering eligibility; `carts` holds the carts it was asked about."""

    def __init__(self, *, mode="answer", answer=None, slow_seconds=5.0, **options):
        super().__init__(**options)
        self.mode = mode
        self.answer = answer if answer is not None else DEFAULT_ANSWER
        self.slow_seconds = slow_seconds
        self.carts = []

    def _dispatch(self, h, body):
        if h.command != "POST" or h.path.split("?", 1)[0].rstrip("/") != ELIGIBILITY_PATH:
            return super()._dispatch(h, body)
        reason = self._check_auth(h, body)
        if reason:
            return h._send(None, 401, {"error": "unauthorized", "reason": reason})
        try:
            cart = json.loads(body)
        except ValueError:
            return h._send(None, 400, {"error": "invalid_json"})
        with self._lock:
            self.carts.append(cart)
        if self.mode == "slow":
            self._sleep(self.slow_seconds)
        return h._send(None, 200, json.dumps(self.answer).encode())


def main(argv=None):
    parser = argparse.ArgumentParser(description="A local promotion engine for tests.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=["answer", "slow"], default="answer")
    parser.add_argument("--slow-seconds", type=float, default=5.0)
    parser.add_argument("--api-key")
    args = parser.parse_args(argv)
    engine = PromotionEngine(
        mode=args.mode, slow_seconds=args.slow_seconds, api_key=args.api_key, port=args.port
    ).start()
    engine.serve_until_terminated("promotion engine")


if __name__ == "__main__":
    main()
