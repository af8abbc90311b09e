"""A fast, local HTTP receiver that stands in for remote systems in tests.

It plays the webshop / marketplace / WMS side of the outbound queue: it checks
the configured authentication (API key, static bearer token, OAuth2 client
credentials, HMAC-SHA256 signature), applies each delivery at most once per
``Idempotency-Key`` (a repeated key is a *replay*: answered 200 with the
original response, effect not applied again), accepts batch deliveries, and
can inject faults (error statuses with ``Retry-After``, slow answers, hangs,
dropped connections, and "applied but the answer was lost").

Standard library only; it never imports odoo, so it also runs standalone::

    python addons/integration_core/tests/receiver.py --port 8099 --api-key k

Speed matters: every throughput figure measured against this receiver would
otherwise be the receiver's own.  ``http.server`` is slow by accident when the
status line, headers and body leave in separate writes (Nagle's algorithm plus
delayed ACKs: ~40 ms per request).  Here the handler disables Nagle, speaks
HTTP/1.1 with keep-alive and writes each full response with one ``write``.
"""

import base64
import contextlib
import hashlib
import hmac
import http.server
import json
import random
import secrets
import signal
import socket
import sys
import threading
import time
from collections import deque
from urllib.parse import parse_qs

__all__ = ["Fault", "Recorded", "TestReceiver", "sign"]

TOKEN_PATH = "/oauth/token"
HEALTH_PATH = "/health"
MAX_BODY = 64 * 1024 * 1024


def sign(secret, timestamp, body):
    """Return the ``X-Signature`` header value for ``body`` sent at ``timestamp``.

    ``sha256=<hex HMAC-SHA256(secret, b"<timestamp>." + body)>``.
    """
    if isinstance(secret, str):
        secret = secret.encode()
    if isinstance(body, str):
        body = body.encode()
    message = str(int(timestamp)).encode() + b"." + (body or b"")
    return "sha256=" + hmac.new(secret, message, hashlib.sha256).hexdigest()


class Fault:
    """A fault to inject; build it with the class methods."""

    STATUS = "status"
    DELAY = "delay"
    HANG = "hang"
    DROP = "drop"
    APPLY_THEN_DROP = "apply_then_drop"

    __slots__ = ("kind", "code", "retry_after", "body", "seconds")

    def __init__(self, kind, code=None, retry_after=None, body=None, seconds=0.0):
        self.kind = kind
        self.code = code
        self.retry_after = retry_after
        self.body = body
        self.seconds = seconds

    @classmethod
    def status(cls, code, retry_after=None, body=None):
        """Answer ``code``; ``retry_after`` (int seconds or an HTTP-date string) sets
        ``Retry-After``; ``body`` is a dict/list (sent as JSON), str or bytes."""
        return cls(cls.STATUS, code=int(code), retry_after=retry_after, body=body)

    @classmethod
    def delay(cls, seconds):
        """Sleep ``seconds`` then handle the request normally (a slow receiver)."""
        return cls(cls.DELAY, seconds=float(seconds))

    @classmethod
    def hang(cls, seconds):
        """Sleep ``seconds`` then answer 504 (makes a client with a shorter timeout give up)."""
        return cls(cls.HANG, seconds=float(seconds))

    @classmethod
    def drop(cls):
        """Close the connection abruptly, without any response and without applying."""
        return cls(cls.DROP)

    @classmethod
    def apply_then_drop(cls):
        """Apply the effect, then close the connection without answering."""
        return cls(cls.APPLY_THEN_DROP)

    def __repr__(self):
        if self.kind == self.STATUS:
            return "Fault.status(%r, retry_after=%r)" % (self.code, self.retry_after)
        if self.kind in (self.DELAY, self.HANG):
            return "Fault.%s(%r)" % (self.kind, self.seconds)
        return "Fault.%s()" % self.kind


