"""Abuse limits for customer traffic: token buckets per socket, case, client and recipient.

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

    def forget(self, key: str) -> None:
        """Drop a key's bucket (its owner is gone for good)."""
        self._buckets.pop(key, None)

    def _forget_idle(self, now: float) -> None:
        full = self.burst / self.rate
        self._buckets = {k: b for k, b in self._buckets.items() if now - b.stamp < full}


DAY = 24 * 3600.0


@dataclass
class CustomerLimits:
    """Every customer action has a bound, checked in memory before any database work."""

    per_case: RateLimiter = field(default_factory=lambda: RateLimiter(rate=1.0, burst=8))
    per_address: RateLimiter = field(default_factory=lambda: RateLimiter(rate=3.0, burst=30))
    openings: RateLimiter = field(default_factory=lambda: RateLimiter(rate=0.2, burst=10))
    # Any event from one socket, whatever it is: the cheap guard in front of everything else.
    per_socket: RateLimiter = field(default_factory=lambda: RateLimiter(rate=20.0, burst=60))
    connects: RateLimiter = field(default_factory=lambda: RateLimiter(rate=2.0, burst=30))
    hellos: RateLimiter = field(default_factory=lambda: RateLimiter(rate=2.0, burst=10))
    case_actions: RateLimiter = field(default_factory=lambda: RateLimiter(rate=0.5, burst=5))
    # Support-request confirmations go to whatever address was typed in: a few a day each.
    confirmations: RateLimiter = field(default_factory=lambda: RateLimiter(rate=5 / DAY, burst=5))

    def message(self, case_id: int, address: str) -> float:
        """Seconds to wait before this message may go (0: it may)."""
        return max(self.per_case.check(str(case_id)), self.per_address.check(address))

    def socket_event(self, sid: str) -> float:
        """Seconds to wait before this socket may send any event."""
        return self.per_socket.check(sid)

    def forget_socket(self, sid: str) -> None:
        """The socket is gone; its bucket with it."""
        self.per_socket.forget(sid)

    def hello(self, case_id: int) -> float:
        """Seconds to wait before this case's page may reload the whole chat."""
        return self.hellos.check(str(case_id))

    def case_action(self, case_id: int) -> float:
        """Seconds to wait before this case may stop waiting or end again."""
        return self.case_actions.check(str(case_id))

    def confirmation(self, email: str) -> float:
        """Seconds to wait before another support-request confirmation may go to `email`."""
        return self.confirmations.check(email.strip().lower())
