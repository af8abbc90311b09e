"""The local test receiver (addons/integration_core/tests/receiver.py) in a process of its own,
and the recording one (recording_receiver.py) with its reader, Arrivals; the local promotion
engine (promotion_engine.py)."""

import subprocess
import sys
import time
from pathlib import Path

import requests

from suitekit import ROOT, say
from suitekit.processes import free_port, stop

RECEIVER = ROOT / "addons" / "integration_core" / "tests" / "receiver.py"
RECORDING_RECEIVER = Path(__file__).with_name("recording_receiver.py")
PROMOTION_ENGINE = Path(__file__).with_name("promotion_engine.py")


def start_receiver(log_file, *extra):
    """The local test receiver in a process of its own (`extra`: more of its options, e.g.
    --fault-mix); returns (process, base url)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, str(RECEIVER), "--port", str(port), "--no-record-bodies", *extra]
    return _launch_receiver(command, url, log_file)


def start_recording_receiver(log_file):
    """The local test receiver in a process of its own, recording when each idempotency key
    arrived (see Arrivals); returns (process, base url)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, str(RECORDING_RECEIVER), "--port", str(port)]
    return _launch_receiver(command, url, log_file)


def start_promotion_engine(log_file, *extra):
    """The local promotion engine (promotion_engine.py) in a process of its own (`extra`: its
    options, e.g. --mode slow); returns (process, base url)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, str(PROMOTION_ENGINE), "--port", str(port), *extra]
    return _launch_receiver(command, url, log_file)


def _launch_receiver(command, url, log_file):
    """Start a receiver command and wait until it answers GET /health."""
    process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the receiver exited at once (exit {process.returncode})")
        try:
            if requests.get(url + "/health", timeout=1).ok:
                say(f"receiver listening on {url} (separate process, pid {process.pid})")
                return process, url
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the receiver did not answer on {url}/health within 15 s")


def stop_receiver(process):
    """Stop a receiver started here (it ends at once on SIGTERM)."""
    stop(process, timeout=5)


class Arrivals:
    """Reads a recording receiver's arrivals incrementally: {key: first arrival} and the
    arrival times in order, on time.monotonic()."""

    def __init__(self, url):
        self.url = url
        self.next = 0
        self.first = {}
        self.times = []
        self.replays = 0
        self.applied = 0

    def poll(self):
        answer = requests.get(f"{self.url}/arrivals?from={self.next}", timeout=30).json()
        self.next = answer["next"]
        self.replays, self.applied = answer["replays"], answer["applied"]
        for key, at in answer["arrivals"]:
            self.times.append(at)
            self.first.setdefault(key, at)
        return len(answer["arrivals"])

    def mark(self):
        """Forget what arrived so far: later figures are about what comes next."""
        self.poll()
        self.first, self.times = {}, []