class Recorded:
    """One request as received.

    ``headers`` is a plain dict with lower-cased names.  ``status`` is the status
    answered (0 while in progress, or when the connection was dropped).
    ``item_keys`` lists the item idempotency keys of a batch request.
    """

    __slots__ = (
        "method",
        "path",
        "headers",
        "body",
        "json",
        "idempotency_key",
        "received_at",
        "status",
        "fault",
        "dropped",
        "item_keys",
    )

    def __init__(self, method, path, headers, body, json_, idempotency_key, received_at):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.json = json_
        self.idempotency_key = idempotency_key
        self.received_at = received_at
        self.status = 0
        self.fault = None  # repr of the fault injected on this request, if any
        self.dropped = False
        self.item_keys = []

    def __repr__(self):
        return "<Recorded %s %s key=%s status=%s%s>" % (
            self.method,
            self.path,
            self.idempotency_key,
            self.status,
            " dropped" if self.dropped else "",
        )


class _Dropped(Exception):
    """Raised inside the handler to close the connection without answering."""


def _json_bytes(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "IntegrationTestReceiver/1.0"
    sys_version = ""

    # -- plumbing ---------------------------------------------------------
    def setup(self):
        result = super().setup()
        self.server.receiver._track(self.connection, True)
        return result

    def finish(self):
        try:
            with contextlib.suppress(OSError):
                return super().finish()
        finally:
            self.server.receiver._track(self.connection, False)

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise _Dropped()
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # trailers until the empty line
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise _Dropped()
                parts.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise _Dropped()
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, rec, status, body=b"", extra_headers=None, content_type="application/json"):
        """Write status line, headers and body in ONE write."""
        if not isinstance(body, bytes):
            body = _json_bytes(body) if not isinstance(body, str) else body.encode()
        reason = self.responses.get(status, ("",))[0]
        lines = [
            "HTTP/1.1 %d %s" % (status, reason),
            "Content-Type: %s" % content_type,
            "Content-Length: %d" % len(body),
            "Connection: %s" % ("close" if self.close_connection else "keep-alive"),
        ]
        if extra_headers:
            lines.extend("%s: %s" % kv for kv in extra_headers)
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if rec is not None:
            rec.status = status
        try:
            self.wfile.write(head + body)
        except OSError:
            # the client went away (e.g. it timed out during a hang)
            self.close_connection = True

    def _drop(self, rec):
        if rec is not None:
            rec.dropped = True
            rec.status = 0
        self.close_connection = True
        with contextlib.suppress(OSError):  # already closed by the client
            self.connection.shutdown(socket.SHUT_RDWR)

    # -- dispatch ---------------------------------------------------------
    def _handle(self):
        recv = self.server.receiver
        try:
            body = self._read_body()
        except (_Dropped, ValueError, OSError):
            self._drop(None)
            return
        if (self.headers.get("Connection") or "").lower() == "close":
            self.close_connection = True
        try:
            recv._dispatch(self, body)
        except _Dropped:
            return

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # Connections reset/shut down by tests or by stop() are expected: stay quiet.
        pass


