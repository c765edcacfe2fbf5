"""The core's moves as storage keeps them: what a Change writes is what is read back, and a
move whose precondition no longer holds changes nothing — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bridge.core.cases import Case, CaseStatus, Change
from bridge.core.events import AgentLeftCase, CaseClaimed, CaseHandedOut, CustomerMessagePosted
from bridge.core.routing import Mode
from bridge.services import casework, customer, queue
from bridge.services.context import ServiceContext
from tests.conftest import RecordingBus
from tests.scenario import a_portal, an_agent, customer_opens_chat


async def stored(ctx: ServiceContext, case_id: int) -> Case:
    async with ctx.db.read() as uow:
        case = await uow.cases.get(case_id)
    assert case is not None
    return case


async def test_each_move_reads_back_exactly_as_the_core_made_it(ctx: ServiceContext) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    await an_agent(ctx, "UANA")
    opened = await customer_opens_chat(ctx, device={"browser": "Firefox 140"})
    case = await stored(ctx, opened.case.id)
    assert case == opened.case  # Case.open shaped it; the repository only stored it

    now = ctx.clock.now()
    moves: list[Callable[[Case], Change]] = [
        lambda c: c.claim("UANA", now),
        lambda c: c.leave("UANA"),
        lambda c: c.convert_to_support_request(now, "customer_left"),
        lambda c: c.customer_presence(False, now),
    ]
    for move in moves:
        change = move(case)
        async with ctx.db.uow() as uow:
            assert await uow.cases.apply(change)
            await uow.commit()
        case = await stored(ctx, case.id)
        assert case == change.new

    erased = case.erase("UADMIN", now, is_admin=True)
    async with ctx.db.uow() as uow:
        assert await uow.cases.apply(erased)
        await uow.commit()
    assert await stored(ctx, case.id) == erased.new


async def test_a_move_decided_on_a_stale_case_changes_nothing(ctx: ServiceContext) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    opened = await customer_opens_chat(ctx)
    seen_by_ana = await stored(ctx, opened.case.id)
    await casework.claim(ctx, opened.case.id, "UBEA")  # Bea gets there first

    late = seen_by_ana.claim("UANA", ctx.clock.now())  # decided on the case Ana saw
    async with ctx.db.uow() as uow:
        assert not await uow.cases.apply(late)
        await uow.commit()
    now_case = await stored(ctx, opened.case.id)
    assert (now_case.status, now_case.assignee_id) == (CaseStatus.ASSIGNED, "UBEA")


async def test_events_carry_the_names_their_handlers_show(
    ctx: ServiceContext, recorder: RecordingBus
) -> None:
    await a_portal(ctx, Mode.QUEUE)
    await an_agent(ctx, "UANA", available=False)
    opened = await customer_opens_chat(ctx)
    async with ctx.db.uow() as uow:  # Ana became available through another worker
        await uow.agents.update("UANA", ctx.clock.now(), available=True)
        await uow.commit()
    [handed] = await queue.hand_out_queued(ctx)
    assert isinstance(handed, CaseHandedOut) and handed.agent_name == "Ana"
    [left] = await casework.leave(ctx, opened.case.id, "UANA")
    assert isinstance(left, AgentLeftCase) and left.agent_name == "Ana"
    [claimed] = await casework.claim(ctx, opened.case.id, "UANA")
    assert isinstance(claimed, CaseClaimed) and claimed.agent_name == "Ana"
    [posted] = await customer.post_customer_message(ctx, opened.token, "still there?")
    assert isinstance(posted, CustomerMessagePosted) and posted.customer_name == "Ana Lima"
    # the names describe; they do not make two events different
    assert replace(claimed, agent_name="someone else") == claimed
