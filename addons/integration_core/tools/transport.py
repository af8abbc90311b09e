"""How messages travel to a remote, behind one interface, and what came back.

A :class:`Transport` is opened for a delivery run, sends groups of envelopes and is closed;
:class:`HttpTransport` posts JSON (one message per request, or a batch), amqp.AmqpTransport
publishes to a broker. Each owns its connections (keep-alive sessions, publishers, kept per
process and connector) and its rate limit; the connector model gives the configuration and
the credentials.

Every attempt comes back as an :class:`Outcome`, everything the queue needs to decide retry or
dead letter in business words: the category (auth, rate limited, remote error, timeout,
network, rejected), the status, the Retry-After the remote asked for, an excerpt of its answer
and the latency.
"""

import base64
import json
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import requests
import urllib3

from . import signing
from .backoff import parse_retry_after
from .cloudevents import CLOUDEVENTS_BATCH_CONTENT_TYPE, CLOUDEVENTS_CONTENT_TYPE, cloudevent
from .ratelimit import TokenBucket

EXCERPT = 500
# The most requests one connector may have in flight at once in one process.
MAX_PARALLEL = 32
# Categories that say the remote is unwell or asks us to wait: the rest of a run's messages to
# that connector go back to the queue untried instead of hammering it.
RESTING_CATEGORIES = frozenset({"rate_limited", "network", "timeout"})
# A cached OAuth2 token this close to its expiry is fetched again rather than used.
TOKEN_MARGIN = timedelta(seconds=60)

# Per-process state shared by the cron threads of one Odoo process: HTTP sessions (keep-alive)
# and rate-limit buckets, keyed by connector id. Small and bounded by the number of connectors.
_LOCK = threading.Lock()
_SESSIONS = {}
_BUCKETS = {}


@dataclass
class Outcome:
    ok: bool
    status: int | None = None
    category: str | None = None  # None when ok
    error: str | None = None
    retry_after: float | None = None
    latency_ms: int = 0
    excerpt: str = ""
    permanent: bool = False  # retrying the same request cannot succeed
    body: bytes = b""
    # A connection made and then dropped: this message is tried again later, but one lost
    # connection does not say the remote is down (no rest for the connector).
    lost: bool = False


def classify(status, excerpt):
    """(category, permanent, message) for a non-2xx status."""
    if status in (401, 403):
        return "auth", False, f"The remote refused our credentials (HTTP {status})."
    if status == 429:
        return "rate_limited", False, "The remote asked us to slow down (HTTP 429)."
    if status == 408 or status >= 500:
        return "remote_error", False, f"The remote system failed (HTTP {status})."
    return (
        "rejected",
        True,
        f"The remote rejected the message (HTTP {status}): {excerpt[:200] or 'no details'}",
    )


def post(session, url, body, headers, timeout):
    """POST body (bytes) and return an Outcome; never raises for network trouble."""
    start = time.monotonic()
    try:
        response = session.post(url, data=body, headers=headers, timeout=timeout)
    except requests.Timeout:
        return Outcome(
            False,
            category="timeout",
            error=f"No answer from the remote within {timeout:g} seconds.",
            latency_ms=int((time.monotonic() - start) * 1000),
        )
    except requests.RequestException as exc:
        return Outcome(
            False,
            category="network",
            error=f"Could not reach the remote: {type(exc).__name__}: {str(exc)[:300]}",
            latency_ms=int((time.monotonic() - start) * 1000),
            lost=not _never_connected(exc),
        )
    return _outcome(response, start)


def _never_connected(exc):
    """True when `exc` says no connection could be made (refused, unknown host, no route),
    False when one was made and then lost (the remote or a proxy dropped it)."""
    while exc is not None:
        if isinstance(exc, urllib3.exceptions.NewConnectionError):
            return True
        exc = getattr(exc, "reason", None) or (exc.args[0] if getattr(exc, "args", None) else None)
        if not isinstance(exc, BaseException):
            return False
    return False


def get(session, url, headers, timeout):
    start = time.monotonic()
    try:
        response = session.get(url, headers=headers, timeout=timeout)
    except requests.Timeout:
        return Outcome(False, category="timeout", error=f"No answer within {timeout:g} seconds.")
    except requests.RequestException as exc:
        return Outcome(False, category="network", error=f"Could not reach the remote: {exc}")
    return _outcome(response, start)