class TestReceiver:
    """Local HTTP receiver; see the module docstring.  Use as a context manager."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        *,
        api_key=None,
        api_key_header="X-API-Key",
        bearer_token=None,
        oauth_client_id=None,
        oauth_client_secret=None,
        token_ttl=3600,
        hmac_secret=None,
        max_skew=300,
        record_bodies=True,
        delay=0.0,
        host="127.0.0.1",
        port=0,
    ):
        self.api_key = api_key
        self.api_key_header = api_key_header
        self.bearer_token = bearer_token
        self.oauth_client_id = oauth_client_id
        self.oauth_client_secret = oauth_client_secret
        self.token_ttl = token_ttl
        self.hmac_secret = hmac_secret
        self.max_skew = max_skew
        self.record_bodies = record_bodies
        self.delay = delay
        self.host = host
        self.port = port
        self.url = None

        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = None
        self._thread = None
        self._conns = set()
        self._tokens = {}  # token -> monotonic expiry
        self._init_state()

    def _init_state(self):
        self.requests = []
        self.applied = {}
        self.replays = 0
        self.token_requests = 0
        self._responses = {}  # key -> (status, body bytes) of the original answer
        self._faults = deque()
        self._key_faults = {}
        self._always = None
        self._mix = None
        # GET path -> JSON document: what the remote "currently shows" (read-back endpoints).
        self.resources = {}

    # -- lifecycle --------------------------------------------------------
    def start(self):
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, self.port), _Handler)
        self._server.receiver = self
        host, port = self._server.server_address[:2]
        self.port = port
        self.url = "http://%s:%d" % (host, port)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="TestReceiver:%d" % port,
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_until_terminated(self, what="receiver"):
        """The main loop of a program that runs this receiver in a process of its own
        (suitekit starts them): says where it listens, then serves until SIGTERM."""
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        print(f"{what} listening on {self.url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        finally:
            self.stop()

    def stop(self):
        server = self._server
        if server is None:
            return
        self._stopping.set()  # wakes up delays/hangs
        server.shutdown()
        with self._lock:
            conns = list(self._conns)
            self._conns.clear()
        for conn in conns:
            with contextlib.suppress(OSError):  # already closed
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def _track(self, conn, add):
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def _sleep(self, seconds):
        if seconds > 0:
            self._stopping.wait(seconds)

    # -- test controls ----------------------------------------------------
    def add_faults(self, *faults):
        """Queue faults (FIFO); one is consumed by each incoming POST (token endpoint excluded)."""
        with self._lock:
            self._faults.extend(faults)

    def fault_for_key(self, key, *faults):
        """Queue faults for POSTs carrying ``key`` (or batch items with that key); consumed first."""
        with self._lock:
            self._key_faults.setdefault(key, deque()).extend(faults)

    def set_always(self, fault):
        """Apply ``fault`` to every POST (when no queued fault applies) until set to None."""
        with self._lock:
            self._always = fault

    def set_fault_mix(self, mix, seed=None):
        """Draw a fault for each POST (when no queued fault applies) from `mix`, [(probability,
        Fault)] as parse_fault_mix() gives; the rest are answered normally. None stops it."""
        with self._lock:
            self._mix = (random.Random(seed), list(mix)) if mix else None

    def revoke_tokens(self):
        with self._lock:
            self._tokens.clear()

    def reset(self):
        """Forget recordings, applied keys, counters and faults (issued tokens stay valid)."""
        with self._lock:
            self._init_state()

    def deliveries(self, key=None):
        """POSTs carrying an Idempotency-Key; with ``key``, those whose header key is
        ``key`` or batches containing an item with that key."""
        with self._lock:
            reqs = list(self.requests)
        out = [
            r
            for r in reqs
            if r.method == "POST" and r.idempotency_key and r.path.split("?", 1)[0] != TOKEN_PATH
        ]
        if key is not None:
            out = [r for r in out if r.idempotency_key == key or key in r.item_keys]
        return out

    def keys_sent_more_than_once(self):
        """Keys received in more than one POST (header keys and batch item keys)."""
        counts = {}
        for r in self.deliveries():
            for k in {r.idempotency_key, *r.item_keys}:
                counts[k] = counts.get(k, 0) + 1
        return sorted(k for k, n in counts.items() if n > 1)

    def wait_for(self, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    # -- request handling -------------------------------------------------
    def _take_fault(self, keys):
        """Pop the next fault for this POST: header-key queue, then FIFO, then always."""
        with self._lock:
            for key in keys:
                q = self._key_faults.get(key)
                if q:
                    return q.popleft()
            if self._faults:
                return self._faults.popleft()
            if self._mix:
                rng, mix = self._mix
                draw = rng.random()
                for probability, fault in mix:
                    if draw < probability:
                        return fault
                    draw -= probability
            return self._always

    def _take_item_fault(self, key):
        with self._lock:
            q = self._key_faults.get(key)
            return q.popleft() if q else None

    def _check_auth(self, h, body):
        """Return None if every configured scheme passes, else a reason string."""
        if self.api_key is not None:
            got = h.headers.get(self.api_key_header)
            if got is None:
                return "missing api key header %s" % self.api_key_header
            if not hmac.compare_digest(got.encode(), str(self.api_key).encode()):
                return "invalid api key"
        bearer = None
        if self.bearer_token is not None or self.oauth_client_id is not None:
            auth = h.headers.get("Authorization") or ""
            if auth[:7].lower() == "bearer ":
                bearer = auth[7:].strip()
            if not bearer:
                return "missing bearer token"
        if self.bearer_token is not None:
            if not hmac.compare_digest(bearer.encode(), str(self.bearer_token).encode()):
                return "invalid bearer token"
        if self.oauth_client_id is not None:
            with self._lock:
                expiry = self._tokens.get(bearer)
                if expiry is not None and expiry <= time.monotonic():
                    del self._tokens[bearer]
                    return "oauth token expired"
            if expiry is None:
                return "invalid oauth token"
        if self.hmac_secret is not None:
            ts = h.headers.get("X-Timestamp")
            sig = h.headers.get("X-Signature")
            if not ts or not sig:
                return "missing X-Timestamp or X-Signature"
            try:
                ts_int = int(ts.strip())
            except ValueError:
                return "invalid X-Timestamp (not an integer)"
            if abs(time.time() - ts_int) > self.max_skew:
                return "stale timestamp (more than %ss skew)" % self.max_skew
            expected = sign(self.hmac_secret, ts_int, body)
            if not hmac.compare_digest(sig.strip().encode(), expected.encode()):
                return "invalid signature"
        return None

    def _dispatch(self, h, body):
        if self.delay:
            self._sleep(self.delay)
        method = h.command
        path = h.path.split("?", 1)[0]
        headers = {k.lower(): v for k, v in h.headers.items()}
        key = headers.get("idempotency-key")
        parsed = parse_error = None
        if method == "POST" and path != TOKEN_PATH:
            try:
                parsed = json.loads(body)
            except ValueError as e:
                parse_error = "invalid JSON: %s" % e
        rec = Recorded(
            method,
            h.path,
            headers,
            body if self.record_bodies else b"",
            parsed if self.record_bodies else None,
            key,
            time.monotonic(),
        )
        with self._lock:
            self.requests.append(rec)

        if method == "POST" and path == TOKEN_PATH:
            return self._token(h, rec, body)
        if method == "GET":
            if path == HEALTH_PATH:
                reason = self._check_auth(h, body)
                if reason:
                    return h._send(rec, 401, {"error": "unauthorized", "reason": reason})
                return h._send(rec, 200, {"status": "ok"})
            if path in self.resources:
                reason = self._check_auth(h, body)
                if reason:
                    return h._send(rec, 401, {"error": "unauthorized", "reason": reason})
                return h._send(rec, 200, self.resources[path])
            return h._send(rec, 404, {"error": "not found"})
        if method != "POST":
            return h._send(rec, 405, {"error": "method not allowed"}, [("Allow", "GET, POST")])

        is_batch = path.endswith("/batch")
        fault = self._take_fault([key] if key else [])
        drop_after = False
        if fault is not None:
            rec.fault = repr(fault)
            if fault.kind == Fault.STATUS:
                extra = None
                if fault.retry_after is not None:
                    extra = [("Retry-After", str(fault.retry_after))]
                payload = fault.body
                if payload is None:
                    payload = {"error": "injected fault", "status": fault.code}
                return h._send(rec, fault.code, payload, extra)
            if fault.kind == Fault.DELAY:
                self._sleep(fault.seconds)
            elif fault.kind == Fault.HANG:
                self._sleep(fault.seconds)
                return h._send(rec, 504, {"error": "gateway timeout (injected hang)"})
            elif fault.kind == Fault.DROP:
                h._drop(rec)
                return
            elif fault.kind == Fault.APPLY_THEN_DROP:
                drop_after = True

        if is_batch:
            status, payload, drop_item = self._batch(h, rec, key, body, parsed, parse_error)
            drop_after = drop_after or drop_item
        else:
            status, payload = self._single(h, key, body, parse_error)
        if drop_after:
            h._drop(rec)
            return
        return h._send(rec, status, payload)

    def _single(self, h, key, body, parse_error):
        if not key:
            return 400, _json_bytes({"error": "missing Idempotency-Key"})
        reason = self._check_auth(h, body)
        if reason:
            return 401, _json_bytes({"error": "unauthorized", "reason": reason})
        if parse_error:
            return 400, _json_bytes({"error": parse_error})
        with self._lock:
            original = self._responses.get(key)
            if original is not None:
                self.replays += 1
                return original
            response = (200, _json_bytes({"status": "accepted", "idempotency_key": key}))
            self._responses[key] = response
            self.applied[key] = self.applied.get(key, 0) + 1
            return response

    def _batch(self, h, rec, key, body, data, parse_error):
        """Return (status, payload, drop_connection)."""
        if not key:
            return 400, {"error": "missing Idempotency-Key"}, False
        reason = self._check_auth(h, body)
        if reason:
            return 401, {"error": "unauthorized", "reason": reason}, False
        if parse_error:
            return 400, {"error": parse_error}, False
        # {"messages": [...]}, or a CloudEvents batch (a JSON array of events).
        messages = data if isinstance(data, list) else None
        if messages is None:
            messages = data.get("messages") if isinstance(data, dict) else None
        if not isinstance(messages, list):
            return 400, {"error": 'body must be {"messages": [...]}'}, False
        rec.item_keys = [_item_key(m) for m in messages if isinstance(m, dict) and _item_key(m)]
        results = []
        drop = False
        for msg in messages:
            ikey = _item_key(msg) if isinstance(msg, dict) else None
            if not ikey:
                results.append(
                    {"idempotency_key": ikey, "status": 400, "error": "missing idempotency_key"}
                )
                continue
            fault = self._take_item_fault(ikey)
            if fault is not None:
                if fault.kind == Fault.STATUS:
                    item = {
                        "idempotency_key": ikey,
                        "status": fault.code,
                        "error": "injected fault",
                    }
                    if isinstance(fault.body, str):
                        item["error"] = fault.body
                    elif isinstance(fault.body, dict) and "error" in fault.body:
                        item["error"] = fault.body["error"]
                    if fault.retry_after is not None:
                        item["retry_after"] = fault.retry_after
                    results.append(item)
                    continue
                if fault.kind in (Fault.DELAY, Fault.HANG):
                    self._sleep(fault.seconds)
                    if fault.kind == Fault.HANG:
                        results.append(
                            {
                                "idempotency_key": ikey,
                                "status": 504,
                                "error": "gateway timeout (injected hang)",
                            }
                        )
                        continue
                elif fault.kind == Fault.DROP:
                    drop = True  # item not applied, whole answer lost
                    continue
                elif fault.kind == Fault.APPLY_THEN_DROP:
                    drop = True  # item applied below, whole answer lost
            with self._lock:
                if ikey in self.applied:
                    self.replays += 1
                else:
                    self.applied[ikey] = 1
            results.append({"idempotency_key": ikey, "status": 200})
        return 200, {"results": results}, drop

    def _token(self, h, rec, body):
        with self._lock:
            self.token_requests += 1
        if self.oauth_client_id is None:
            return h._send(rec, 404, {"error": "oauth not configured"})
        try:
            form = {
                k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()
            }
        except (UnicodeDecodeError, ValueError):
            form = {}
        client_id = form.get("client_id")
        client_secret = form.get("client_secret")
        auth = h.headers.get("Authorization") or ""
        if auth[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(auth[6:].strip()).decode("utf-8")
                client_id, _, client_secret = decoded.partition(":")
            except (ValueError, UnicodeDecodeError):
                client_id = client_secret = None
        if form.get("grant_type") != "client_credentials":
            return h._send(rec, 400, {"error": "unsupported_grant_type"})
        ok = (
            client_id is not None
            and client_secret is not None
            and hmac.compare_digest(client_id.encode(), str(self.oauth_client_id).encode())
            and hmac.compare_digest(client_secret.encode(), str(self.oauth_client_secret).encode())
        )
        if not ok:
            return h._send(rec, 401, {"error": "invalid_client"})
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.monotonic() + float(self.token_ttl)
        return h._send(
            rec,
            200,
            {"access_token": token, "token_type": "Bearer", "expires_in": self.token_ttl},
            [("Cache-Control", "no-store")],
        )


def _item_key(item):
    """The idempotency key of a batch item: the suite's envelope's, or a CloudEvent's id."""
    return item.get("idempotency_key") or (item.get("id") if "specversion" in item else None)


