"""Retry timing: exponential backoff with full jitter, and Retry-After parsing."""

import random
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime


def retry_delay(attempt, base=10.0, cap=3600.0, rng=random.random):
    """Seconds to wait before attempt number `attempt` + 1 (attempt >= 1).

    Half fixed, half jitter of an exponential step: retries of many messages spread out
    instead of hammering the remote at the same instant, yet never come back too early.
    """
    step = min(cap, base * (2 ** max(0, attempt - 1)))
    return step / 2 + rng() * step / 2


def retry_at(now, attempt, base, retry_after=None, rng=random.random):
    """When attempt number `attempt` + 1 is due: after retry_delay(), or after the remote's
    Retry-After (seconds) when it asked for longer. The queue's one retry timing."""
    delay = retry_delay(attempt, base=base, rng=rng)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return now + timedelta(seconds=delay)


def pause_seconds(retry_afters):
    """How long a connector pauses after rate-limited answers with these Retry-After values
    (None: not given): the longest asked, at least one second for those without one.

    >>> pause_seconds([None, 30.0]), pause_seconds([None])
    (30.0, 1.0)
    """
    return max(r or 1.0 for r in retry_afters)


def parse_retry_after(value, now=None):
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None if unusable."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())
