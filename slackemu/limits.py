"""Slack-like rate limits: per-channel posting and per-method tiers."""

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
