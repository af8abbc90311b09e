"""The local test receiver, plus GET /arrivals?from=I: the idempotency keys delivered by POST
requests I, I+1, ... (each item of a batch request counts, with its request's time) and the
moment each request arrived, on time.monotonic(), a system-wide clock on Linux that the
benchmark's own process reads too. Latencies and pauses are measured where delivery happens.

    python -m suitekit.recording_receiver --port PORT   (or python suitekit/recording_receiver.py)

receivers.start_recording_receiver runs it; receivers.Arrivals reads it.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "addons/integration_core/tests"))
from receiver import TOKEN_PATH, TestReceiver  # noqa: E402


class RecordingReceiver(TestReceiver):
    def _dispatch(self, h, body):
        if h.command == "GET" and h.path.startswith("/arrivals"):
            start = int(h.path.partition("from=")[2] or 0)
            with self._lock:
                requests = self.requests[start:]
                total = len(self.requests)
            arrivals = []
            for r in requests:
                if r.method != "POST" or not r.idempotency_key or r.path.startswith(TOKEN_PATH):
                    continue
                for key in r.item_keys or [r.idempotency_key]:
                    arrivals.append((key, r.received_at))
            answer = {
                "next": total,
                "arrivals": arrivals,
                "replays": self.replays,
                "applied": len(self.applied),
            }
            return h._send(None, 200, json.dumps(answer, separators=(",", ":")).encode())
        return super()._dispatch(h, body)


def main(argv=None):
    parser = argparse.ArgumentParser(description="The local test receiver, recording arrivals.")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    receiver = RecordingReceiver(record_bodies=False, port=args.port).start()
    receiver.serve_until_terminated("receiver")


if __name__ == "__main__":
    main()
