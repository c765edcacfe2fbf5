"""Slack-like rate limits and fault injection for tests."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

# Requests per minute by Slack's published tiers; chat.postMessage is special (per channel).
TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
METHOD_TIERS = {
    "auth.test": 4,
    "chat.update": 3,
    "chat.delete": 3,
    "chat.postEphemeral": 4,
    "conversations.open": 3,
    "conversations.info": 3,
    "conversations.list": 2,
    "conversations.members": 4,
    "conversations.replies": 3,
    "conversations.history": 3,
    "users.info": 4,
    "users.list": 2,
    "views.open": 4,
    "views.update": 4,
    "views.publish": 4,
    "apps.connections.open": 1,
    "reactions.add": 3,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
}


@dataclass
class Bucket:
    """A token bucket: `burst` requests at once, refilled at `rate` per second."""

    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = field(default_factory=time.monotonic)

    def take(self) -> float:
        """0 if the request may go now, else the seconds until it may."""
        now = time.monotonic()
        if self.tokens < 0:
            self.tokens = self.burst
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class RateLimits:
    """Per-channel posting limit and per-method tier limits, as Slack applies them."""

    post_per_second: float = 1.0
    post_burst: float = 3.0
    tiers_enabled: bool = True
    _buckets: dict[str, Bucket] = field(default_factory=dict)

    def retry_after(self, method: str, channel: str | None) -> int:
        """0 when the call is allowed, else the whole seconds to put in Retry-After."""
        if method == "chat.postMessage":
            if self.post_per_second <= 0:
                return 0
            key, rate, burst = f"post:{channel}", self.post_per_second, self.post_burst
        else:
            tier = METHOD_TIERS.get(method)
            if tier is None or not self.tiers_enabled:
                return 0
            per_minute = TIER_PER_MINUTE[tier]
            key, rate, burst = f"tier:{method}", per_minute / 60, float(per_minute)
        bucket = self._buckets.setdefault(key, Bucket(rate=rate, burst=burst))
        wait = bucket.take()
        return 0 if wait == 0 else max(1, math.ceil(wait))


@dataclass
class Fault:
    kind: str  # "status" | "delay" | "drop"
    remaining: int
    status: int = 500
    seconds: float = 0.0
    error: str = "internal_error"


@dataclass
class Faults:
    """Planned failures: the next N calls of a method fail, stall or lose their connection."""

    planned: dict[str, list[Fault]] = field(default_factory=dict)

    def fail(
        self, method: str, times: int = 1, status: int = 500, error: str = "internal_error"
    ) -> None:
        """The next `times` calls answer HTTP `status` (5xx by default)."""
        self.planned.setdefault(method, []).append(Fault("status", times, status, error=error))

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """The next `times` calls are carried out at once but answered only after `seconds`."""
        self.planned.setdefault(method, []).append(Fault("delay", times, seconds=seconds))

    def drop(self, method: str, times: int = 1) -> None:
        """The next `times` calls have their connection closed without an answer."""
        self.planned.setdefault(method, []).append(Fault("drop", times))

    def clear(self) -> None:
        self.planned.clear()

    def next_for(self, method: str) -> Fault | None:
        """The fault to apply to this call, if any (and count it)."""
        for key in (method, "*"):
            queue = self.planned.get(key, [])
            while queue and queue[0].remaining <= 0:
                queue.pop(0)
            if queue:
                queue[0].remaining -= 1
                return queue[0]
        return None
