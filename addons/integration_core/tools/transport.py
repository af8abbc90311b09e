"""HTTP delivery of one request and the classification of what came back.

Everything a queue needs to decide retry or dead letter, in business words: the category
(auth, rate limited, remote error, timeout, network, rejected), the status, the Retry-After
the remote asked for, an excerpt of its answer and the latency.
"""

import time
from dataclasses import dataclass

import requests

from .backoff import parse_retry_after

EXCERPT = 500


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
        )
    return _outcome(response, start)


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
