"""An agent's thread reply with files (Slack's `file_share`): the text and the files the case may
take reach the customer as one message; the files are copied into casebridge's store first.

Only the assignee's replies go to the customer, as for text (the case says who); nothing is
downloaded for a reply that would be refused, nor for a Slack event already handled. Each file
is judged like a customer's: by its bytes (sniffed), against the per-file and per-case limits.
A file that is refused or cannot be had from Slack stays behind, named in the answer, so the
agent can be told; the text and the other files still go.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from bridge.core.attachments import clean_file_name, judge_attachment
from bridge.core.errors import InvalidInput, NotAllowed
from bridge.core.events import AgentMessagePosted, Event, SharedFile
from bridge.core.text import clean_message
from bridge.files.sniff import sniff_kind
from bridge.ports import (
    FileFetchError,
    FileFetchRefused,
    FileFetchTooLarge,
    FileSource,
    SlackFileRef,
)
from bridge.services.attachments import FILE_MARK
from bridge.services.changes import load_case
from bridge.services.context import ServiceContext, commit
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeftBehind:
    """A file of the reply the customer did not get, and why (a refusal code)."""

    name: str
    code: str  # file_too_large, case_files_full, file_type, file_empty, not_fetched, …


@dataclass(frozen=True)
class AgentReply:
    """What became of an agent's reply with files."""

    events: list[Event] = field(default_factory=list)
    left_behind: list[LeftBehind] = field(default_factory=list)
    duplicate: bool = False  # a redelivery of a reply already handled: nothing was done

    @property
    def relayed(self) -> bool:
        return any(isinstance(e, AgentMessagePosted) for e in self.events)


@dataclass(frozen=True)
class _Kept:
    name: str
    kind: str
    size: int
    key: str


def _keys(case_id: int, slack_ts: str | None, event_id: str | None) -> list[str]:
    """The marks that make a Slack message count once (as `post_agent_message` records them)."""
    keys = [f"event:{event_id}"] if event_id else []
    return keys + ([f"agent:{case_id}:{slack_ts}"] if slack_ts else [])


async def _handled_before(uow: UnitOfWork, keys: Sequence[str]) -> bool:
    return any([await uow.processed.known(key) for key in keys])


async def post_agent_reply_with_files(
    ctx: ServiceContext,
    case_id: int,
    agent_id: str,
    text: str,
    files: Sequence[SlackFileRef],
    source: FileSource,
    slack_ts: str | None = None,
    event_id: str | None = None,
) -> AgentReply:
    """Relay the assignee's reply and its files; NotAllowed (said to the agent) for anyone
    else's, InvalidInput for text that cannot be sent. Once per Slack message."""
    body = clean_message(text) if text.strip() else ""
    keys = _keys(case_id, slack_ts, event_id)
    async with ctx.db.read() as uow:
        case = await load_case(uow, case_id)
        if await _handled_before(uow, keys):
            return AgentReply(duplicate=True)
        refusal = case.reply_refusal(agent_id)
        total = await uow.attachments.case_total(case_id)
    if refusal is not None:
        # Nothing is fetched for a reply that goes nowhere; said to the agent once.
        if await _remember(ctx, keys):
            raise NotAllowed(refusal, "not_relayed")
        return AgentReply(duplicate=True)

    kept, left = await _fetch_and_keep(ctx, case_id, files, source, total)
    return await _record(ctx, case_id, agent_id, body, kept, left, keys, slack_ts)


