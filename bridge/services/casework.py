"""What agents do to a case: claim, resolve, reopen, leave, answer, delete."""

from __future__ import annotations

from bridge.core.cases import Case, CaseStatus
from bridge.core.errors import AlreadyClaimed, CaseNotFound, IllegalTransition, NotAllowed
from bridge.core.events import (
    AgentLeftCase,
    AgentMessagePosted,
    CaseClaimed,
    CaseDeleted,
    CaseReopened,
    CaseResolved,
    ChatEnded,
    Event,
)
from bridge.core.text import clean_message
from bridge.services.context import ServiceContext, commit
from storage.uow import UnitOfWork


async def load_case(uow: UnitOfWork, case_id: int) -> Case:
    """The case, or CaseNotFound."""
    case = await uow.cases.get(case_id)
    if case is None:
        raise CaseNotFound(f"with id {case_id}")
    return case


async def _lost_race(uow: UnitOfWork, case: Case, action: str, target: CaseStatus) -> Exception:
    """Explain why a conditional update matched no row: who got there first."""
    now_case = await load_case(uow, case.id)
    if action == "claim" and now_case.status is CaseStatus.ASSIGNED:
        return AlreadyClaimed(case.reference, now_case.assignee_id)
    return IllegalTransition(case.reference, now_case.status.value, target.value, action)


async def claim(ctx: ServiceContext, case_id: int, agent_id: str) -> list[Event]:
    """Assign an unassigned case to `agent_id`; exactly one of many concurrent claims wins."""
    now = ctx.clock.now()
    async with ctx.db.uow() as uow:
        case = await load_case(uow, case_id)
        if case.status is CaseStatus.ASSIGNED:
            raise AlreadyClaimed(case.reference, case.assignee_id)
        claimed = case.claim(agent_id, now)
        won = await uow.cases.move(
            case_id,
            expect={"status": "unassigned"},
            values={
                "status": claimed.status.value,
                "assignee_id": agent_id,
                "claimed_at": now,
                "queued": False,
            },
        )
        if not won:
            raise await _lost_race(uow, case, "claim", CaseStatus.ASSIGNED)
        events: list[Event] = [CaseClaimed(case_id, agent_id)]
        await commit(ctx, uow, events)
    return events


def _require_assignee_or_admin(case: Case, agent_id: str, is_admin: bool, action: str) -> None:
    if case.assignee_id != agent_id and not is_admin:
        raise NotAllowed(f"only the assigned agent or an admin can {action} {case.reference}")


async def resolve(
    ctx: ServiceContext, case_id: int, agent_id: str, is_admin: bool = False
) -> list[Event]:
    """Assigned → resolved, by the assignee (or an admin); the live chat ends with it."""
    now = ctx.clock.now()
    async with ctx.db.uow() as uow:
        case = await load_case(uow, case_id)
        resolved = case.resolve(now)
        _require_assignee_or_admin(case, agent_id, is_admin, "resolve")
        won = await uow.cases.move(
            case_id,
            expect={"status": "assigned"},
            values={"status": resolved.status.value, "resolved_at": now, "chat_ended": True},
        )
        if not won:
            raise await _lost_race(uow, case, "resolve", CaseStatus.RESOLVED)
        events: list[Event] = [CaseResolved(case_id, agent_id)]
        await commit(ctx, uow, events)
    return events


async def reopen(ctx: ServiceContext, case_id: int, agent_id: str) -> list[Event]:
    """Resolved → assigned to whoever reopened it."""
    now = ctx.clock.now()
    async with ctx.db.uow() as uow:
        case = await load_case(uow, case_id)
        reopened = case.reopen(agent_id, now)
        won = await uow.cases.move(
            case_id,
            expect={"status": "resolved"},
            values={
                "status": reopened.status.value,
                "assignee_id": agent_id,
                "claimed_at": now,
                "resolved_at": None,
            },
        )
        if not won:
            raise await _lost_race(uow, case, "reopen", CaseStatus.ASSIGNED)
        events: list[Event] = [CaseReopened(case_id, agent_id)]
        await commit(ctx, uow, events)
    return events


async def leave(ctx: ServiceContext, case_id: int, agent_id: str) -> list[Event]:
    """The assignee steps away; the case is unassigned again for someone else to claim."""
    async with ctx.db.uow() as uow:
        case = await load_case(uow, case_id)
        left = case.leave()
        if case.assignee_id != agent_id:
            raise NotAllowed(f"only the assigned agent can leave {case.reference}")
        won = await uow.cases.move(
            case_id,
            expect={"status": "assigned", "assignee_id": agent_id},
            values={"status": left.status.value, "assignee_id": None, "claimed_at": None},
        )
        if not won:
            raise await _lost_race(uow, case, "leave", CaseStatus.UNASSIGNED)
        events: list[Event] = [AgentLeftCase(case_id, agent_id)]
        await commit(ctx, uow, events)
    return events


async def end_chat_by_agent(
    ctx: ServiceContext, case_id: int, agent_id: str, is_admin: bool = False
) -> list[Event]:
    """The assignee (or an admin) ends the live conversation; the case stays as it is."""
    async with ctx.db.uow() as uow:
        case = await load_case(uow, case_id)
        if case.chat_ended:
            return []
        _require_assignee_or_admin(case, agent_id, is_admin, "end the chat of")
        case.end_chat()
        await uow.cases.set_fields(case_id, chat_ended=True, customer_connected=False)
        events: list[Event] = [ChatEnded(case_id, by=agent_id)]
        await commit(ctx, uow, events)
    return events


async def post_agent_message(
    ctx: ServiceContext,
    case_id: int,
    agent_id: str,
    text: str,
    slack_ts: str | None = None,
    event_id: str | None = None,
) -> list[Event]:
    """Relay the assignee's reply to the customer; anyone else's is not relayed ([]).

    A Slack message is relayed at most once, however often Slack delivers it: both its
    event_id (retries) and its (case, ts) (redeliveries under a new id) are remembered.
    """
    body = clean_message(text)
    now = ctx.clock.now()
    async with ctx.db.uow() as uow:
        case = await load_case(uow, case_id)
        if case.deleted or case.chat_ended or case.assignee_id != agent_id:
            return []
        if event_id and not await uow.processed.first_time(f"event:{event_id}", now):
            return []
        if slack_ts and not await uow.processed.first_time(f"agent:{case_id}:{slack_ts}", now):
            return []
        agent = await uow.agents.get(agent_id)
        message = await uow.cases.add_message(
            case_id,
            direction="agent",
            author=agent.display_name if agent else agent_id,
            text=body,
            now=now,
            slack_ts=slack_ts,
        )
        events: list[Event] = [AgentMessagePosted(case_id, message.id, agent_id, body)]
        await commit(ctx, uow, events)
    return events


async def delete_case(
    ctx: ServiceContext, case_id: int, agent_id: str, is_admin: bool
) -> list[Event]:
    """Admins only, once the chat is over: erase the customer's data everywhere we keep it."""
    now = ctx.clock.now()
    async with ctx.db.uow() as uow:
        case = await load_case(uow, case_id)
        if not (is_admin or agent_id in ctx.policies.admins):
            raise NotAllowed("only admins can delete cases")
        case.erase()
        await uow.cases.erase(case_id, now)
        await uow.outbox.drop_pending_for_case(case_id)
        events: list[Event] = [CaseDeleted(case_id, by=agent_id)]
        await commit(ctx, uow, events)
    return events
