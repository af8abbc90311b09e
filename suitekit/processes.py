"""Real processes for the tests and benchmarks: odoo-bin servers, queue workers, scripts run
inside Odoo, and the waits around them."""

import configparser
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from suitekit import ROOT, odoo_bin

WORKER = ROOT / "scripts" / "queue_worker.py"
ODOO_SCRIPT = Path(__file__).with_name("odoo_script.py")


def free_port():
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def node_config(base_config, path, **options):
    """A copy of the Odoo config `base_config` at `path` with `options` set; the suite's own
    (``integration_<name>``) go to its [integration] section as ``<name>``."""
    parser = configparser.ConfigParser()
    parser.read(base_config)
    for name, value in options.items():
        section, _sep, own = name.partition("integration_")
        if not section and own:
            parser.setdefault("integration", {})
            parser["integration"][own] = str(value)
        else:
            parser["options"][name] = str(value)
    with open(path, "w") as handle:
        parser.write(handle)
    return str(path)


def start_server(config, db, *args, output=subprocess.DEVNULL, env=None, wait=None):
    """A real `odoo-bin` server on `db` on a port of its own (HTTP and cron threads), stdout
    and stderr to `output`; returns (process, port). With `wait` (seconds), returns once
    /web/health answers (see wait_ready), the process killed if it does not."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(odoo_bin()), "-c", config, "-d", db, f"--db-filter=^{db}$",
         "--http-port", str(port), "--log-level=warn", *args],
        stdout=output,
        stderr=subprocess.STDOUT,
        env=env,
    )  # fmt: skip
    if wait is not None:
        try:
            wait_ready(process, port, wait)
        except BaseException:
            process.kill()
            process.wait()
            raise
    return process, port


def wait_ready(process, port, timeout):
    """Wait until the server `process` on `port` answers /web/health; RuntimeError when it
    exits first or does not answer within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Odoo server on port {port} exited (exit {process.returncode})")
        try:
            if requests.get(f"http://127.0.0.1:{port}/web/health", timeout=30).ok:
                return
        except requests.RequestException:
            time.sleep(0.5)
    raise RuntimeError(f"the Odoo server on port {port} did not start within {timeout} s")


def stop(process, timeout=30):
    """Terminate a process started here if it still runs; kill it if it has not ended after
    `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_worker(config, db, *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE):
    """scripts/queue_worker.py (the delivery cron's loop, a delivery node) in a process of its
    own on `db`; `args` are its options. Text output, captured unless told otherwise."""
    command = [sys.executable, str(WORKER), "-c", config, "-d", db, *map(str, args)]
    return subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True)


def wait_worker(proc, timeout=180):
    """Wait for a worker to end well; returns its last JSON line (its totals)."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"worker failed ({proc.returncode}):\n{err[-4000:]}"
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return lines[-1] if lines else {}


def run_in_odoo(config, db, script, args=None, env=None):
    """Run `script` in an Odoo process on `db` and commit (see odoo_script.py); returns the
    CompletedProcess."""
    return subprocess.run(
        [sys.executable, str(ODOO_SCRIPT), config, db, json.dumps(args or {})],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def result_of(proc):
    """The `result` a successful run_in_odoo script set."""
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT ") :])


def wait_until(predicate, timeout, step=0.5):
    """Seconds it took `predicate()` to hold; AssertionError after `timeout` seconds."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(step)
    return time.monotonic() - start
