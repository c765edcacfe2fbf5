"""Each portal mode from the customer's form to the agent who gets the case; codes end to end."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bridge.clock import FakeClock
from bridge.core.cases import CaseStatus
from bridge.core.codes import CodeRefusal
from bridge.core.errors import AgentUnavailable, CodeRefused, InvalidInput, NotAllowed
from bridge.core.events import CaseHandedOut
from bridge.core.routing import Mode
from bridge.services import agents as agent_services
from bridge.services import codes as code_services
from bridge.services.context import ServiceContext
from tests.conftest import RecordingBus
from tests.scenario import a_portal, an_agent, customer_opens_chat


async def test_match_customer_picks_an_available_agent(ctx: ServiceContext) -> None:
    await a_portal(ctx, Mode.MATCH)
    await an_agent(ctx, "UANA")
    await an_agent(ctx, "UBEA", available=False)
    opened = await customer_opens_chat(ctx, agent="UANA")
    assert (opened.case.status, opened.case.assignee_id) == (CaseStatus.ASSIGNED, "UANA")
    with pytest.raises(AgentUnavailable):
        await customer_opens_chat(ctx, agent="UBEA")


@pytest.mark.parametrize("mode", [Mode.BROADCAST, Mode.BUTTON])
async def test_broadcast_and_button_wait_for_a_claim(ctx: ServiceContext, mode: Mode) -> None:
    await a_portal(ctx, mode)
    await an_agent(ctx, "UANA")
    await an_agent(ctx, "UOFF", available=False)
    opened = await customer_opens_chat(ctx, question="" if mode is Mode.BUTTON else "help")
    assert opened.case.status is CaseStatus.UNASSIGNED
    assert opened.events[0].alert == ("UANA",)  # type: ignore[attr-defined]


async def test_pin_customer_reaches_the_agent_who_read_out_the_code(ctx: ServiceContext) -> None:
    portal_id = await a_portal(ctx, Mode.PIN)
    await an_agent(ctx, "UANA", available=False)
    code = await code_services.make_code(ctx, "UANA", portal_id)
    opened = await customer_opens_chat(ctx, code=f"{code.value[:3]} {code.value[3:]}")
    assert (opened.case.status, opened.case.assignee_id) == (CaseStatus.ASSIGNED, "UANA")
    with pytest.raises(CodeRefused) as refused:
        await customer_opens_chat(ctx, code=code.value)
    assert refused.value.reason is CodeRefusal.USED


async def test_the_global_code_page_routes_to_the_codes_portal(ctx: ServiceContext) -> None:
    await a_portal(ctx, Mode.BROADCAST, "acme", "Acme")
    globex = await a_portal(ctx, Mode.QUEUE, "globex", "Globex")
    await an_agent(ctx, "UBEA")
    code = await code_services.make_code(ctx, "UBEA", globex)
    opened = await customer_opens_chat(ctx, subdomain=None, code=code.value)
    assert (opened.case.portal_id, opened.case.assignee_id) == (globex, "UBEA")


@pytest.mark.parametrize(
    ("typed", "reason"), [("000000001", CodeRefusal.UNKNOWN), ("expired", CodeRefusal.EXPIRED)]
)
async def test_code_refusals_say_why(
    ctx: ServiceContext, clock: FakeClock, typed: str, reason: CodeRefusal
) -> None:
    portal_id = await a_portal(ctx, Mode.PIN)
    code = await code_services.make_code(ctx, "UANA", portal_id)
    if typed == "expired":
        clock.advance(minutes=20)
        typed = code.value
    with pytest.raises(CodeRefused) as refused:
        await customer_opens_chat(ctx, code=typed)
    assert refused.value.reason is reason


async def test_a_pin_portal_needs_a_well_formed_code(ctx: ServiceContext) -> None:
    await a_portal(ctx, Mode.PIN)
    with pytest.raises(InvalidInput, match="code"):
        await customer_opens_chat(ctx)
    with pytest.raises(InvalidInput, match="9 digits"):
        await customer_opens_chat(ctx, code="12345")


async def test_two_customers_typing_the_same_code_together_one_gets_through(
    ctx: ServiceContext,
) -> None:
    portal_id = await a_portal(ctx, Mode.PIN)
    code = await code_services.make_code(ctx, "UANA", portal_id)
    results = await asyncio.gather(
        *(customer_opens_chat(ctx, code=code.value) for _ in range(5)), return_exceptions=True
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, CodeRefused) for r in results if isinstance(r, Exception))


async def test_an_agent_holds_a_bounded_number_of_live_codes(
    ctx: ServiceContext, clock: FakeClock
) -> None:
    portal_id = await a_portal(ctx, Mode.PIN)
    codes = [await code_services.make_code(ctx, "UANA", portal_id) for _ in range(8)]
    with pytest.raises(NotAllowed, match="already have 8 live codes"):
        await code_services.make_code(ctx, "UANA", portal_id)
    await code_services.revoke_code(ctx, "UANA", codes[0].value)
    await code_services.make_code(ctx, "UANA", portal_id)
    clock.advance(minutes=21)
    assert await code_services.live_codes(ctx, "UANA") == []
    assert await code_services.purge_codes(ctx) == 0  # kept a day for the record
    clock.advance(days=1)
    assert await code_services.purge_codes(ctx) == 8


async def test_revoking_someone_elses_code_is_refused(ctx: ServiceContext) -> None:
    portal_id = await a_portal(ctx, Mode.PIN)
    code = await code_services.make_code(ctx, "UANA", portal_id)
    with pytest.raises(InvalidInput, match="not one of your live codes"):
        await code_services.revoke_code(ctx, "UBEA", code.value)


async def test_queue_hands_cases_round_robin_and_the_cursor_survives(ctx: ServiceContext) -> None:
    await a_portal(ctx, Mode.QUEUE)
    for agent in ("UANA", "UBEA", "UCAI"):
        await an_agent(ctx, agent)
    handed = [(await customer_opens_chat(ctx)).case.assignee_id for _ in range(4)]
    assert handed == ["UANA", "UBEA", "UCAI", "UANA"]
    async with ctx.db.uow() as uow:  # a new transaction, as after a restart
        assert await uow.agents.cursor(1) == "UANA"


async def test_queue_with_nobody_available_waits_and_goes_to_the_first_who_becomes_available(
    ctx: ServiceContext, recorder: RecordingBus
) -> None:
    await a_portal(ctx, Mode.QUEUE)
    await an_agent(ctx, "UANA", available=False)
    await an_agent(ctx, "UBEA", available=False)
    first = await customer_opens_chat(ctx)
    second = await customer_opens_chat(ctx)
    assert first.case.queued and first.case.status is CaseStatus.UNASSIGNED

    await agent_services.set_availability(ctx, "UBEA", True)

    handed = recorder.of_type(CaseHandedOut)
    assert handed == [CaseHandedOut(first.case.id, "UBEA"), CaseHandedOut(second.case.id, "UBEA")]
    async with ctx.db.uow() as uow:
        assert await uow.cases.queued(1) == []


async def test_preferences_switch_one_at_a_time(ctx: ServiceContext) -> None:
    await an_agent(ctx, "UANA")
    agent = await agent_services.set_preference(ctx, "UANA", "email", True)
    assert agent.preferences.email and agent.preferences.dm
    with pytest.raises(InvalidInput, match="not one of dm, mention, email, quiet"):
        await agent_services.set_preference(ctx, "UANA", "sms", True)


async def test_queue_stays_fair_when_customers_arrive_together(ctx: ServiceContext) -> None:
    # Regression: the first concurrent hand-outs all tried to create the cursor row.
    await a_portal(ctx, Mode.QUEUE)
    for agent in ("UANA", "UBEA", "UCAI"):
        await an_agent(ctx, agent)
    opened = await asyncio.gather(*(customer_opens_chat(ctx) for _ in range(30)))
    handed = Counter(o.case.assignee_id for o in opened)
    assert handed == {"UANA": 10, "UBEA": 10, "UCAI": 10}
