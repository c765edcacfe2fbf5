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
import uuid
from collections import Counter
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


class LocalSockets:
    """One process: the customers' open sockets, counted in its memory."""

    shared = False

    def __init__(self) -> None:
        self.counts: Counter[int] = Counter()

    async def add(self, case_id: int, sid: str) -> None:
        """A socket of the case opened here."""
        self.counts[case_id] += 1

    async def remove(self, case_id: int, sid: str) -> int:
        """A socket of the case closed here; how many remain open anywhere."""
        self.counts[case_id] -= 1
        remaining = self.counts[case_id]
        if remaining <= 0:
            del self.counts[case_id]
        return max(remaining, 0)


class SharedSockets(LocalSockets):
    """Several workers: every customer socket is registered in Redis under its worker, and
    each worker keeps a heartbeat. A tab closing on one worker while another tab of the
    same customer is open on another does not make the customer "gone"; a worker killed with
    -9 stops beating, and its sockets are reaped by the others (the customer is gone from
    then, so the grace period starts)."""

    shared = True
    BEAT_SECONDS = 5.0
    ALIVE_SECONDS = 15

    def __init__(self, redis_url: str, on_orphans: Callable[[list[int]], Awaitable[None]]) -> None:
        super().__init__()
        self.redis = aioredis.from_url(redis_url, **REDIS_OPTIONS)
        self.worker = uuid.uuid4().hex
        self.on_orphans = on_orphans

    @staticmethod
    def _key(case_id: int) -> str:
        return f"casebridge:sockets:{case_id}"

    @staticmethod
    def _beat_key(worker: str) -> str:
        return f"casebridge:worker:{worker}"

    async def add(self, case_id: int, sid: str) -> None:
        await self.redis.sadd(self._key(case_id), f"{self.worker}:{sid}")

    async def remove(self, case_id: int, sid: str) -> int:
        await self.redis.srem(self._key(case_id), f"{self.worker}:{sid}")
        live, _dead = await self._members(case_id)
        return len(live)

    async def _members(self, case_id: int) -> tuple[list[str], list[str]]:
        members = [
            m.decode() if isinstance(m, bytes) else str(m)
            for m in await self.redis.smembers(self._key(case_id))
        ]
        workers = sorted({m.split(":", 1)[0] for m in members})
        alive = {
            w for w in workers if w == self.worker or await self.redis.exists(self._beat_key(w))
        }
        live = [m for m in members if m.split(":", 1)[0] in alive]
        return live, [m for m in members if m not in live]

    async def reap(self) -> list[int]:
        """Forget the sockets of workers that stopped beating; the cases left with none."""
        orphans: list[int] = []
        async for key in self.redis.scan_iter(match="casebridge:sockets:*", count=500):
            name = key.decode() if isinstance(key, bytes) else str(key)
            case_id = int(name.rsplit(":", 1)[1])
            live, dead = await self._members(case_id)
            if dead:
                await self.redis.srem(self._key(case_id), *dead)
                if not live:
                    orphans.append(case_id)
        return orphans

    async def beat(self) -> None:
        """Say this worker is alive, and reap dead workers' sockets, until cancelled."""
        while True:
            try:
                await self.redis.set(self._beat_key(self.worker), "1", ex=self.ALIVE_SECONDS)
                orphans = await self.reap()
                if orphans:
                    await self.on_orphans(orphans)
            except asyncio.CancelledError:
                raise
            except Exception as trouble:
                log.warning("presence: Redis unavailable (%s); retrying", trouble)
            await asyncio.sleep(self.BEAT_SECONDS)

    def lifecycle(self) -> Callable[[web.Application], AsyncIterator[None]]:
        """For `app.cleanup_ctx`: beat while the application runs; leave cleanly."""

        async def run(_app: web.Application) -> AsyncIterator[None]:
            task = asyncio.create_task(self.beat(), name="presence-heartbeat")
            yield
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            with contextlib.suppress(Exception):
                await self.redis.delete(self._beat_key(self.worker))
            await self.redis.aclose()

        return run
