"""Slack Web API calls as the deliverer needs them: paced per channel, errors sorted by kind."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bridge.outbox.errors import DeliveryError, Parked, Permanent, RateLimited, Transient
from bridge.outbox.parks import WORKSPACE, ParkBoard, channel_scope
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


# Errors an admin can fix: the lane they stop is parked until then (never failed).
CHANNEL_PARKING = {
    "not_in_channel": "Invite the bot to {where} (type /invite @casebridge there).",
    "channel_not_found": "{where} is gone or private to the bot: invite the bot there, or "
    "point the portal at another channel with /casebridge portal channel.",
    "is_archived": "{where} is archived: un-archive it, or point the portal at another "
    "channel with /casebridge portal channel.",
}
log = logging.getLogger(__name__)
WORKSPACE_PARKING = {
    "token_revoked": "The bot token was revoked: reinstall the app and set SLACK_BOT_TOKEN.",
    "invalid_auth": "SLACK_BOT_TOKEN is not valid: reinstall the app and set the new token.",
    "not_authed": "No bot token reached Slack: set SLACK_BOT_TOKEN.",
    "account_inactive": "The app's bot user was deactivated: reinstall the app and set "
    "SLACK_BOT_TOKEN.",
    "token_expired": "The bot token expired: reinstall the app and set SLACK_BOT_TOKEN.",
    "missing_scope": "The app lacks the {needed} scope: add it in the app's settings "
    "(see app_manifest.yml) and reinstall.",
}
# A deletion in a channel that is gone has nothing left to delete: not worth parking for.
NOTHING_TO_UNDO = frozenset({("chat_delete", "channel_not_found")})
# Failures after which the call may nonetheless have been carried out.
IN_DOUBT = frozenset({"internal_error", "fatal_error", "request_timeout"})


class SlackCalls:
    """Calls the Web API through slack_sdk's typed methods, translating failures.

    Calls into a parked lane stop here, before Slack; a 429 blocks the channel (for posts) or
    the method (for the rest) for its Retry-After, so the lanes behind it wait without calling.
    """

    def __init__(
        self, client: AsyncWebClient, pacing: ChannelPacing, board: ParkBoard | None = None
    ) -> None:
        self.client = client
        self.pacing = pacing
        self.board = board or ParkBoard()
        self._method_blocked: dict[str, float] = {}
        self._turns: dict[str, asyncio.Lock] = {}
        # Told each channel the bot joined by itself: it heard nothing from there before.
        self.joined_listeners: list[Callable[[str], Awaitable[None]]] = []

    async def __call__(self, method: str, **kwargs: Any) -> dict[str, Any]:
        channel = kwargs.get("channel")
        scopes = [WORKSPACE, channel_scope(channel)] if channel else [WORKSPACE]
        self.board.check(scopes)
        blocked = self._method_blocked.get(method, 0.0) - time.monotonic()
        if blocked > 0:
            raise RateLimited(None, blocked)
        if method == "chat_postMessage" and channel:
            # One waiter per channel in this process: the rest queue behind it in order
            # instead of all polling the limiter.
            async with self._turns.setdefault(channel, asyncio.Lock()):
                await self.pacing.wait_turn(channel)
            self.board.check(scopes)  # parked while this call waited its turn
        try:
            response = await self._send(method, channel, kwargs)
        except SlackApiError as exc:
            raise await self._sorted(exc, method, channel) from None
        except aiohttp.ClientConnectorError as exc:  # never reached Slack
            raise Transient(f"{type(exc).__name__}: {exc}", maybe_done=False) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise Transient(f"{type(exc).__name__}: {exc}") from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def _send(self, method: str, channel: str | None, kwargs: dict[str, Any]) -> Any:
        """The call itself; a post refused with not_in_channel is made once more after the
        bot joins the channel itself (public channels; a private one still needs an invite)."""
        try:
            return await getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            if method != "chat_postMessage" or not channel or data.get("error") != "not_in_channel":
                raise
            try:
                await self.client.conversations_join(channel=channel)
            except SlackApiError:
                raise exc from None
            log.info("joined %s, where a post was refused with not_in_channel", channel)
            for listener in self.joined_listeners:
                await listener(channel)
            return await getattr(self.client, method)(**kwargs)

    async def _sorted(self, exc: SlackApiError, method: str, channel: str | None) -> DeliveryError:
        status = exc.response.status_code
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        error = data.get("error")
        if status == 429 or error == "ratelimited":
            retry_after = float(exc.response.headers.get("Retry-After", 1))
            if method == "chat_postMessage" and channel:
                await self.pacing.block(channel, retry_after)
            else:
                self._method_blocked[method] = time.monotonic() + retry_after
            return RateLimited(channel, retry_after)
        if error in WORKSPACE_PARKING:
            needed = str(data.get("needed") or "needed")
            return Parked(WORKSPACE, error, WORKSPACE_PARKING[error].format(needed=needed))
        if error in CHANNEL_PARKING and channel and (method, error) not in NOTHING_TO_UNDO:
            fix = CHANNEL_PARKING[error].format(where=f"<#{channel}>")
            return Parked(channel_scope(channel), error, fix)
        if status >= 500 or error in RETRYABLE:
            return Transient(
                error or f"HTTP {status}", maybe_done=error in IN_DOUBT or status in (500, 504)
            )
        return Permanent(error or f"HTTP {status}")
