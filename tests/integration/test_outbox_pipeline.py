"""The delivery pipeline on a real database: lanes, rate limits, giving up, several workers.

The handlers here stand in for the other side (Slack, SMTP): they answer as it would, a 429,
an error, a slow call; everything else is the real deliverer on the real database.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bridge.clock import SystemClock
from bridge.outbox.deliverer import DeliveryPolicy, Handler, OutboxDeliverer
from bridge.outbox.errors import RateLimited, Transient
from storage.models import OutboxRow
from storage.repositories.outbox import OutboxItem
from storage.uow import Database
from tests.portal.cuttable_proxy import CuttableProxy

QUICK = DeliveryPolicy(
    lease=timedelta(seconds=2),
    backoff_base=0.01,
    backoff_cap=0.05,
    poll_interval=0.05,
    max_attempts=3,
    park_probe=0.1,
    park_probe_cap=0.2,
    stuck_probe=0.2,
)


class SlackWork(OutboxDeliverer):
    kind = "slack"


class MailWork(OutboxDeliverer):
    kind = "email"


async def queue(db: Database, key: str, n: int, kind: str = "slack") -> list[int]:
    async with db.uow() as uow:
        ids = [
            await uow.outbox.add(
                kind=kind,
                ordering_key=key,
                operation="send",
                payload={"n": i},
                now=SystemClock().now(),
            )
            for i in range(n)
        ]
        await uow.commit()
    return ids


@asynccontextmanager
async def delivering(deliverer: OutboxDeliverer) -> AsyncIterator[OutboxDeliverer]:
    task = asyncio.create_task(deliverer.run())
    try:
        yield deliverer
    finally:
        await deliverer.stop(task, grace=2)


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("never happened")
        await asyncio.sleep(0.02)


async def sent(db: Database, ids: list[int]) -> bool:
    async with db.read() as uow:
        done = await uow.session.scalar(
            select(func.count()).where(OutboxRow.id.in_(ids), OutboxRow.status == "sent")
        )
    return done == len(ids)


async def test_a_429_storm_never_counts_toward_giving_up(db: Database) -> None:
    answers: dict[int, int] = defaultdict(int)

    async def slack(_d: Any, item: OutboxItem) -> dict[str, Any]:
        answers[item.id] += 1
        if answers[item.id] <= 12:  # four times the real failures allowed, all 429s
            raise RateLimited("C1", 0.01)
        return {"ok": True}

    [item_id] = await queue(db, "case:1", 1)
    async with delivering(SlackWork(db, SystemClock(), {"send": slack}, QUICK)):
        await until(lambda: sent(db, [item_id]))
    async with db.read() as uow:
        item = await uow.outbox.get(item_id)
        assert await uow.outbox.parks() == []
    assert item is not None and item.failures == 0 and answers[item_id] == 13
    assert item.attempts == 1  # none of the 429s could have posted anything


async def test_real_errors_park_the_item_visibly_and_it_still_goes_out_in_order(
    db: Database,
) -> None:
    broken = True
    order: list[int] = []

    async def flaky(_d: Any, item: OutboxItem) -> dict[str, Any]:
        if broken and item.payload["n"] == 0:
            raise Transient("HTTP 500")
        order.append(item.payload["n"])
        return {}

    ids = await queue(db, "case:1", 3)
    async with delivering(SlackWork(db, SystemClock(), {"send": flaky}, QUICK)) as deliverer:

        async def parked() -> bool:
            async with db.read() as uow:
                return bool(await uow.outbox.parks())

        await until(parked)
        async with db.read() as uow:
            [park] = await uow.outbox.parks()
            assert await uow.outbox.failed() == []  # parked, never dropped
        assert park.scope == f"item:{ids[0]}" and "gave up after 3" in park.error
        assert park.waiting == 1 and order == []  # later items of the case wait behind it
        assert deliverer.board.all()  # what /healthz and App Home show

        broken = False  # whatever it was, it is fixed
        await until(lambda: sent(db, ids))
    assert order == [0, 1, 2]
    async with db.read() as uow:
        assert await uow.outbox.parks() == []


async def test_a_slow_call_holds_back_only_its_own_lane(db: Database) -> None:
    release, under_way = asyncio.Event(), asyncio.Event()

    async def call(_d: Any, item: OutboxItem) -> dict[str, Any]:
        if item.ordering_key == "case:slow":
            under_way.set()
            await release.wait()
        return {}

    slow = await queue(db, "case:slow", 2)
    async with delivering(SlackWork(db, SystemClock(), {"send": call}, QUICK)):
        await asyncio.wait_for(under_way.wait(), 5)
        others = [i for n in range(5) for i in await queue(db, f"case:{n}", 3)]
        await until(lambda: sent(db, others), timeout=5)
        assert not await sent(db, slow)
        release.set()
        await until(lambda: sent(db, slow))


async def test_each_deliverer_selects_only_its_own_kind(db: Database) -> None:
    async def deliver(_d: Any, _item: OutboxItem) -> dict[str, Any]:
        return {}

    mail = [i for n in range(300) for i in await queue(db, f"mail:{n}", 1, kind="email")]
    slack = await queue(db, "case:1", 1)
    async with delivering(SlackWork(db, SystemClock(), {"send": deliver}, QUICK)):
        await until(lambda: sent(db, slack), timeout=5)  # 300 emails ahead of it, no mail deliverer
    async with db.read() as uow:
        assert {(await uow.outbox.get(i)).status for i in mail[:5]} == {"pending"}  # type: ignore[union-attr]
    async with delivering(MailWork(db, SystemClock(), {"send": deliver}, QUICK)):
        await until(lambda: sent(db, mail))


async def test_two_workers_on_postgresql_share_the_work_and_never_deliver_an_item_twice(
    backend: str, database_url: str, db: Database
) -> None:
    if backend != "postgresql":
        pytest.skip("several workers need PostgreSQL")
    delivered: list[tuple[str, int, str]] = []

    def worker(name: str) -> Handler:
        async def call(_d: Any, item: OutboxItem) -> dict[str, Any]:
            await asyncio.sleep(random.random() / 100)
            delivered.append((item.ordering_key, item.id, name))
            return {}

        return call

    second = Database.from_url(database_url)  # another process's engine and pool
    # No poll to speak of: only PostgreSQL's NOTIFY tells the workers there is work.
    # Leases long enough that a loaded machine's pauses never let one run out mid-delivery.
    policy = replace(QUICK, claim_batch=3, poll_interval=30, lease=timedelta(seconds=20))
    try:
        async with (
            delivering(SlackWork(db, SystemClock(), {"send": worker("a")}, policy)),
            delivering(SlackWork(second, SystemClock(), {"send": worker("b")}, policy)),
        ):
            ids = [i for n in range(40) for i in await queue(db, f"case:{n}", 8)]
            await until(lambda: sent(db, ids), timeout=60)
            late = await queue(db, "case:late", 5)
            await until(lambda: sent(db, late), timeout=15)
    finally:
        await second.dispose()
    delivered_ids = [i for _, i, _ in delivered]
    assert sorted(delivered_ids) == sorted([*ids, *late])  # each exactly once
    by_key: dict[str, list[int]] = defaultdict(list)
    for key, item_id, _ in delivered:
        by_key[key].append(item_id)
    assert all(got == sorted(got) for got in by_key.values())  # in order per case
    assert {name for *_, name in delivered} == {"a", "b"}  # both took part


async def test_a_delivery_the_database_could_not_record_goes_out_once_soon_after_it_is_back(
    backend: str, database_url: str, db: Database
) -> None:
    if backend != "postgresql":
        pytest.skip("the database is cut off through a TCP relay: PostgreSQL")
    relay = CuttableProxy(target=5432)
    await relay.start()
    through_relay = Database.from_url(database_url.replace(":5432/", f":{relay.port}/"))
    posted: list[tuple[int, int]] = []  # (item, attempt) as the other side saw them

    async def post(_d: Any, item: OutboxItem) -> dict[str, Any]:
        posted.append((item.id, item.attempts))
        if len(posted) == 1:  # delivered, and the database goes away before it is recorded
            await relay.cut()
            asyncio.get_running_loop().call_later(1.0, lambda: asyncio.ensure_future(relay.start()))
        return {}

    # a lease far longer than the test: only an early release lets the item out again
    policy = replace(QUICK, lease=timedelta(seconds=120))
    [item_id] = await queue(db, "case:1", 1)
    try:
        async with delivering(SlackWork(through_relay, SystemClock(), {"send": post}, policy)):
            await until(lambda: sent(db, [item_id]), timeout=20)
    finally:
        await through_relay.dispose()
        await relay.cut()
    # tried again once the database was back, as a second attempt (so a real handler looks
    # for its earlier post before posting again)
    assert posted == [(item_id, 1), (item_id, 2)]


async def test_on_sqlite_a_restart_delivers_at_once_what_the_killed_process_held(
    backend: str, db: Database
) -> None:
    if backend != "sqlite":
        pytest.skip("on PostgreSQL another worker may be alive and holding its leases")
    [item_id] = await queue(db, "case:1", 1)
    async with db.uow() as uow:  # a process claims it, then is killed before it delivers
        await uow.outbox.claim("slack", SystemClock().now(), timedelta(minutes=10), 10)
        await uow.commit()
    posted: list[int] = []

    async def post(_d: Any, item: OutboxItem) -> dict[str, Any]:
        posted.append(item.attempts)
        return {}

    async with delivering(SlackWork(db, SystemClock(), {"send": post}, QUICK)):
        await until(lambda: sent(db, [item_id]), timeout=10)
    assert posted == [2]  # the second attempt: a real handler looks before it posts again
