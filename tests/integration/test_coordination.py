"""Several workers on one database: each sweep runs on exactly one of them per tick."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bridge.core.events import PortalChanged
from portal.limits import CustomerLimits
from portal.workers import PortalChanges, SharedSockets
from storage.uow import Database
from storage.worker_slot import WorkerSlot, WorkerSlotTaken
from tests.unit.test_rate_limits import redis_answers


async def test_one_worker_holds_a_sweep_and_another_takes_over_when_it_is_done(
    database_url: str, backend: str
) -> None:
    first, second = Database.from_url(database_url), Database.from_url(database_url)
    try:
        async with first.exclusive("sweep: abandoned waits") as mine:
            assert mine
            async with second.exclusive("sweep: abandoned waits") as theirs:
                # SQLite serves one process, which always holds it; PostgreSQL says no.
                assert theirs is (backend == "sqlite")
            async with second.exclusive("sweep: code expiry") as other_sweep:
                assert other_sweep  # a different sweep is free
        async with second.exclusive("sweep: abandoned waits") as now_theirs:
            assert now_theirs
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_failing_sweep_still_lets_go(database_url: str) -> None:
    first, second = Database.from_url(database_url), Database.from_url(database_url)
    try:
        with pytest.raises(RuntimeError):
            async with first.exclusive("sweep: unseen replies"):
                raise RuntimeError("the sweep failed")
        async with asyncio.timeout(5), second.exclusive("sweep: unseen replies") as mine:
            assert mine
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_second_process_on_the_same_sqlite_file_is_refused(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'casebridge.db'}"
    first, second = Database.from_url(url), Database.from_url(url)
    serving, other = WorkerSlot(), WorkerSlot()
    try:
        await serving.acquire(first, shares_state=False)
        with pytest.raises(WorkerSlotTaken, match="SQLite serves one process"):
            await other.acquire(second, shares_state=True)
        await serving.release()
        await other.acquire(second, shares_state=False)  # free again once the first stopped
        await other.release()
    finally:
        await first.dispose()
        await second.dispose()


async def test_workers_sharing_a_redis_count_one_customers_openings_together() -> None:
    if not redis_answers():
        pytest.skip("no Redis at 127.0.0.1:6379")
    redis_url = "redis://127.0.0.1:6379/15"
    worker_a, worker_b = CustomerLimits(redis_url), CustomerLimits(redis_url)
    address = f"203.0.113.7-{uuid.uuid4().hex[:8]}"
    try:
        allowed = [await (worker_a if n % 2 else worker_b).opening(address) == 0 for n in range(12)]
    finally:
        await worker_a.limiter.aclose()
        await worker_b.limiter.aclose()
    assert allowed.count(True) == 10  # the same ten as one worker allows, not twenty


async def test_two_tabs_on_two_workers_and_a_worker_that_dies() -> None:
    if not redis_answers():
        pytest.skip("no Redis at 127.0.0.1:6379")
    gone: list[int] = []

    async def record(cases: list[int]) -> None:
        gone.extend(cases)

    worker_a = SharedSockets("redis://127.0.0.1:6379/15", record)
    worker_b = SharedSockets("redis://127.0.0.1:6379/15", record)
    case = 10_000_000 + uuid.uuid4().int % 10_000_000  # no other run's case
    try:
        await worker_a.redis.set(worker_a._beat_key(worker_a.worker), "1", ex=15)
        await worker_b.redis.set(worker_b._beat_key(worker_b.worker), "1", ex=15)
        await worker_a.add(case, "tab-1")
        await worker_b.add(case, "tab-2")
        # The customer closes the tab on worker A: the one on worker B still counts.
        assert await worker_a.remove(case, "tab-1") == 1
        # Worker B is killed with -9: it stops beating, and worker A reaps its socket.
        await worker_b.redis.delete(worker_b._beat_key(worker_b.worker))
        assert case in await worker_a.reap()
        assert await worker_a.remove(case, "never-there") == 0
    finally:
        await worker_a.redis.delete(worker_a._key(case), worker_a._beat_key(worker_a.worker))
        await worker_a.redis.aclose()
        await worker_b.redis.aclose()


async def test_a_portal_change_on_one_worker_reaches_every_workers_cache_at_once() -> None:
    if not redis_answers():
        pytest.skip("no Redis at 127.0.0.1:6379")
    reloaded: asyncio.Queue[str] = asyncio.Queue()

    def reload(name: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            reloaded.put_nowait(name)

        return run

    url = "redis://127.0.0.1:6379/15"
    worker_a, worker_b = PortalChanges(url, reload("a")), PortalChanges(url, reload("b"))
    listening = [asyncio.create_task(w.listen()) for w in (worker_a, worker_b)]
    try:
        # Each reloads once on subscribing (anything said while it was away)…
        assert sorted([await reloaded.get(), await reloaded.get()]) == ["a", "b"]
        # …and both reload when an admin changes a portal on worker A.
        await worker_a.on_events([PortalChanged(1, "acme", "origins")])
        got = [await asyncio.wait_for(reloaded.get(), 5) for _ in range(2)]
        assert sorted(got) == ["a", "b"]
    finally:
        for task in listening:
            task.cancel()
        await asyncio.gather(*listening, return_exceptions=True)
        await worker_a.redis.aclose()
        await worker_b.redis.aclose()
