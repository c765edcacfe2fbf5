"""Abuse limits for customer traffic: token buckets per case and per client address.

Kept in process memory on purpose: a limit is a short-lived guard, not state worth a database
round trip per message; with several workers each enforces its own share.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Bucket:
    rate: float  # tokens per second
    burst: float
    tokens: float
    stamp: float

    def take(self, now: float) -> float:
        """0 when a token was taken, else seconds until one will be free."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class RateLimiter:
    """`check(key)` → 0 if allowed, else the seconds to wait. Forgets idle keys."""

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, Bucket] = field(default_factory=dict)

    def check(self, key: str) -> float:
        now = self.clock()
        if len(self._buckets) > 10_000:
            self._forget_idle(now)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(self.rate, self.burst, self.burst, now)
        return bucket.take(now)

    def _forget_idle(self, now: float) -> None:
        full = self.burst / self.rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.stamp < full}


@dataclass
class CustomerLimits:
    """Messages per case and per address; case openings per address."""

    per_case: RateLimiter = field(default_factory=lambda: RateLimiter(rate=1.0, burst=8))
    per_address: RateLimiter = field(default_factory=lambda: RateLimiter(rate=3.0, burst=30))
    openings: RateLimiter = field(default_factory=lambda: RateLimiter(rate=0.2, burst=10))

    def message(self, case_id: int, address: str) -> float:
        """Seconds to wait before this message may go (0: it may)."""
        return max(self.per_case.check(str(case_id)), self.per_address.check(address))