# The faulty remote of issue #17: 30 % answered 500, 5 % 429 with Retry-After 1, 5 % of the
# connections dropped without an answer.
ISSUE_FAULT_MIX = "500:0.30,429:0.05,drop:0.05"


def parse_fault_mix(text):
    """[(probability, Fault)] from "500:0.30,429:0.05,drop:0.05" (a status or `drop`, then the
    share of requests; a 429 asks for Retry-After 1).

    >>> [(p, f.kind, f.code) for p, f in parse_fault_mix("500:0.3,drop:0.05")]
    [(0.3, 'status', 500), (0.05, 'drop', None)]
    """
    mix = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        what, _, share = part.partition(":")
        probability = float(share)
        if what == "drop":
            fault = Fault.drop()
        elif what == "429":
            fault = Fault.status(429, retry_after=1)
        else:
            fault = Fault.status(int(what))
        mix.append((probability, fault))
    if sum(p for p, _f in mix) > 1:
        raise ValueError(f"fault shares add up to more than 1: {text}")
    return mix


def _main(argv=None):
    import argparse

    p = argparse.ArgumentParser(description="Standalone integration test receiver.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8099)
    p.add_argument("--api-key")
    p.add_argument("--api-key-header", default="X-API-Key")
    p.add_argument("--bearer-token")
    p.add_argument("--oauth-client-id")
    p.add_argument("--oauth-client-secret")
    p.add_argument("--hmac-secret")
    p.add_argument("--no-record-bodies", action="store_true")
    p.add_argument(
        "--fault-mix",
        help=f"faults drawn for each POST, e.g. {ISSUE_FAULT_MIX!r} (status or drop: share)",
    )
    p.add_argument("--seed", type=int, default=None, help="seed of the fault draws")
    args = p.parse_args(argv)
    rcv = TestReceiver(
        api_key=args.api_key,
        api_key_header=args.api_key_header,
        bearer_token=args.bearer_token,
        oauth_client_id=args.oauth_client_id,
        oauth_client_secret=args.oauth_client_secret,
        hmac_secret=args.hmac_secret,
        record_bodies=not args.no_record_bodies,
        host=args.host,
        port=args.port,
    )
    if args.fault_mix:
        rcv.set_fault_mix(parse_fault_mix(args.fault_mix), args.seed)
    rcv.start()

    def _terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    out = sys.stdout
    out.write("receiver listening on %s (Ctrl-C to stop)\n" % rcv.url)
    out.flush()
    with contextlib.suppress(KeyboardInterrupt):
        try:
            while True:
                time.sleep(5)
                out.write(
                    "%s requests, %d keys applied, %d replays\n"
                    % (len(rcv.requests), len(rcv.applied), rcv.replays)
                )
                out.flush()
        finally:
            rcv.stop()


if __name__ == "__main__":
    _main()
