"""Readers never queue behind the writer (SQLite's one write lock); settings size the pool."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from sqlalchemy import text

from bridge.bootstrap import bootstrap
from bridge.core.events import Event
from bridge.core.routing import Mode
from bridge.services import portals as portal_services
from bridge.services.context import EventBus, ServiceContext
from bridge.settings import Settings
from storage.engine import PoolSize
from storage.uow import Database


async def test_a_page_reads_while_an_agent_s_change_is_still_being_written(
    db: Database, database_url: str
) -> None:
    # A writer that gave up on the lock after a short wait would fail here if reads took it.
    await portal_services.create_portal(
        ServiceContext(db=db), company="Acme", subdomain="acme", mode=Mode.QUEUE
    )
    db = Database.from_url(database_url, PoolSize(busy_timeout=0.2, write_turn_timeout=0.2))
    try:
        async with db.uow() as writer:
            await writer.session.execute(text("UPDATE portals SET brand_name = 'Acme Ltd'"))
            # The writer holds its transaction open; a reader meanwhile sees the last commit.
            async with db.read() as reader:
                portal = await reader.portals.by_subdomain("acme")
            assert portal is not None and portal.brand_name != "Acme Ltd"
            await writer.commit()
        async with db.read() as reader:
            portal = await reader.portals.by_subdomain("acme")
        assert portal is not None and portal.brand_name == "Acme Ltd"
    finally:
        await db.dispose()


async def test_a_second_writer_waits_for_the_first_instead_of_failing(ctx: ServiceContext) -> None:
    created = await asyncio.gather(
        *(
            portal_services.create_portal(ctx, company=f"Co {n}", subdomain=f"co{n}")
            for n in range(8)
        )
    )
    assert len(created) == 8


async def test_a_read_unit_of_work_cannot_commit(db: Database) -> None:
    async with db.read() as reader:
        with pytest.raises(TypeError, match="cannot commit"):
            await reader.commit()


def test_the_pool_is_sized_by_the_settings(database_url: str) -> None:
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        database_pool_size=7,
        database_pool_overflow=3,
        database_pool_timeout_seconds=2.5,
    )
    pool = bootstrap(settings).db.engine.pool
    assert (pool.size(), pool._max_overflow, pool._timeout) == (7, 3, 2.5)  # type: ignore[attr-defined]


async def test_what_runs_after_a_commit_may_write_again_at_once(
    db: Database, database_url: str
) -> None:
    # After-commit handlers (pushes, outbox wake-ups, ephemeral answers) open their own units
    # of work; the writer's turn must already be free then, or they would wait for themselves.
    quick = Database.from_url(database_url, PoolSize(busy_timeout=0.5, write_turn_timeout=0.5))
    written: list[str] = []

    async def write_after_commit(events: Sequence[Event]) -> None:
        async with quick.uow() as uow:
            await uow.session.execute(text("UPDATE portals SET greeting = 'hello'"))
            await uow.commit()
        written.append("after")

    ctx = ServiceContext(db=quick, bus=EventBus(published=[write_after_commit]))
    try:
        await portal_services.create_portal(ctx, company="Acme", subdomain="acme")
        assert written == ["after"]
    finally:
        await quick.dispose()


async def test_a_storm_of_reads_leaves_a_writer_its_connection(database_url: str) -> None:
    # Ten thousand sockets connecting each read their case; the pool must still serve a write.
    small = Database.from_url(database_url, PoolSize(size=3, overflow=0, timeout=1.0))
    hold, first_in = asyncio.Event(), asyncio.Event()
    inside = 0

    async def reader() -> None:
        nonlocal inside
        async with small.read() as uow:
            await uow.session.execute(text("SELECT 1"))
            inside += 1
            first_in.set()
            await hold.wait()

    readers = [asyncio.create_task(reader()) for _ in range(10)]
    try:
        await first_in.wait()
        async with small.uow() as writer:
            await writer.session.execute(text("UPDATE portals SET greeting = 'still writes'"))
            await writer.commit()
        hold.set()
        await asyncio.gather(*readers)
        assert inside == 10  # the queued reads all ran, none failed on the pool's timeout
    finally:
        hold.set()
        await small.dispose()