def _outcome(response, start):
    latency_ms = int((time.monotonic() - start) * 1000)
    excerpt = response.text[:EXCERPT] if response.content else ""
    if 200 <= response.status_code < 300:
        return Outcome(
            True,
            status=response.status_code,
            latency_ms=latency_ms,
            excerpt=excerpt,
            body=response.content,
        )
    category, permanent, message = classify(response.status_code, excerpt)
    return Outcome(
        False,
        status=response.status_code,
        category=category,
        error=message,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
        latency_ms=latency_ms,
        excerpt=excerpt,
        permanent=permanent,
    )


def tells_to_rest(outcome):
    """True when the remote went unwell or asked us to wait: stop sending to it for now."""
    return not outcome.ok and outcome.category in RESTING_CATEGORIES and not outcome.lost


def dumps(value):
    """Compact, stable JSON bytes for bodies and signatures."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str).encode()


def session_of(key, base_url=""):
    """This process's keep-alive HTTP session for connector `key` at `base_url` (a new one
    when the URL changed)."""
    with _LOCK:
        entry = _SESSIONS.get(key)
        if entry is None or entry[0] != base_url:
            if entry is not None:
                entry[1].close()
            session = requests.Session()
            # Room for every request a connector may have in flight (parallel_requests).
            adapter = requests.adapters.HTTPAdapter(pool_maxsize=MAX_PARALLEL)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            # The environment's proxies (no_proxy included) and CA bundle, read once: requests
            # reads them again for every request otherwise (half a millisecond each).
            session.proxies.update(requests.utils.get_environ_proxies(base_url or "http://x"))
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            if bundle:
                session.verify = bundle
            session.trust_env = False
            entry = _SESSIONS[key] = (base_url, session)
        return entry[1]


def bucket_of(key, rate):
    """This process's token bucket for connector `key` at `rate` requests/s; None at 0."""
    if not rate:
        return None
    with _LOCK:
        bucket = _BUCKETS.get(key)
        if bucket is None or bucket.rate != rate:
            bucket = _BUCKETS[key] = TokenBucket(rate)
        return bucket


class AuthError(Exception):
    """The request cannot be authenticated (no secret, key problem, no token); the message
    says why, in words."""


class TokenError(AuthError):
    """The OAuth2 token endpoint gave no token: `reason` is unreachable, refused or
    no_token; `detail` the exception or HTTP status."""

    def __init__(self, reason, detail=None):
        super().__init__(f"OAuth2 token: {reason} ({detail})")
        self.reason, self.detail = reason, detail


def auth_headers(scheme, secret, body, api_key_header=None, token=None, msg_id=None):
    """Headers that authenticate one request by `scheme` (api_key, bearer, standard_webhooks
    for message `msg_id`, hmac, oauth2 with its access `token`), with the connector's `secret`.
    ValueError when the secret cannot sign (not a Standard Webhooks secret).

    >>> auth_headers("api_key", "s", b"", "X-Key"), auth_headers("oauth2", "s", b"", token="t")
    ({'X-Key': 's'}, {'Authorization': 'Bearer t'})
    """
    if scheme == "api_key":
        return {api_key_header or "X-API-Key": secret}
    if scheme == "bearer":
        return {"Authorization": f"Bearer {secret}"}
    if scheme == "standard_webhooks":
        return signing.webhook_headers(secret, msg_id or str(uuid.uuid4()), body)
    if scheme == "hmac":
        return signing.signature_headers(secret, body)
    return {"Authorization": f"Bearer {token}"}


def token_is_fresh(expires_at, now):
    """True when a cached token expiring at `expires_at` may still be used at `now`.

    >>> from datetime import datetime
    >>> now = datetime(2026, 1, 1)
    >>> token_is_fresh(now + timedelta(seconds=61), now), token_is_fresh(None, now)
    (True, False)
    """
    return bool(expires_at) and expires_at > now + TOKEN_MARGIN


def request_token(session, url, client_id, client_secret, scope, timeout):
    """(access token, seconds it lives) from an OAuth2 client-credentials endpoint; raises
    TokenError."""
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    try:
        response = session.post(
            url, data=data, headers={"Authorization": f"Basic {basic}"}, timeout=timeout
        )
    except requests.RequestException as exc:
        raise TokenError("unreachable", exc) from exc
    if response.status_code != 200:
        raise TokenError("refused", response.status_code)
    try:
        answer = response.json()
        return answer["access_token"], int(answer.get("expires_in") or 3600)
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError("no_token", exc) from exc


