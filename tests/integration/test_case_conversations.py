"""Cases from open to delete, through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bridge.core.cases import CaseStatus, CaseType
from bridge.core.errors import (
    AlreadyClaimed,
    CaseNotFound,
    IllegalTransition,
    InvalidInput,
    NotAllowed,
    PortalInactive,
    PortalNotFound,
)
from bridge.core.events import (
    AgentMessagePosted,
    CaseClaimed,
    CaseDeleted,
    CaseOpened,
    CustomerMessagePosted,
)
from bridge.core.routing import Mode
from bridge.services import casework, customer
from bridge.services.context import ServiceContext
from bridge.services.portals import update_portal
from tests.conftest import RecordingBus
from tests.scenario import a_portal, an_agent, customer_opens_chat


async def test_customer_opens_chat_agent_claims_replies_and_customer_sees_it(
    ctx: ServiceContext, recorder: RecordingBus
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    await an_agent(ctx, "UANA")
    await an_agent(ctx, "UBEA")

    opened = await customer_opens_chat(
        ctx, device={"browser": "Firefox 140", "os": "Linux", "evil": "dropped"}
    )
    assert opened.case.reference.startswith("C-") and len(opened.token) >= 43
    assert opened.events == [
        CaseOpened(opened.case.id, opened.case.portal_id, ("UANA", "UBEA"), None, False)
    ]

    await casework.claim(ctx, opened.case.id, "UANA")
    await casework.post_agent_message(
        ctx, opened.case.id, "UANA", "Unplug it, please", slack_ts="1700000000.000100"
    )
    view = await customer.view_case(ctx, opened.token)

    assert view.case.status is CaseStatus.ASSIGNED and view.assignee_name == "Ana"
    assert [(m.direction, m.text) for m in view.messages] == [
        ("customer", "My printer is on fire"),
        ("agent", "Unplug it, please"),
    ]
    assert view.case.device.browser == "Firefox 140"
    assert [type(e) for e in recorder.staged] == [type(e) for e in recorder.published]


async def test_twenty_agents_clicking_assign_together_one_wins(ctx: ServiceContext) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    agents = [await an_agent(ctx, f"U{n:03d}") for n in range(20)]
    opened = await customer_opens_chat(ctx)

    results = await asyncio.gather(
        *(casework.claim(ctx, opened.case.id, agent) for agent in agents), return_exceptions=True
    )

    winners = [r for r in results if isinstance(r, list)]
    losers = [r for r in results if isinstance(r, AlreadyClaimed)]
    assert len(winners) == 1 and len(losers) == 19
    winner = winners[0][0]
    assert isinstance(winner, CaseClaimed)
    assert {loser.assignee_id for loser in losers} == {winner.agent_id}
    assert all("already assigned to" in str(loser) for loser in losers)


async def test_claiming_an_assigned_case_says_who_has_it(ctx: ServiceContext) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    opened = await customer_opens_chat(ctx)
    await casework.claim(ctx, opened.case.id, "UANA")
    with pytest.raises(AlreadyClaimed) as lost:
        await casework.claim(ctx, opened.case.id, "UBEA")
    assert lost.value.assignee_id == "UANA"


async def test_resolve_reopen_leave_in_turn(ctx: ServiceContext) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    case_id = (await customer_opens_chat(ctx)).case.id
    await casework.claim(ctx, case_id, "UANA")
    with pytest.raises(NotAllowed):
        await casework.resolve(ctx, case_id, "UBEA")
    await casework.resolve(ctx, case_id, "UANA")
    with pytest.raises(IllegalTransition, match="resolved → resolved"):
        await casework.resolve(ctx, case_id, "UANA")
    await casework.reopen(ctx, case_id, "UBEA")
    async with ctx.db.uow() as uow:
        reopened = await uow.cases.get(case_id)
    assert reopened is not None
    assert (reopened.status, reopened.assignee_id) == (CaseStatus.ASSIGNED, "UBEA")
    await casework.leave(ctx, case_id, "UBEA")
    async with ctx.db.uow() as uow:
        left = await uow.cases.get(case_id)
    assert left is not None and (left.status, left.assignee_id) == (CaseStatus.UNASSIGNED, None)


async def test_only_the_assignees_thread_messages_reach_the_customer_and_only_once(
    ctx: ServiceContext, recorder: RecordingBus
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    case_id = (await customer_opens_chat(ctx)).case.id
    with pytest.raises(NotAllowed, match="Assign to me"):  # told, never silently dropped
        await casework.post_agent_message(ctx, case_id, "UANA", "too early")
    await casework.claim(ctx, case_id, "UANA")
    with pytest.raises(NotAllowed, match="<@UANA> has the case"):
        await casework.post_agent_message(ctx, case_id, "UBEA", "not mine")
    first = await casework.post_agent_message(ctx, case_id, "UANA", "hello", slack_ts="1.1")
    again = await casework.post_agent_message(ctx, case_id, "UANA", "hello", slack_ts="1.1")
    assert len(first) == 1 and again == []
    assert len(recorder.of_type(AgentMessagePosted)) == 1


async def test_customer_message_resent_after_reconnect_counts_once(
    ctx: ServiceContext, recorder: RecordingBus
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    opened = await customer_opens_chat(ctx)
    await customer.post_customer_message(ctx, opened.token, "still there?", client_id="m-1")
    await customer.post_customer_message(ctx, opened.token, "still there?", client_id="m-1")
    await customer.post_customer_message(ctx, opened.token, "hello?", client_id="m-2")
    assert [e.text for e in recorder.of_type(CustomerMessagePosted)] == [  # type: ignore[attr-defined]
        "still there?",
        "hello?",
    ]


async def test_a_wrong_token_opens_nothing(ctx: ServiceContext) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    await customer_opens_chat(ctx)
    for token in ("", "guess", "x" * 43):
        with pytest.raises(CaseNotFound):
            await customer.post_customer_message(ctx, token, "hi")


async def test_customer_stops_waiting_and_the_chat_becomes_a_support_request(
    ctx: ServiceContext,
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    opened = await customer_opens_chat(ctx)
    events = await customer.stop_waiting(ctx, opened.token)
    assert len(events) == 1 and await customer.stop_waiting(ctx, opened.token) == []
    view = await customer.view_case(ctx, opened.token)
    assert view.case.type is CaseType.SUPPORT_REQUEST and view.case.chat_ended
    assert [m.text for m in view.messages] == ["My printer is on fire"]
    with pytest.raises(NotAllowed, match="ended"):
        await customer.post_customer_message(ctx, opened.token, "hello?")


async def test_two_concurrent_conversions_convert_once(ctx: ServiceContext) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    opened = await customer_opens_chat(ctx)
    results = await asyncio.gather(
        *(customer.convert_to_support_request(ctx, opened.case.id, "max_wait") for _ in range(5))
    )
    assert sorted(len(r) for r in results) == [0, 0, 0, 0, 1]


async def test_a_claimed_chat_cannot_stop_waiting(ctx: ServiceContext) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    opened = await customer_opens_chat(ctx)
    await casework.claim(ctx, opened.case.id, "UANA")
    with pytest.raises(IllegalTransition):
        await customer.stop_waiting(ctx, opened.token)


async def test_delete_is_for_admins_after_the_chat_ends_and_erases_the_customer(
    ctx: ServiceContext, recorder: RecordingBus
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    opened = await customer_opens_chat(ctx)
    case_id = opened.case.id
    await casework.claim(ctx, case_id, "UANA")
    await casework.post_agent_message(ctx, case_id, "UANA", "hello")
    async with ctx.db.uow() as uow:
        await uow.outbox.add(
            kind="slack",
            ordering_key=f"case:{case_id}",
            case_id=case_id,
            operation="chat.postMessage",
            payload={"text": "Ana Lima"},
            now=ctx.clock.now(),
        )
        await uow.commit()

    with pytest.raises(IllegalTransition, match="chat still open"):
        await casework.delete_case(ctx, case_id, "UADMIN", is_admin=True)
    await customer.end_chat(ctx, opened.token)
    with pytest.raises(NotAllowed, match="only admins"):
        await casework.delete_case(ctx, case_id, "UANA", is_admin=False)
    await casework.delete_case(ctx, case_id, "UADMIN", is_admin=False)  # listed in policies

    async with ctx.db.uow() as uow:
        gone = await uow.cases.get(case_id)
        assert gone is not None and gone.deleted
        assert (gone.customer.full_name, gone.customer.email, gone.question) == ("", "", "")
        assert gone.device.as_dict() == {}
        assert await uow.cases.messages(case_id) == []
        assert await uow.outbox.due(ctx.clock.now()) == []
    assert recorder.of_type(CaseDeleted)
    with pytest.raises(CaseNotFound):
        await customer.view_case(ctx, opened.token)


async def test_unknown_and_inactive_portals_accept_nothing(ctx: ServiceContext) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    await an_agent(ctx, "UANA")
    with pytest.raises(PortalNotFound):
        await customer_opens_chat(ctx, subdomain="nope")
    await update_portal(ctx, "acme", active=False)
    with pytest.raises(PortalInactive):
        await customer_opens_chat(ctx)


async def test_nobody_available_the_question_arrives_as_a_support_request(
    ctx: ServiceContext,
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    opened = await customer_opens_chat(ctx, support_request=True)
    assert opened.case.type is CaseType.SUPPORT_REQUEST
    with pytest.raises(InvalidInput, match="question"):
        await customer_opens_chat(ctx, support_request=True, question="")


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("email", "not-an-email", "not a valid email address"),
        ("first_name", "  ", "first_name"),
        ("question", "x" * 5000, "longer than"),
    ],
)
async def test_a_bad_form_is_refused_and_nothing_is_stored(
    ctx: ServiceContext, field: str, value: str, says: str
) -> None:
    await a_portal(ctx, Mode.BROADCAST)
    form: dict[str, Any] = {
        "first_name": "Ana",
        "last_name": "Lima",
        "email": "ana@example.com",
        "question": "help",
        field: value,
    }
    from bridge.services.intake import NewCase, open_case

    with pytest.raises(InvalidInput, match=says):
        await open_case(ctx, NewCase(subdomain="acme", **form))
    async with ctx.db.uow() as uow:
        assert await uow.cases.count_by_status(CaseStatus.UNASSIGNED) == 0
