"""Many customers at once on one queue portal: every case is opened, the ring stays fair."""

from __future__ import annotations

import asyncio
from collections import Counter

from bridge.core.routing import Mode
from bridge.services.context import ServiceContext
from tests.scenario import a_portal, an_agent, customer_opens_chat


async def test_thirty_customers_at_once_are_shared_evenly_round_the_queue(
    ctx: ServiceContext,
) -> None:
    await a_portal(ctx, Mode.QUEUE)
    for agent in ("UANA", "UBEN", "UCAT"):
        await an_agent(ctx, agent)

    opened = await asyncio.gather(
        *(customer_opens_chat(ctx, question=f"question {n}") for n in range(30))
    )

    assert len({o.case.id for o in opened}) == 30
    assert Counter(o.case.assignee_id for o in opened) == {"UANA": 10, "UBEN": 10, "UCAT": 10}


async def test_with_nobody_available_queue_customers_wait_in_the_queue(
    ctx: ServiceContext,
) -> None:
    await a_portal(ctx, Mode.QUEUE)
    await an_agent(ctx, "UANA", available=False)

    opened = await asyncio.gather(*(customer_opens_chat(ctx) for _ in range(5)))

    assert all(o.case.assignee_id is None and o.case.queued for o in opened)