class Transport:
    """One way to a remote. ``send(items)`` takes [(envelope, queued at)] and returns one
    Outcome per item tried, in order: fewer than items when it stopped early (the remote went
    unwell or the connection was lost), the rest were not tried. Never raises.

    `limiter`: the connector's rate limit shared by every process (ratelimit.SharedBucket),
    set by the connector; without it, a bucket of this process (bucket_of)."""

    limiter = None

    def bucket(self, key, rate):
        """What each request takes a token from: the shared limiter, else this process's."""
        return self.limiter or bucket_of(key, rate)

    def open(self):
        return self

    def send(self, items, single=False):
        raise NotImplementedError

    def close(self):
        """Connections stay open for the next run of this process (see each transport)."""

    def __enter__(self):
        return self.open()

    def __exit__(self, *exc):
        self.close()


@dataclass(frozen=True)
class HttpSettings:
    key: int  # the connector's id: its session and bucket in this process
    base_url: str
    delivery_path: str
    batch_path: str | None
    batch_size: int
    timeout: float
    rate_limit: float = 0.0
    parallel_requests: int = 1  # requests in flight at once (one message per request)
    renews_token: bool = False  # OAuth2: a 401 fetches a new token once and tries again
    cloudevents_source: str = ""  # set: bodies are CloudEvents (structured JSON mode)


class HttpTransport(Transport):
    """JSON over HTTP(S): one message per request to the delivery path, or groups of the batch
    size to the batch path. `authenticate(body, force_new_token)` gives the headers that
    authenticate one request (raises AuthError); `missing_error` is the sentence recorded
    when a batch answer does not mention a message."""

    def __init__(
        self, settings, authenticate, missing_error="The batch answer did not mention this message."
    ):
        # authenticate() and the rate limit may use the database: they are called from the
        # thread that sends, never from the pool that only waits for answers.
        self.settings = settings
        self.authenticate = authenticate
        self.missing_error = missing_error

    @property
    def session(self):
        return session_of(self.settings.key, self.settings.base_url or "")

    def encode(self, envelope):
        """(body, content type) of one message: the suite's envelope, or a CloudEvent."""
        source = self.settings.cloudevents_source
        if source:
            return dumps(cloudevent(envelope, source)), CLOUDEVENTS_CONTENT_TYPE
        return dumps(envelope), "application/json"

    def encode_batch(self, envelopes):
        """(body, content type) of a batch: {"messages": [...]}, or a CloudEvents batch."""
        source = self.settings.cloudevents_source
        if source:
            events = [cloudevent(envelope, source) for envelope in envelopes]
            return dumps(events), CLOUDEVENTS_BATCH_CONTENT_TYPE
        return dumps({"messages": envelopes}), "application/json"

    def url(self, path):
        return (self.settings.base_url or "").rstrip("/") + "/" + (path or "").lstrip("/")

    def send(self, items, single=False):
        settings = self.settings
        batched = not single and settings.batch_size > 1 and settings.batch_path
        if not batched:
            return self._send_each(items)
        chunk = max(1, settings.batch_size)
        outcomes = []
        for start in range(0, len(items), chunk):
            group = items[start : start + chunk]
            got = self._send_batch(group)
            outcomes += got
            if len(got) < len(group) or tells_to_rest(got[-1]):
                break
        return outcomes

    def _send_each(self, items):
        if self.settings.parallel_requests > 1 and len(items) > 1:
            return self._send_parallel(items)
        outcomes = []
        for envelope, _queued_at in items:
            body, content_type = self.encode(envelope)
            outcome = self.post(self.settings.delivery_path, body, _headers(envelope), content_type)
            outcomes.append(outcome)
            if tells_to_rest(outcome):
                break  # do not keep hammering: the rest goes back to the queue
        return outcomes

    def _send_parallel(self, items):
        """One request per message, up to `parallel_requests` at once. Requests are started
        in order and none is started once an answer tells to rest, so the messages tried are
        always the first ones (those in flight then are waited for). Headers and rate-limit
        tokens are taken here, in the calling thread; the pool only waits for answers."""
        settings = self.settings
        slots = threading.Semaphore(settings.parallel_requests)
        rest = threading.Event()

        def attempt(body, headers):
            try:
                outcome = post(
                    self.session, self.url(settings.delivery_path), body, headers, settings.timeout
                )
                if tells_to_rest(outcome):
                    rest.set()  # before the slot is free: no request starts after it
                return outcome
            finally:
                slots.release()

        tried = []
        with ThreadPoolExecutor(settings.parallel_requests, "integration-http") as pool:
            for envelope, _queued_at in items:
                slots.acquire()
                if rest.is_set():
                    slots.release()
                    break
                body, content_type = self.encode(envelope)
                headers = {"Content-Type": content_type, **_headers(envelope)}
                try:
                    auth = self.authenticate(body, False, envelope["idempotency_key"])
                except AuthError as exc:
                    slots.release()
                    tried.append(
                        (body, content_type, Outcome(False, category="auth", error=str(exc)))
                    )
                    continue
                bucket = self.bucket(settings.key, settings.rate_limit)
                if bucket:
                    bucket.acquire()
                tried.append((body, content_type, pool.submit(attempt, body, {**headers, **auth})))
        outcomes = []
        for (body, content_type, result), (envelope, _queued_at) in zip(tried, items, strict=False):
            outcome = result if isinstance(result, Outcome) else result.result()
            if outcome.status == 401 and settings.renews_token:
                # A revoked or expired OAuth token: once more with a new one, in this thread.
                outcome = self.post(settings.delivery_path, body, _headers(envelope), content_type)
            outcomes.append(outcome)
        return outcomes

    def _send_batch(self, items):
        """One request for the group; per-message outcomes from the remote's answer."""
        keys = [envelope["idempotency_key"] for envelope, _queued_at in items]
        body, content_type = self.encode_batch([envelope for envelope, _queued_at in items])
        batch_key = "batch-" + uuid.uuid5(uuid.NAMESPACE_URL, ",".join(keys)).hex
        outcome = self.post(
            self.settings.batch_path, body, {"Idempotency-Key": batch_key}, content_type
        )
        return batch_outcomes(keys, outcome, self.missing_error)

    def post(self, path, body, extra_headers, content_type="application/json"):
        """POST body to path, authenticated and rate limited; an Outcome (never raises)."""
        headers = {"Content-Type": content_type, **extra_headers}
        outcome = None
        msg_id = extra_headers.get("Idempotency-Key")
        for force_new in (False, True):
            try:
                auth = self.authenticate(body, force_new, msg_id)
            except AuthError as exc:
                return Outcome(False, category="auth", error=str(exc), permanent=False)
            bucket = self.bucket(self.settings.key, self.settings.rate_limit)
            if bucket:
                bucket.acquire()
            outcome = post(
                self.session, self.url(path), body, {**headers, **auth}, self.settings.timeout
            )
            # A revoked or expired OAuth token: fetch a new one once and try again.
            if not (outcome.status == 401 and self.settings.renews_token and not force_new):
                break
        return outcome

    def get(self, path, headers):
        return get(self.session, self.url(path), headers, self.settings.timeout)


