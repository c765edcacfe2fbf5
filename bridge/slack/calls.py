"""Slack Web API calls as the deliverer needs them: paced per channel, errors sorted by kind."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bridge.outbox.errors import DeliveryError, Permanent, RateLimited, Transient

# Errors after which the same call may well succeed later.
RETRYABLE = frozenset(
    {
        "ratelimited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
    }
)


@dataclass
class ChannelPacing:
    """Keeps chat.postMessage under Slack's per-channel limit, and honours 429s per channel."""

    per_second: float = 1.0
    burst: float = 3.0
    _tokens: dict[str, float] = field(default_factory=dict)
    _stamp: dict[str, float] = field(default_factory=dict)
    _blocked_until: dict[str, float] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def blocked_for(self, channel: str) -> float:
        return max(0.0, self._blocked_until.get(channel, 0.0) - time.monotonic())

    def block(self, channel: str, seconds: float) -> None:
        self._blocked_until[channel] = time.monotonic() + seconds

    async def wait_turn(self, channel: str) -> None:
        """Sleep until this channel may take one more post."""
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            while True:
                now = time.monotonic()
                blocked = self._blocked_until.get(channel, 0.0) - now
                tokens = min(
                    self.burst,
                    self._tokens.get(channel, self.burst)
                    + (now - self._stamp.get(channel, now)) * self.per_second,
                )
                self._tokens[channel], self._stamp[channel] = tokens, now
                if blocked <= 0 and tokens >= 1:
                    self._tokens[channel] = tokens - 1
                    return
                await asyncio.sleep(max(blocked, (1 - tokens) / self.per_second, 0.01))


class SlackCalls:
    """Calls the Web API through slack_sdk's typed methods, translating failures."""

    def __init__(self, client: AsyncWebClient, pacing: ChannelPacing) -> None:
        self.client = client
        self.pacing = pacing

    async def __call__(self, method: str, **kwargs: Any) -> dict[str, Any]:
        channel = kwargs.get("channel")
        if method == "chat_postMessage" and channel:
            await self.pacing.wait_turn(channel)
        try:
            response = await getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            raise self._sorted(exc, channel) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise Transient(f"{type(exc).__name__}: {exc}") from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    def _sorted(self, exc: SlackApiError, channel: str | None) -> DeliveryError:
        status = exc.response.status_code
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if status == 429:
            retry_after = float(exc.response.headers.get("Retry-After", 1))
            if channel:
                self.pacing.block(channel, retry_after)
            return RateLimited(channel, retry_after)
        if status >= 500 or error in RETRYABLE:
            return Transient(error or f"HTTP {status}")
        return Permanent(error or f"HTTP {status}")
