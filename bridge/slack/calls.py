"""Slack Web API calls as the deliverer needs them: paced per channel, errors sorted by kind."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bridge.outbox.errors import DeliveryError, Permanent, RateLimited, Transient
from bridge.rate_limits import Limiter, limit

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


class ChannelPacing:
    """Keeps chat.postMessage under Slack's per-channel limit, and honours 429s per channel."""

    def __init__(self, posts: str = "3 per 3 seconds", storage_uri: str = "memory://") -> None:
        self.posts = limit(posts)
        self.limiter = Limiter(storage_uri)

    async def block(self, channel: str, seconds: float) -> None:
        """Slack said to wait: no post to this channel for `seconds`."""
        await self.limiter.block(seconds, "slack-channel", channel)

    async def wait_turn(self, channel: str) -> None:
        """Sleep until this channel may take one more post."""
        while True:
            wait = await self.limiter.blocked_for("slack-channel", channel)
            if wait <= 0:
                wait = await self.limiter.wait(self.posts, "slack-channel", channel)
                if wait <= 0:
                    return
            await asyncio.sleep(wait)


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
            raise await self._sorted(exc, channel) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise Transient(f"{type(exc).__name__}: {exc}") from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def _sorted(self, exc: SlackApiError, channel: str | None) -> DeliveryError:
        status = exc.response.status_code
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if status == 429:
            retry_after = float(exc.response.headers.get("Retry-After", 1))
            if channel:
                await self.pacing.block(channel, retry_after)
            return RateLimited(channel, retry_after)
        if status >= 500 or error in RETRYABLE:
            return Transient(error or f"HTTP {status}")
        return Permanent(error or f"HTTP {status}")
