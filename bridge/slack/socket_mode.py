"""Socket Mode that never holds the web server up and never acks what it did not store.

The connection is made in the background (the portal serves customers meanwhile), retried with
exponential back-off (apps.connections.open is Tier 1: about one call a minute; slack_sdk
itself honours Retry-After on its 429), and every reconnection after the first is reported as
a gap, so the thread catch-up can look for what Slack sent while we were away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Coroutine
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_client import AsyncWebClient

from bridge.slack.inbox import SlackInbox

log = logging.getLogger(__name__)


class DurableSocketModeHandler(AsyncSocketModeHandler):
    """bolt's Socket Mode handler with the inbox in front: stored first, then acked."""

    def __init__(
        self, app: AsyncApp, app_token: str, inbox: SlackInbox, web_client: AsyncWebClient
    ) -> None:
        super().__init__(app, app_token, web_client=web_client)
        self.inbox = inbox

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        start = time.time()
        request = AsyncBoltRequest(mode="socket_mode", body=req.payload, headers=build_headers(req))
        response = await self.inbox.handle(request)
        # Not stored (503): no ack, so Slack sends the envelope again.
        await send_async_response(client, req, response, start)


class SocketModeLink:
    """Connects in the background, keeps trying, and tells whether it is up."""

    def __init__(
        self,
        handler: DurableSocketModeHandler,
        on_gap: Callable[[], Coroutine[Any, Any, None]],
        first_delay: float = 2.0,
        max_delay: float = 120.0,
    ) -> None:
        self.handler = handler
        self.on_gap = on_gap
        self.first_delay, self.max_delay = first_delay, max_delay
        self.hellos = 0
        self.state = "connecting"
        self._task: asyncio.Task[None] | None = None
        handler.client.message_listeners.append(self._on_message)

    async def _on_message(self, _client: Any, message: dict[str, Any], _raw: str | None) -> None:
        if message.get("type") != "hello":
            return
        self.hellos += 1
        self.state = "connected"
        if self.hellos > 1:  # a reconnection: Slack may have given up on some events meanwhile
            log.info("Socket Mode reconnected; catching up with Slack")
            asyncio.get_running_loop().create_task(self.on_gap())

    async def connected(self) -> bool:
        return self.state == "connected" and await self.handler.client.is_connected()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._connect(), name="socket-mode")

    async def _connect(self) -> None:
        delay = self.first_delay
        while True:
            try:
                await self.handler.connect_async()  # type: ignore[no-untyped-call]
                log.info("connected to Slack in Socket Mode")
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.state = "retrying"
                wait = delay + random.uniform(0, delay / 4)
                log.warning("Socket Mode could not connect (%s); next try in %.0f s", exc, wait)
                await asyncio.sleep(wait)
                delay = min(delay * 2, self.max_delay)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self.handler.close_async()  # type: ignore[no-untyped-call]
        self.state = "closed"
