"""Answering a support request by email, from Slack."""

from __future__ import annotations

from bridge.core.cases import Case
from bridge.core.errors import InvalidInput
from bridge.core.events import (
    AgentRepliesDelivered,
    AgentRepliesSeen,
    EmailReplyQueued,
    Event,
)
from bridge.core.text import MAX_SUBJECT_LENGTH, clean_message
from bridge.services.changes import load_case
from bridge.services.context import ServiceContext, commit
from portal.i18n import translate


def default_subject(reference: str, language: str = "en") -> str:
    """The reply's subject as the modal first shows it, in the customer's language."""
    return translate(language, "mail.reply_subject", ref=reference)


async def may_reply(ctx: ServiceContext, case_id: int, agent_id: str) -> Case:
    """The case, if `agent_id` may answer it by email now; else the core's refusal."""
    async with ctx.db.read() as uow:
        case = await load_case(uow, case_id)
    case.check_email_reply(agent_id)
    return case


async def reply_by_email(
    ctx: ServiceContext, case_id: int, agent_id: str, subject: str, body: str
) -> list[Event]:
    """The assignee answers a support request; recorded in the case, then emailed."""
    text = clean_message(body, "body")
    subject = " ".join(subject.split())
    if not subject:
        raise InvalidInput("subject", "is required")
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise InvalidInput("subject", f"is longer than {MAX_SUBJECT_LENGTH} characters")
    async with ctx.db.uow() as uow:
        case = await load_case(uow, case_id)
        case.check_email_reply(agent_id)
        agent = await uow.agents.get(agent_id)
        message = await uow.cases.add_message(
            case_id,
            direction="email",
            author=agent.display_name if agent else agent_id,
            text=f"{subject}\n\n{text}",
            now=ctx.clock.now(),
        )
        events: list[Event] = [EmailReplyQueued(case_id, agent_id, message.id, subject)]
        await commit(ctx, uow, events)
    return events


async def mark_seen(ctx: ServiceContext, case_id: int, up_to_message_id: int) -> list[Event]:
    """The customer's page displayed the conversation up to this message."""
    return await _mark_replies(ctx, case_id, up_to_message_id, seen=True)


async def mark_delivered(ctx: ServiceContext, case_id: int, up_to_message_id: int) -> list[Event]:
    """The customer's browser received the conversation up to this message."""
    return await _mark_replies(ctx, case_id, up_to_message_id, seen=False)


async def _mark_replies(ctx: ServiceContext, case_id: int, up_to: int, seen: bool) -> list[Event]:
    async with ctx.db.uow() as uow:
        mark = uow.cases.mark_seen if seen else uow.cases.mark_delivered
        replies = tuple(await mark(case_id, up_to, ctx.clock.now()))
        kind = AgentRepliesSeen if seen else AgentRepliesDelivered
        events: list[Event] = [kind(case_id, replies)] if replies else []
        await commit(ctx, uow, events)
    return events
