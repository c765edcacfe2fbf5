"""What the portal shares with the installation's other workers, through Redis (REDIS_URL).

Pushes go through python-socketio's Redis client manager, so an agent's reply reaches a
customer whose socket is on another worker. Redis pub/sub drops what is published while a
worker is disconnected from it; the page re-syncs with `hello` whenever its socket
reconnects, and every push carries the message id, so a gap is filled from the database.
Portal setting changes are announced on a channel of their own, so every worker's cache of
allowed origins follows at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import socketio
from aiohttp import web
from redis import asyncio as aioredis

from bridge.core.events import Event, PortalChanged, PortalCreated

log = logging.getLogger(__name__)
CHANGES = "casebridge:portal-changes"
# Without a keepalive an idle pub/sub connection can die silently behind a NAT or proxy; a
# read timeout would instead make the listener reconnect in a loop when nothing is said.
REDIS_OPTIONS: dict[str, Any] = {"socket_keepalive": True, "health_check_interval": 30}


def socket_manager(redis_url: str | None) -> socketio.AsyncManager | None:
    """The Redis client manager when the installation has several workers, else None."""
    if redis_url is None:
        return None
    return socketio.AsyncRedisManager(
        redis_url, channel="casebridge:socketio", redis_options=REDIS_OPTIONS
    )


class PortalChanges:
    """Announces this worker's portal changes and hears the other workers'."""

    def __init__(self, redis_url: str, on_change: Callable[[], Awaitable[None]]) -> None:
        self.redis = aioredis.from_url(redis_url, **REDIS_OPTIONS)
        self.on_change = on_change

    async def on_events(self, events: Sequence[Event]) -> None:
        """After-commit handler: tell every worker (this one included) to reload."""
        if any(isinstance(e, PortalChanged | PortalCreated) for e in events):
            await self.redis.publish(CHANGES, "changed")

    async def listen(self) -> None:
        """Reload on every announcement; reconnect (and reload, in case one was missed)."""
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANGES)
                    await self.on_change()  # anything said while we were away
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            await self.on_change()
            except asyncio.CancelledError:
                raise
            except Exception as trouble:
                log.warning("portal changes: Redis unavailable (%s); retrying", trouble)
                await asyncio.sleep(1)

    def lifecycle(self) -> Callable[[web.Application], AsyncIterator[None]]:
        """For `app.cleanup_ctx`: listen while the application runs."""

        async def run(_app: web.Application) -> AsyncIterator[None]:
            task = asyncio.create_task(self.listen(), name="portal-changes")
            yield
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.redis.aclose()

        return run