async def _fetch_and_keep(
    ctx: ServiceContext,
    case_id: int,
    files: Sequence[SlackFileRef],
    source: FileSource,
    total: int,
) -> tuple[list[_Kept], list[LeftBehind]]:
    """Each file downloaded, judged by its bytes and stored; or left behind with its reason."""
    limits = ctx.attachment_limits
    kept: list[_Kept] = []
    left: list[LeftBehind] = []
    for ref in files:
        name = clean_file_name(ref.name)
        if ctx.files is None:
            left.append(LeftBehind(name, "files_disabled"))
            continue
        try:
            if ref.size is not None and ref.size > 0:
                # Slack's own word first: no download for what could never be taken.
                judge_attachment("text/plain", ref.size, total, limits)
            content = await source.fetch(ref, limits.file_bytes)
            kind = judge_attachment(sniff_kind(content), len(content), total, limits)
        except InvalidInput as refused:
            left.append(LeftBehind(name, refused.code))
            continue
        except FileFetchTooLarge:
            left.append(LeftBehind(name, "file_too_large"))
            continue
        except FileFetchRefused as refused:
            log.warning("case %s: Slack refused a shared file: %s", case_id, refused)
            left.append(LeftBehind(name, "not_fetched"))
            continue
        except FileFetchError as failed:
            log.warning("case %s: a shared file could not be fetched: %s", case_id, failed)
            left.append(LeftBehind(name, "not_fetched"))
            continue
        # The bytes go to the store before the record: a crash in between leaves an orphan
        # file, never a recorded file without its bytes.
        try:
            key = await ctx.files.put(f"case-{case_id}", content)
        except OSError:
            log.warning("case %s: a shared file could not be stored", case_id)
            left.append(LeftBehind(name, "not_stored"))
            continue
        total += len(content)
        kept.append(_Kept(name, kind, len(content), key))
    return kept, left


async def _record(
    ctx: ServiceContext,
    case_id: int,
    agent_id: str,
    body: str,
    kept: list[_Kept],
    left: list[LeftBehind],
    keys: Sequence[str],
    slack_ts: str | None,
) -> AgentReply:
    now = ctx.clock.now()
    unused: list[str] = []  # stored copies nobody records, removed after the transaction
    committed = False
    try:
        async with ctx.db.uow() as uow:
            case = await load_case(uow, case_id)
            if not all([await uow.processed.first_time(key, now) for key in keys]):
                # Another delivery of the same message won the race: its copies are kept.
                unused = [k.key for k in kept]
                return AgentReply(duplicate=True)
            refusal = case.reply_refusal(agent_id)
            if refusal is not None:  # the case moved while the files came
                await uow.commit()
                unused = [k.key for k in kept]
                raise NotAllowed(refusal, "not_relayed")
            # Judged again against the case as it is now (the customer may have attached too).
            total = await uow.attachments.case_total(case_id)
            taken: list[_Kept] = []
            for file in kept:
                try:
                    judge_attachment(file.kind, file.size, total, ctx.attachment_limits)
                except InvalidInput as refused:
                    left.append(LeftBehind(file.name, refused.code))
                    unused.append(file.key)
                    continue
                total += file.size
                taken.append(file)
            if not body and not taken:
                await uow.commit()  # handled: a redelivery is not answered again
                return AgentReply(left_behind=left)
            lines = [*([body] if body else []), *(f"{FILE_MARK} {f.name}" for f in taken)]
            text = "\n".join(lines)
            agent = await uow.agents.get(agent_id)
            name = agent.display_name if agent else ""
            message = await uow.cases.add_message(
                case_id,
                direction="agent",
                author=name or agent_id,
                text=text,
                now=now,
                slack_ts=slack_ts,
            )
            shared: list[SharedFile] = []
            for file in taken:
                attachment_id = await uow.attachments.add(
                    case_id,
                    message_id=message.id,
                    direction="agent",
                    name=file.name,
                    kind=file.kind,
                    size=file.size,
                    storage_key=file.key,
                    now=now,
                )
                shared.append(SharedFile(attachment_id, file.name, file.kind, file.size))
            events: list[Event] = [
                AgentMessagePosted(case_id, message.id, agent_id, text, name, tuple(shared))
            ]
            await commit(ctx, uow, events)
            committed = True
        return AgentReply(events, left)
    except BaseException:
        if not committed:
            # Refused, or the database failed (the inbox handles the event again and fetches
            # afresh): these copies would be orphans.
            unused = [k.key for k in kept]
        raise
    finally:
        await _drop(ctx, unused)


async def _remember(ctx: ServiceContext, keys: Sequence[str]) -> bool:
    """Record the message as handled; False when it already was."""
    now = ctx.clock.now()
    async with ctx.db.uow() as uow:
        first = all([await uow.processed.first_time(key, now) for key in keys])
        await uow.commit()
    return first


async def _drop(ctx: ServiceContext, keys: Sequence[str]) -> None:
    """Remove stored copies nobody will record (best effort: an orphan harms no one)."""
    if ctx.files is None:
        return
    for key in keys:
        try:
            await ctx.files.delete(key)
        except OSError:
            log.warning("a stored copy of a shared file could not be removed")
