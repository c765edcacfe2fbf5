"""Slack-like rate limits: per-channel posting and per-method tiers."""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerMinute, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

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
    "reactions.remove": 2,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
}


class RateLimits:
    """Per-channel posting limit and per-method tier limits, as Slack applies them.

    Moving windows of the `limits` library, kept in memory.
    """

    def __init__(
        self,
        channel_posts: str | None = "3 per 3 seconds",
        tiers_enabled: bool = True,
    ) -> None:
        self.tiers_enabled = tiers_enabled
        self.channel_posts(channel_posts)
        self._window = MovingWindowRateLimiter(MemoryStorage())

    def channel_posts(self, allowed: str | None) -> None:
        """How many chat.postMessage calls one channel takes, e.g. "1 per second" (None: any)."""
        self._posts = parse(allowed) if allowed else None

    async def retry_after(self, method: str, channel: str | None) -> int:
        """0 when the call is allowed, else the whole seconds to put in Retry-After."""
        if method == "chat.postMessage":
            if self._posts is None:
                return 0
            over, key = self._posts, ("post", str(channel))
        else:
            tier = METHOD_TIERS.get(method)
            if tier is None or not self.tiers_enabled:
                return 0
            over, key = RateLimitItemPerMinute(TIER_PER_MINUTE[tier]), ("tier", method)
        if await self._window.hit(over, *key):
            return 0
        stats = await self._window.get_window_stats(over, *key)
        return max(1, math.ceil(stats.reset_time - time.time()))
