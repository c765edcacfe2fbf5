"""One workspace, one authorisation: auth.test once, cached, retried politely.

bolt's own single-workspace authorisation calls auth.test on the first request and caches it,
but every request that arrives before the first answer calls it again: a burst of events after
a (re)connect meets auth.test's tier limit and bolt drops the events it could not authorise.
Here one call is made (at start, and again only until one succeeds) and everyone waits for it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class CachedAuthorization:
    """bolt's `authorize` for a single workspace: the auth.test result, fetched once."""

    def __init__(
        self,
        client: AsyncWebClient,
        on_authorized: Callable[[], None] | None = None,
        patience: float = 10.0,
    ) -> None:
        self.client = client
        self.on_authorized = on_authorized  # told each time a request is authorised
        self.patience = patience  # how long one request waits for Slack before giving up
        self.result: AuthorizeResult | None = None
        self._lock = asyncio.Lock()

    async def authorize(self) -> AuthorizeResult:
        """What bolt calls for every request (it passes no arguments we need)."""
        result = self.result
        if result is None:
            result = await asyncio.wait_for(self.warm(), self.patience)
        if self.on_authorized is not None:
            self.on_authorized()
        return result

    def for_bolt(self) -> Callable[[], Coroutine[Any, Any, AuthorizeResult]]:
        """A plain function for AsyncApp(authorize=…) (bolt reads its argument names)."""

        async def authorize() -> AuthorizeResult:
            return await self.authorize()

        return authorize

    def is_own_event(self, body: dict[str, Any]) -> bool:
        """An event our own bot caused (bolt ignores these too), once we know who we are."""
        result, event = self.result, body.get("event")
        if result is None or not isinstance(event, dict):
            return False
        if event.get("type") in ("member_joined_channel", "member_left_channel"):
            return False  # bolt keeps these: the bot joining a channel is news
        # An edit or deletion of our own post names us inside the message it carries.
        inner = event.get("message") or event.get("previous_message")
        for said in (event, inner if event.get("subtype") and isinstance(inner, dict) else {}):
            bot_id, user = said.get("bot_id"), said.get("user")
            if (bot_id and bot_id == result.bot_id) or (user and user == result.bot_user_id):
                return True
        return False

    async def warm(self) -> AuthorizeResult:
        """Call auth.test until it answers, honouring Retry-After; once for everybody."""
        async with self._lock:
            delay = 1.0
            while True:
                if self.result is not None:
                    return self.result
                try:
                    response = await self.client.auth_test()
                except SlackApiError as exc:
                    status = exc.response.status_code
                    if status == 429:
                        wait = float(exc.response.headers.get("Retry-After", 1))
                    elif status >= 500:
                        wait = delay
                    else:
                        raise  # invalid_auth and the like: waiting will not fix it
                except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                    log.info("auth.test did not answer (%s); trying again", exc)
                    wait = delay
                else:
                    self.result = AuthorizeResult.from_auth_test_response(
                        auth_test_response=response, bot_token=self.client.token
                    )
                    continue
                delay = min(delay * 2, 30.0)
                await asyncio.sleep(wait + random.uniform(0, 0.25))