def _headers(envelope):
    return {"Idempotency-Key": envelope["idempotency_key"], "X-Event-Type": envelope["event_type"]}


def batch_outcomes(keys, outcome, missing_error):
    """One Outcome per idempotency key in `keys` from a batch request's `outcome`, whose body
    answers {"results": [{"idempotency_key", "status", "error"}]}; a key the answer does not
    mention fails with `missing_error` (retried).

    >>> body = json.dumps({"results": [{"idempotency_key": "a", "status": 200},
    ...                   {"idempotency_key": "b", "status": 422, "error": "no"}]}).encode()
    >>> [(o.ok, o.category) for o in batch_outcomes(
    ...     ["a", "b", "c"], Outcome(True, status=207, body=body), "?")]
    [(True, None), (False, 'rejected'), (False, 'remote_error')]
    """
    if not outcome.ok:
        return [outcome] * len(keys)
    try:
        answer = json.loads(outcome.body or b"{}")
        by_key = {r["idempotency_key"]: r for r in answer.get("results", [])}
    except (ValueError, TypeError, KeyError, AttributeError):
        by_key = {}
    return [_item_outcome(by_key.get(key), outcome, missing_error) for key in keys]


def _item_outcome(item, outcome, missing_error):
    latency = outcome.latency_ms
    if item is None:
        return Outcome(
            False,
            status=outcome.status,
            category="remote_error",
            error=missing_error,
            latency_ms=latency,
        )
    status = int(item.get("status") or 200)
    if 200 <= status < 300:
        return Outcome(True, status=status, latency_ms=latency)
    text = str(item.get("error") or "")
    category, permanent, error = classify(status, text)
    return Outcome(
        False,
        status=status,
        category=category,
        error=error,
        permanent=permanent,
        latency_ms=latency,
        excerpt=text[:500],
    )
