"""What agents do to a case: claim, resolve, reopen, leave, answer, delete."""

from __future__ import annotations

import logging

from bridge.core.cases import Change
from bridge.core.errors import NotAllowed
from bridge.core.events import AgentMessagePosted, Event, InternalNoteKept
from bridge.core.text import clean_message, is_internal_note
from bridge.services.changes import by_id, change_case, display_name, load_case
from bridge.services.context import ServiceContext, commit
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


async def claim(ctx: ServiceContext, case_id: int, agent_id: str) -> list[Event]:
    """Assign an unassigned case to `agent_id`; exactly one of many concurrent claims wins."""
    now, name = ctx.clock.now(), await display_name(ctx, agent_id)
    return await change_case(ctx, by_id(case_id), lambda case: case.claim(agent_id, now, name))


async def resolve(
    ctx: ServiceContext, case_id: int, agent_id: str, is_admin: bool = False
) -> list[Event]:
    """Assigned → resolved, by the assignee (or an admin); the live chat ends with it."""
    now = ctx.clock.now()
    return await change_case(
        ctx, by_id(case_id), lambda case: case.resolve(agent_id, now, is_admin)
    )


async def reopen(ctx: ServiceContext, case_id: int, agent_id: str) -> list[Event]:
    """Resolved → assigned to whoever reopened it."""
    now, name = ctx.clock.now(), await display_name(ctx, agent_id)
    return await change_case(ctx, by_id(case_id), lambda case: case.reopen(agent_id, now, name))


async def leave(ctx: ServiceContext, case_id: int, agent_id: str) -> list[Event]:
    """The assignee steps away; the case is unassigned again for someone else to claim."""
    name = await display_name(ctx, agent_id)
    return await change_case(ctx, by_id(case_id), lambda case: case.leave(agent_id, name))


async def keep_internal_note(
    ctx: ServiceContext, case_id: int, text: str, channel: str, ts: str
) -> bool:
    """True when the thread message is an internal note (//…): it stays in Slack, marked."""
    if not is_internal_note(text):
        return False
    async with ctx.db.uow() as uow:
        await commit(ctx, uow, [InternalNoteKept(case_id, channel, ts)])
    return True


async def post_agent_message(
    ctx: ServiceContext,
    case_id: int,
    agent_id: str,
    text: str,
    slack_ts: str | None = None,
    event_id: str | None = None,
) -> list[Event]:
    """Relay the assignee's reply to the customer; anything else is refused (NotAllowed, with
    the reason the agent is shown), except a repeat of a message already handled ([]).

    A Slack message is relayed at most once, however often Slack delivers it: both its
    event_id (retries) and its (case, ts) (redeliveries under a new id) are remembered.
    """
    body = clean_message(text)
    now = ctx.clock.now()
    async with ctx.db.uow() as uow:
        case = await load_case(uow, case_id)
        if event_id and not await uow.processed.first_time(f"event:{event_id}", now):
            return []
        if slack_ts and not await uow.processed.first_time(f"agent:{case_id}:{slack_ts}", now):
            return []
        refusal = case.reply_refusal(agent_id)
        if refusal is not None:
            # Said to the agent, in the thread (once: the event is remembered as handled).
            await uow.commit()
            raise NotAllowed(refusal, "not_relayed")
        agent = await uow.agents.get(agent_id)
        message = await uow.cases.add_message(
            case_id,
            direction="agent",
            author=agent.display_name if agent else agent_id,
            text=body,
            now=now,
            slack_ts=slack_ts,
        )
        name = agent.display_name if agent else ""
        events: list[Event] = [AgentMessagePosted(case_id, message.id, agent_id, body, name)]
        await commit(ctx, uow, events)
    return events


async def delete_case(
    ctx: ServiceContext, case_id: int, agent_id: str, is_admin: bool
) -> list[Event]:
    """Admins only, once the chat is over: erase the customer's data everywhere we keep it."""
    now = ctx.clock.now()
    admin = is_admin or agent_id in ctx.policies.admins

    stored: list[str] = []

    async def forget(uow: UnitOfWork, change: Change) -> None:
        stored[:] = await uow.attachments.erase_for_case(case_id)
        await uow.cases.drop_messages(case_id)
        await uow.outbox.drop_pending_for_case(case_id)
        await uow.outbox.erase_case(case_id)

    events = await change_case(
        ctx, by_id(case_id), lambda case: case.erase(agent_id, now, admin), also=forget
    )
    if events and ctx.files is not None:
        # After the commit: a crash in between leaves unreferenced bytes, never a file
        # recorded without them.
        for key in stored:
            try:
                await ctx.files.delete(key)
            except OSError:
                log.warning("case %s: a stored file could not be removed", case_id)
    if events and not await ctx.db.flush_erasures():
        log.warning("case %s erased; the SQLite log is emptied at the next checkpoint", case_id)
    return events
