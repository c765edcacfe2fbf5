"""What the customer does, proven by the case token their browser holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bridge.core.cases import Case, CaseType, Change
from bridge.core.errors import CaseNotFound, IllegalTransition
from bridge.core.events import CustomerMessagePosted, Event, SharedFile
from bridge.core.text import clean_message
from bridge.core.tokens import hash_token
from bridge.services.changes import Find, by_id, change_case
from bridge.services.context import ServiceContext, commit
from storage.repositories.cases import StoredMessage
from storage.uow import UnitOfWork


async def case_for_token(uow: UnitOfWork, token: str) -> Case:
    """The case this token opens; a deleted case, like an unknown token, opens nothing."""
    case = await uow.cases.get_by_token_hash(hash_token(token)) if token else None
    if case is None or case.deleted:
        raise CaseNotFound("for this token")
    return case


def by_token(token: str) -> Find:
    """Find the case the customer's token opens."""

    async def find(uow: UnitOfWork) -> Case:
        return await case_for_token(uow, token)

    return find


@dataclass(frozen=True)
class CaseView:
    """Everything the customer's page needs to draw (or redraw, after a reload) the chat."""

    case: Case
    messages: list[StoredMessage]
    assignee_name: str | None
    files: dict[int, list[SharedFile]] = field(default_factory=dict)  # by message id


async def view_case(ctx: ServiceContext, token: str) -> CaseView:
    """The customer's own case and its conversation."""
    async with ctx.db.read() as uow:
        case = await case_for_token(uow, token)
        agent = await uow.agents.get(case.assignee_id) if case.assignee_id else None
        files: dict[int, list[SharedFile]] = {}
        for found in await uow.attachments.of_case(case.id):
            if found.message_id is not None and found.storage_key:
                files.setdefault(found.message_id, []).append(
                    SharedFile(found.id, found.name, found.kind, found.size)
                )
        return CaseView(
            case,
            list(await uow.cases.messages(case.id)),
            agent.display_name if agent else None,
            files,
        )


async def post_customer_message(
    ctx: ServiceContext, token: str, text: str, client_id: str | None = None
) -> list[Event]:
    """The customer writes in the chat; a message resent after a reconnect counts once."""
    body = clean_message(text)
    now = ctx.clock.now()
    async with ctx.db.uow() as uow:
        case = await case_for_token(uow, token)
        case.check_customer_may_write()
        if client_id and not await uow.processed.first_time(
            f"customer:{case.id}:{client_id[:100]}", now
        ):
            return []
        message = await uow.cases.add_message(
            case.id, direction="customer", author=case.customer.full_name, text=body, now=now
        )
        events: list[Event] = [
            CustomerMessagePosted(case.id, message.id, body, case.customer.full_name)
        ]
        await commit(ctx, uow, events)
    return events


async def convert_to_support_request(ctx: ServiceContext, case_id: int, reason: str) -> list[Event]:
    """An unclaimed live chat becomes a support request, once, however many callers race.

    Returns no events when the case is no longer an unclaimed live chat.
    """
    now = ctx.clock.now()
    try:
        return await change_case(
            ctx, by_id(case_id), lambda case: case.convert_to_support_request(now, reason)
        )
    except IllegalTransition:
        return []  # claimed, or converted by another sweep or worker: nothing to do


async def stop_waiting(ctx: ServiceContext, token: str) -> list[Event]:
    """The customer gives up waiting: leave the question as a support request."""
    now = ctx.clock.now()

    def decide(case: Case) -> Change:
        if case.type is CaseType.SUPPORT_REQUEST:
            return Change.none(case)  # already one: pressing twice is not an error
        return case.convert_to_support_request(now, "stopped_waiting")

    return await change_case(ctx, by_token(token), decide)


async def end_chat(ctx: ServiceContext, token: str) -> list[Event]:
    """The customer ends the chat (after confirming on the page)."""
    return await change_case(ctx, by_token(token), lambda case: case.end_chat("customer"))


async def set_presence(ctx: ServiceContext, token: str, connected: bool) -> Case:
    """Record the customer's socket coming or going (the grace-period sweep reads it).

    Only a change is written: a new chat's page (connected since it was opened) or a second
    tab costs one read, not a turn at the write lock, so thousands of sockets can connect.
    """
    now = ctx.clock.now()
    async with ctx.db.read() as reader:
        case = await case_for_token(reader, token)
    if not case.customer_presence(connected, now).changed():
        return case
    async with ctx.db.uow() as uow:
        case = await case_for_token(uow, token)
        await uow.cases.apply(case.customer_presence(connected, now))
        await uow.commit()
    return case


async def customers_gone(ctx: ServiceContext, case_ids: Sequence[int]) -> None:
    """The worker that held these customers' sockets died: they count as gone from now."""
    now = ctx.clock.now()
    async with ctx.db.uow() as uow:
        for case_id in case_ids:
            case = await uow.cases.get(case_id)
            if case is None or case.deleted:
                continue
            change = case.customer_presence(False, now)
            if change.changed():
                await uow.cases.apply(change)
        await uow.commit()
