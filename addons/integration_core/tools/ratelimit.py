"""Token buckets: at most `rate` requests per second on average, bursts up to `burst`: in one
process (TokenBucket), or shared by every process through the database (take, SharedBucket)."""

import threading
import time


class TokenBucket:
    def __init__(self, rate, burst=None, clock=time.monotonic, sleep=time.sleep):
        self.rate = float(rate)
        self.capacity = float(burst or max(1.0, rate))
        self.tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def _refill(self):
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._last) * self.rate)
        self._last = now

    def acquire(self):
        """Take one token, sleeping as long as needed; returns the seconds slept."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            self._refill()
            wait = 0.0
            if self.tokens < 1:
                wait = (1 - self.tokens) / self.rate
                self._sleep(wait)
                self._refill()
            self.tokens -= 1
            return wait

    def pause(self, seconds):
        """The remote asked us to slow down (429 Retry-After): empty the bucket for that long."""
        with self._lock:
            self._refill()
            self.tokens = min(self.tokens, -seconds * self.rate)


# ---------------------------------------------------------------- shared by every process

BUCKET_TABLE = """
    CREATE TABLE IF NOT EXISTS integration_rate_bucket (
        connector_id integer PRIMARY KEY,
        tokens double precision NOT NULL,
        updated_at timestamp with time zone NOT NULL
    )
"""


def take(tokens, elapsed, rate, burst, count=1):
    """(tokens left, seconds to wait) after taking `count` tokens from a bucket that held
    `tokens` `elapsed` seconds ago, refilled at `rate` per second up to `burst`. The tokens
    may go below zero: they are then owed, and the taker waits until they are refilled,
    so that takers from any number of processes line up behind each other.

    >>> take(5.0, 0.0, 10.0, 10.0)
    (4.0, 0.0)
    >>> take(0.0, 0.0, 10.0, 10.0)
    (-1.0, 0.1)
    >>> take(-1.0, 0.5, 10.0, 10.0, count=2)
    (2.0, 0.0)
    """
    tokens = min(float(burst), tokens + elapsed * rate) - count
    return tokens, max(0.0, -tokens / rate)


def take_statement(connector_id, rate, burst, count=1):
    """take() as one statement on the connector's row of integration_rate_bucket (created
    full on first use): returns the seconds to wait. The row is locked only for the
    statement; run it in its own short transaction."""
    return (
        """
        INSERT INTO integration_rate_bucket AS b (connector_id, tokens, updated_at)
        VALUES (%(id)s, %(burst)s - %(count)s, clock_timestamp())
        ON CONFLICT (connector_id) DO UPDATE
           SET tokens = LEAST(%(burst)s, b.tokens + %(rate)s *
                              EXTRACT(EPOCH FROM clock_timestamp() - b.updated_at))
                        - %(count)s,
               updated_at = clock_timestamp()
     RETURNING GREATEST(0.0, -tokens / %(rate)s)
        """,
        {"id": connector_id, "rate": float(rate), "burst": float(burst), "count": count},
    )


class SharedBucket:
    """A token bucket whose state lives in the database, one per connector for every
    process and node: `take(count)` runs take_statement() and returns the seconds to wait
    (e.g. on a short transaction of its own); acquire() waits them."""

    def __init__(self, take, sleep=time.sleep):
        self._take = take
        self._sleep = sleep

    def acquire(self, count=1):
        wait = self._take(count)
        if wait > 0:
            self._sleep(wait)
        return wait
