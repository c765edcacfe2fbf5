"""Rate limits on the `limits` library: moving windows kept in memory, or in Redis to share them.

One process keeps its limits in its own memory (the default, `memory://`); several workers
share theirs by naming the same Redis (`redis://host:6379/0`). A limit is written as the
library parses it: "8 per 8 seconds", "10/minute".
"""

from __future__ import annotations

import math
import time
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool

SCHEMES = ("memory", "redis", "rediss")


def limit(text: str) -> RateLimitItem:
    """The limit named by `text`, e.g. "3 per 3 seconds"."""
    return parse(text)


def open_storage(uri: str = "memory://") -> tuple[Storage, ConnectionPool | None]:
    """The async storage a `memory://` or `redis://…` URI names, and its Redis connections."""
    scheme = uri.split("://", 1)[0]
    if scheme not in SCHEMES:
        raise ValueError(f"rate limit storage must be memory:// or redis://…, not {uri!r}")
    if scheme == "memory":
        return MemoryStorage(), None
    # Our own pool (redis-py, as python-socketio's Redis manager uses), so we can close it.
    pool = ConnectionPool.from_url(uri)
    # limits types its options as scalars; a pool is one of the options it documents.
    options: dict[str, Any] = {"connection_pool": pool}
    return RedisStorage(f"async+{uri}", implementation="redispy", **options), pool


class Limiter:
    """Counts hits against limits per key; tells how long to wait when one is over."""

    def __init__(self, storage_uri: str = "memory://") -> None:
        self.storage, self._pool = open_storage(storage_uri)
        self._window = MovingWindowRateLimiter(self.storage)

    async def wait(self, over: RateLimitItem, *key: str) -> float:
        """0 when one more hit fits (and is counted), else the seconds until it would."""
        if await self._window.hit(over, *key):
            return 0.0
        stats = await self._window.get_window_stats(over, *key)
        return max(stats.reset_time - time.time(), 0.01)

    async def wait_all(self, *checks: tuple[RateLimitItem, tuple[str, ...]]) -> float:
        """Like `wait` for several limits at once: one hit is counted against each only when
        all have room, so an action refused by one limit spends nothing of the others."""
        for over, key in checks:
            if not await self._window.test(over, *key):
                stats = await self._window.get_window_stats(over, *key)
                return max(stats.reset_time - time.time(), 0.01)
        waits = [await self.wait(over, *key) for over, key in checks]
        return max(waits, default=0.0)

    async def clear(self, over: RateLimitItem, *key: str) -> None:
        """Forget the hits counted against `over` for `key`."""
        await self._window.clear(over, *key)

    async def block(self, seconds: float, *key: str) -> None:
        """Hold `key` back for `seconds` (whole seconds, as Retry-After gives them)."""
        name = self._block_key(key)
        await self.storage.clear(name)
        await self.storage.incr(name, max(1, math.ceil(seconds)))

    async def blocked_for(self, *key: str) -> float:
        """Seconds left of a block on `key` (0 when there is none)."""
        name = self._block_key(key)
        if not await self.storage.get(name):
            return 0.0
        # Redis tells the expiry in whole seconds: a block still there has a moment left.
        return max(await self.storage.get_expiry(name) - time.time(), 0.05)

    async def aclose(self) -> None:
        """Close the Redis connections, if any."""
        if self._pool is not None:
            await self._pool.aclose()

    @staticmethod
    def _block_key(key: tuple[str, ...]) -> str:
        return "blocked/" + "/".join(key)
