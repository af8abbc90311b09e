"""Token bucket: at most `rate` requests per second on average, bursts up to `burst`."""

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
