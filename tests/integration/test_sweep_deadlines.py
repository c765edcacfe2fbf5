"""The sweeps ask the database what is due, by index, and hold no write lock while they look."""

from __future__ import annotations

from typing import cast

import pytest
from sqlalchemy import text

from bridge.clock import FakeClock
from bridge.core.events import CaseConverted, CustomerWarnedOfWait
from bridge.core.routing import Mode
from bridge.services import customer
from bridge.services.context import ServiceContext
from bridge.services.sweeps import sweep_abandoned, sweep_unseen_replies, sweep_wait_warnings
from storage.engine import PoolSize
from storage.uow import Database
from tests.integration.test_sweeps import TIMINGS
from tests.scenario import a_portal, customer_opens_chat


async def test_of_many_waiting_chats_only_the_due_ones_are_acted_on(
    ctx: ServiceContext, clock: FakeClock
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    oldest = await customer_opens_chat(ctx, question="waiting longest")
    clock.advance(minutes=1)
    left = await customer_opens_chat(ctx, question="left")
    await customer.set_presence(ctx, left.token, connected=False)
    clock.advance(minutes=1)
    fresh = [await customer_opens_chat(ctx, question=f"fresh {n}") for n in range(5)]

    clock.advance(minutes=8, seconds=30)  # oldest waited 10:30, left 9:30, the rest 8:30
    assert await sweep_wait_warnings(ctx, TIMINGS) == [
        CustomerWarnedOfWait(oldest.case.id, 0),
        CustomerWarnedOfWait(left.case.id, 30),
    ]
    assert await sweep_wait_warnings(ctx, TIMINGS) == []  # once each
    converted = cast(list[CaseConverted], await sweep_abandoned(ctx, TIMINGS))
    assert sorted(converted, key=lambda e: e.case_id) == [
        CaseConverted(oldest.case.id, "max_wait"),
        CaseConverted(left.case.id, "customer_left"),
    ]
    assert await sweep_abandoned(ctx, TIMINGS) == []
    assert all(f.case.id not in {e.case_id for e in converted} for f in fresh)


async def test_a_sweep_with_nothing_due_does_not_wait_for_a_writer(
    db: Database, database_url: str, ctx: ServiceContext, clock: FakeClock
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    await customer_opens_chat(ctx)
    clock.advance(minutes=1)
    quick = Database.from_url(database_url, PoolSize(busy_timeout=0.3, write_turn_timeout=0.3))
    sweeping = ServiceContext(db=quick, clock=clock)
    try:
        async with quick.uow() as writer:
            await writer.session.execute(text("UPDATE portals SET greeting = 'busy'"))
            assert await sweep_abandoned(sweeping, TIMINGS) == []
            assert await sweep_wait_warnings(sweeping, TIMINGS) == []
            assert await sweep_unseen_replies(sweeping, TIMINGS) == []
            await writer.commit()
    finally:
        await quick.dispose()


@pytest.mark.parametrize(
    ("search", "deadline"),
    [
        (
            "SELECT id FROM cases WHERE status = 'unassigned' AND type = 'live_chat' "
            "AND deleted_at IS NULL AND created_at <= '2026-01-01' ORDER BY created_at LIMIT 500",
            "created_at<",
        ),
        (
            "SELECT id FROM cases WHERE status = 'unassigned' AND type = 'live_chat' "
            "AND deleted_at IS NULL AND customer_connected = 0 "
            "AND customer_left_at <= '2026-01-01' ORDER BY customer_left_at LIMIT 500",
            "customer_left_at<",
        ),
        (
            "SELECT id FROM messages WHERE direction = 'agent' AND seen_at IS NULL "
            "AND emailed_at IS NULL AND created_at <= '2026-01-01' ORDER BY id LIMIT 500",
            "created_at<",
        ),
    ],
)
async def test_the_sweeps_searches_use_an_index(
    db: Database, backend: str, search: str, deadline: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the plan is checked on SQLite; PostgreSQL's depends on its statistics")
    async with db.read() as uow:
        plan = " ".join(
            str(row[-1]) for row in await uow.session.execute(text("EXPLAIN QUERY PLAN " + search))
        )
    # The deadline itself is a range on the index: due rows are found, not filtered.
    assert plan.startswith("SEARCH") and deadline in plan and "SCAN" not in plan, plan
