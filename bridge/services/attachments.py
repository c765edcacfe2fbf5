"""Customers' files: judged, stored, recorded with the case, and the Slack upload's progress."""

from __future__ import annotations

from dataclasses import dataclass

from bridge.core.attachments import clean_file_name, judge_attachment
from bridge.core.errors import InvalidInput
from bridge.core.events import CustomerFileAttached, Event
from bridge.files.sniff import sniff_kind
from bridge.services.context import ServiceContext, commit
from bridge.services.customer import case_for_token
from storage.repositories.attachments import StoredAttachment
from storage.uow import Database

FILE_MARK = "📎"


@dataclass(frozen=True)
class Attached:
    """What the customer's page needs to show the file it just sent."""

    attachment_id: int
    message_id: int
    name: str
    kind: str
    size: int


async def attach_customer_file(
    ctx: ServiceContext, token: str, name: str, content: bytes
) -> Attached:
    """The customer attaches a file: it is judged by its bytes, kept, and goes to the thread."""
    if ctx.files is None:
        raise InvalidInput("file", "attachments are not enabled here", "files_disabled")
    clean = clean_file_name(name)
    kind = sniff_kind(content)
    now = ctx.clock.now()
    async with ctx.db.read() as uow:
        case = await case_for_token(uow, token)
        case.check_customer_may_write()
        judge_attachment(
            kind, len(content), await uow.attachments.case_total(case.id), ctx.attachment_limits
        )
    # The bytes go to the store first: a crash before the commit leaves an orphan file,
    # never a recorded attachment without its bytes.
    key = await ctx.files.put(f"case-{case.id}", content)
    async with ctx.db.uow() as uow:
        case = await case_for_token(uow, token)
        case.check_customer_may_write()
        total = await uow.attachments.case_total(case.id)
        checked = judge_attachment(kind, len(content), total, ctx.attachment_limits)
        author = case.customer.full_name
        message = await uow.cases.add_message(
            case.id, direction="customer", author=author, text=f"{FILE_MARK} {clean}", now=now
        )
        attachment_id = await uow.attachments.add(
            case.id,
            message_id=message.id,
            direction="customer",
            name=clean,
            kind=checked,
            size=len(content),
            storage_key=key,
            now=now,
        )
        events: list[Event] = [
            CustomerFileAttached(case.id, message.id, attachment_id, clean, author)
        ]
        await commit(ctx, uow, events)
    return Attached(attachment_id, message.id, clean, checked, len(content))


async def customer_file(
    ctx: ServiceContext, token: str, attachment_id: int
) -> tuple[StoredAttachment, bytes]:
    """A file of the customer's own case, with its bytes (unknown to any other token)."""
    if ctx.files is None:
        raise InvalidInput("file", "attachments are not enabled here", "files_disabled")
    async with ctx.db.read() as uow:
        case = await case_for_token(uow, token)
        found = await uow.attachments.get(attachment_id)
    if found is None or found.case_id != case.id:
        raise InvalidInput("file", "no such file in this case", "unknown_file")
    return found, await ctx.files.get(found.storage_key)


async def record_slack_upload(db: Database, attachment_id: int, file_id: str, url: str) -> None:
    """Remember the Slack file a delivery started, before its bytes go out."""
    async with db.uow() as uow:
        await uow.attachments.set_slack_upload(attachment_id, file_id, url)
        await uow.commit()


async def case_files(ctx: ServiceContext, case_id: int) -> list[StoredAttachment]:
    """A case's files that still have their bytes, oldest first (emails, the transcript)."""
    async with ctx.db.read() as uow:
        return [f for f in await uow.attachments.of_case(case_id) if f.storage_key and f.name]


async def linked_file(ctx: ServiceContext, attachment_id: int) -> tuple[StoredAttachment, str]:
    """A file a signed link names, and its case's language; unknown once the case is deleted."""
    async with ctx.db.read() as uow:
        found = await uow.attachments.get(attachment_id)
        case = await uow.cases.get(found.case_id) if found else None
    if found is None or not found.storage_key or case is None or case.deleted:
        raise InvalidInput("file", "no such file", "unknown_file")
    return found, case.language


async def file_bytes(ctx: ServiceContext, found: StoredAttachment) -> bytes:
    """The bytes of a file (FileNotFoundError if the store lost them)."""
    if ctx.files is None:
        raise InvalidInput("file", "attachments are not enabled here", "files_disabled")
    return await ctx.files.get(found.storage_key)
