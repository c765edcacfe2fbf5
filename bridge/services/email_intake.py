"""Customers' emails: into their case's thread, or a new support request — each exactly once."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bridge.core.cases import Case, CaseStatus
from bridge.core.errors import DomainError
from bridge.core.events import CustomerEmailed, Event, UnmatchedEmailReceived
from bridge.core.inbound_email import (
    InboundEmail,
    case_number_from_addresses,
    case_number_from_references,
    portal_from_addresses,
    same_address,
    split_name,
)
from bridge.core.portals import Portal
from bridge.core.text import MAX_MESSAGE_LENGTH
from bridge.services import intake
from bridge.services.context import ServiceContext, commit
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmailReceipt:
    """What became of one email: posted, opened, unmatched, automated or duplicate."""

    outcome: str
    case_id: int | None = None


def _key(mail: InboundEmail) -> str:
    return f"mail:{mail.message_id[:190]}"


def _body(mail: InboundEmail) -> str:
    """The text the case keeps: the reply, else the attachments' names, within the cap."""
    text = mail.text.strip()
    if not text and mail.attachments:
        text = "(attachments only: " + ", ".join(mail.attachments) + ")"
    text = text or "(empty email)"
    return text if len(text) <= MAX_MESSAGE_LENGTH else text[: MAX_MESSAGE_LENGTH - 1] + "…"


async def _case_for(uow: UnitOfWork, mail: InboundEmail) -> Case | None:
    number = case_number_from_addresses(mail.recipients) or case_number_from_references(
        mail.references
    )
    return await uow.cases.get(number) if number is not None else None


async def _portal_for(uow: UnitOfWork, mail: InboundEmail, case: Case | None) -> Portal | None:
    """A portal address (support+acme@…), else the portal of the (deleted) case it answers."""
    subdomain = portal_from_addresses(mail.recipients)
    portal = await uow.portals.by_subdomain(subdomain) if subdomain else None
    if portal is None and case is not None:
        portal = await uow.portals.get(case.portal_id)
    return portal if portal is not None and portal.active else None


async def _into_case(
    ctx: ServiceContext, uow: UnitOfWork, case: Case, mail: InboundEmail
) -> list[Event]:
    """Keep the reply in the case; a resolved case is reopened for its last assignee."""
    now = ctx.clock.now()
    message = await uow.cases.add_message(
        case.id,
        direction="customer",
        author=case.customer.full_name,
        text=_body(mail),
        now=now,
        original=mail.original,
    )
    events: list[Event] = []
    if case.status is CaseStatus.RESOLVED and case.assignee_id:
        assignee = await uow.agents.get(case.assignee_id)
        name = assignee.display_name if assignee else ""
        reopened = case.reopen(case.assignee_id, now, name)
        if await uow.cases.apply(reopened):
            events += reopened.events
    events.append(
        CustomerEmailed(
            case.id,
            message_id=message.id,
            customer_name=case.customer.full_name,
            sender=mail.sender,
            from_customer=same_address(mail.sender, case.customer.email),
            assignee=case.assignee_id,
            attachments=mail.attachments,
        )
    )
    return events


async def receive_email(ctx: ServiceContext, mail: InboundEmail) -> EmailReceipt:
    """Act on one email a customer sent us; a second delivery of it changes nothing."""
    async with ctx.db.uow() as uow:
        if not await uow.processed.first_time(_key(mail), ctx.clock.now()):
            return EmailReceipt("duplicate")
        if mail.automated:
            # Remembered so it is never looked at again, but it never reopens or answers.
            log.info("ignored an automatic email: %s", mail.automated)
            await uow.commit()
            return EmailReceipt("automated")
        case = await _case_for(uow, mail)
        if case is not None and not case.deleted:
            events = await _into_case(ctx, uow, case, mail)
            await commit(ctx, uow, events)
            return EmailReceipt("posted", case.id)
        portal = await _portal_for(uow, mail, case)
        if portal is None or not mail.sender:
            await commit(ctx, uow, [UnmatchedEmailReceived(mail.sender, mail.subject)])
            return EmailReceipt("unmatched")
    return await _open_request(ctx, portal, mail)


async def _open_request(ctx: ServiceContext, portal: Portal, mail: InboundEmail) -> EmailReceipt:
    """A new support request on the portal the email was for, with its text as the question."""
    first, last = split_name(mail.sender_name, mail.sender)
    request = intake.NewCase(
        subdomain=portal.subdomain,
        first_name=first,
        last_name=last,
        email=mail.sender,
        question=_body(mail),
        language=portal.language,
        support_request=True,
        # The Message-ID makes opening idempotent: a redelivery after a crash gets the same case.
        request_id=f"email:{mail.message_id}",
    )
    try:
        opened = await intake.open_case(ctx, request)
    except DomainError as refused:
        # An address our rules refuse (say, too long): admins hear of it rather than nobody.
        log.warning("an email could not open a case: %s", refused)
        async with ctx.db.uow() as uow:
            await commit(ctx, uow, [UnmatchedEmailReceived(mail.sender, mail.subject)])
        return EmailReceipt("unmatched")
    # Opening commits on its own; a redelivery before this line finds the case by its request id.
    async with ctx.db.uow() as uow:
        await uow.processed.first_time(_key(mail), ctx.clock.now())
        await uow.commit()
    return EmailReceipt("opened", opened.case.id)
