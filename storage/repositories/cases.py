"""Cases and their messages."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bridge.core.cases import Case, CaseStatus, CaseType, Change, Customer, DeviceInfo
from storage.models import CaseRow, MessageRow


@dataclass(frozen=True)
class StoredMessage:
    id: int
    case_id: int
    direction: str
    author: str
    text: str
    created_at: datetime
    slack_ts: str | None = None


@dataclass(frozen=True)
class ReplyFate:
    case_id: int
    slack_ts: str | None
    delivered: bool
    seen: bool
    emailed: bool
    shown: str | None  # the reaction currently on the reply in Slack


def to_case(row: CaseRow) -> Case:
    """Row → core Case."""
    return Case(
        id=row.id,
        portal_id=row.portal_id,
        customer=Customer(row.first_name, row.last_name, row.email),
        type=CaseType(row.type),
        status=CaseStatus(row.status),
        assignee_id=row.assignee_id,
        question=row.question,
        device=DeviceInfo(**row.device),
        language=row.language,
        created_at=row.created_at,
        claimed_at=row.claimed_at,
        resolved_at=row.resolved_at,
        converted_at=row.converted_at,
        conversion_reason=row.conversion_reason,
        customer_connected=row.customer_connected,
        customer_left_at=row.customer_left_at,
        chat_ended=row.chat_ended,
        queued=row.queued,
        deleted_at=row.deleted_at,
    )


def _columns(name: str, value: object) -> dict[str, Any]:
    """One field of a core Case as the column(s) that store it."""
    if isinstance(value, Customer):
        return {"first_name": value.first_name, "last_name": value.last_name, "email": value.email}
    if isinstance(value, DeviceInfo):
        return {name: value.as_dict()}
    if isinstance(value, enum.Enum):
        return {name: value.value}
    return {name: value}


def _row_values(fields: dict[str, object]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in fields.items():
        values.update(_columns(name, value))
    return values


def _to_message(row: MessageRow) -> StoredMessage:
    return StoredMessage(
        row.id, row.case_id, row.direction, row.author, row.text, row.created_at, row.slack_ts
    )


class CaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, case: Case, token_hash: str, request_key: str | None = None) -> Case:
        """Store a new case (as the core opened it) and return it with its id."""
        values = _row_values({f: getattr(case, f) for f in Case.__dataclass_fields__})
        del values["id"]
        # One INSERT … RETURNING, without the ORM's flush machinery: intake's hottest write.
        new_id = (
            await self.session.execute(
                insert(CaseRow)
                .values(token_hash=token_hash, request_key=request_key, **values)
                .returning(CaseRow.id)
            )
        ).scalar_one()
        return replace(case, id=new_id)

    async def get(self, case_id: int) -> Case | None:
        row = await self.session.get(CaseRow, case_id, populate_existing=True)
        return to_case(row) if row else None

    async def by_request_key(self, request_key: str) -> Case | None:
        """The case a customer's page already opened with this request (its SHA-256)."""
        row = (
            await self.session.execute(select(CaseRow).where(CaseRow.request_key == request_key))
        ).scalar_one_or_none()
        return to_case(row) if row else None

    async def replace_token(self, case_id: int, token_hash: str) -> None:
        """Give the case a new token (the page that asked again never saw the first one)."""
        await self.session.execute(
            update(CaseRow).where(CaseRow.id == case_id).values(token_hash=token_hash)
        )

    async def get_by_token_hash(self, token_hash: str) -> Case | None:
        row = (
            await self.session.execute(select(CaseRow).where(CaseRow.token_hash == token_hash))
        ).scalar_one_or_none()
        return to_case(row) if row else None

    async def apply(self, change: Change) -> bool:
        """Write the core's move old → new, if its precondition still holds; False if not.

        The changed fields become the SET and `change.expect` the WHERE of one conditional
        UPDATE: this is how claims, conversions and hand-outs stay exactly-once across
        concurrent requests and workers: the database decides the winner, not the process.
        """
        changed = change.changed()
        if not changed:
            return True
        return await self._conditional_update(
            change.old.id, _row_values(change.expect), _row_values(changed)
        )

    async def _conditional_update(
        self, case_id: int, expect: dict[str, Any], values: dict[str, Any]
    ) -> bool:
        conditions = [CaseRow.id == case_id, CaseRow.deleted_at.is_(None)]
        for column, value in expect.items():
            attr = getattr(CaseRow, column)
            conditions.append(attr.is_(None) if value is None else attr == value)
        result = await self.session.execute(
            update(CaseRow)
            .where(*conditions)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def set_slack_message(self, case_id: int, channel: str, ts: str) -> None:
        """Where the case's Slack message is, once posted (its thread is the conversation)."""
        await self.session.execute(
            update(CaseRow)
            .where(CaseRow.id == case_id)
            .values(slack_channel=channel, slack_ts=ts)
            .execution_options(synchronize_session=False)
        )

    async def by_slack_thread(self, channel: str, ts: str) -> Case | None:
        """The case whose Slack message is `ts` in `channel` (its thread is the conversation)."""
        row = (
            await self.session.execute(
                select(CaseRow).where(CaseRow.slack_channel == channel, CaseRow.slack_ts == ts)
            )
        ).scalar_one_or_none()
        return to_case(row) if row else None

    async def open_threads(self) -> list[OpenThread]:
        """Threads whose replies may still reach a customer: assigned, chat going, not erased."""
        return await _open_threads(self.session)

    async def slack_message(self, case_id: int) -> tuple[str, str] | None:
        """(channel, ts) of the case's Slack message, once it has been posted."""
        row = await self.session.get(CaseRow, case_id)
        if row is None or not row.slack_channel or not row.slack_ts:
            return None
        return row.slack_channel, row.slack_ts

    async def newest(
        self, *, status: CaseStatus | None = None, assignee: str | None = None, limit: int = 10
    ) -> tuple[list[Case], int]:
        """Up to `limit` cases, newest first, and how many match in all."""
        conditions: list[ColumnElement[bool]] = [CaseRow.deleted_at.is_(None)]
        if status is not None:
            conditions.append(CaseRow.status == status.value)
        if assignee is not None:
            conditions.append(CaseRow.assignee_id == assignee)
        total = (
            await self.session.execute(select(func.count()).select_from(CaseRow).where(*conditions))
        ).scalar_one()
        rows = (
            await self.session.execute(
                select(CaseRow).where(*conditions).order_by(CaseRow.id.desc()).limit(limit)
            )
        ).scalars()
        return [to_case(r) for r in rows], int(total)

    def _waiting(self) -> list[ColumnElement[bool]]:
        # The leading columns of ix_cases_status_type_created / _left: the database finds the
        # waiting chats by index and the deadline by range, never by reading them all.
        return [
            CaseRow.status == CaseStatus.UNASSIGNED.value,
            CaseRow.type == CaseType.LIVE_CHAT.value,
            CaseRow.deleted_at.is_(None),
            CaseRow.chat_ended.is_(False),  # a chat the customer ended waits for nobody
        ]

    async def due_conversions(
        self, left_before: datetime, opened_before: datetime, limit: int = 500
    ) -> list[tuple[Case, str]]:
        """Waiting live chats due to become support requests, with why: their customer left
        before `left_before` ("customer_left") or they were opened before `opened_before`
        ("max_wait"); at most `limit` of each."""
        gone = (
            await self.session.execute(
                select(CaseRow)
                .where(
                    *self._waiting(),
                    CaseRow.customer_connected.is_(False),
                    CaseRow.customer_left_at <= left_before,
                )
                .order_by(CaseRow.customer_left_at)
                .limit(limit)
            )
        ).scalars()
        due = {row.id: (to_case(row), "customer_left") for row in gone}
        too_long = (
            await self.session.execute(
                select(CaseRow)
                .where(*self._waiting(), CaseRow.created_at <= opened_before)
                .order_by(CaseRow.created_at)
                .limit(limit)
            )
        ).scalars()
        for row in too_long:
            due.setdefault(row.id, (to_case(row), "max_wait"))
        return list(due.values())

    async def due_wait_warnings(self, opened_before: datetime, limit: int = 500) -> list[Case]:
        """Waiting live chats opened before `opened_before` and not warned yet."""
        rows = (
            await self.session.execute(
                select(CaseRow)
                .where(
                    *self._waiting(),
                    CaseRow.created_at <= opened_before,
                    CaseRow.warned_at.is_(None),
                )
                .order_by(CaseRow.created_at)
                .limit(limit)
            )
        ).scalars()
        return [to_case(r) for r in rows]

    async def mark_warned_all(self, case_ids: Sequence[int], now: datetime) -> set[int]:
        """Record the wait warning of these cases in one statement; returns those not
        warned before (each is warned once, however many sweeps race)."""
        if not case_ids:
            return set()
        result = await self.session.execute(
            update(CaseRow)
            .where(CaseRow.id.in_(case_ids), CaseRow.warned_at.is_(None))
            .values(warned_at=now)
            .returning(CaseRow.id)
            .execution_options(synchronize_session=False)
        )
        return set(result.scalars())

    async def mark_emailed_all(self, message_ids: Sequence[int], now: datetime) -> set[int]:
        """Claim these messages for emailing in one statement; returns those this call won."""
        if not message_ids:
            return set()
        result = await self.session.execute(
            update(MessageRow)
            .where(MessageRow.id.in_(message_ids), MessageRow.emailed_at.is_(None))
            .values(emailed_at=now)
            .returning(MessageRow.id)
            .execution_options(synchronize_session=False)
        )
        return set(result.scalars())

    async def unseen_agent_messages(
        self, before: datetime, limit: int = 500
    ) -> Sequence[StoredMessage]:
        """Agent chat replies older than `before`, never seen and never emailed, whose
        customer is not connected (the oldest `limit`)."""
        rows = (
            await self.session.execute(
                select(MessageRow)
                .join(CaseRow, CaseRow.id == MessageRow.case_id)
                .where(
                    MessageRow.direction == "agent",
                    MessageRow.seen_at.is_(None),
                    MessageRow.emailed_at.is_(None),
                    MessageRow.created_at <= before,
                    CaseRow.customer_connected.is_(False),
                    CaseRow.deleted_at.is_(None),
                )
                .order_by(MessageRow.id)
                .limit(limit)
            )
        ).scalars()
        return [_to_message(r) for r in rows]

    async def _mark_agent_replies(
        self, case_id: int, up_to: int, column: str, values: dict[str, Any]
    ) -> list[int]:
        """Set `values` on the case's agent replies up to `up_to` whose `column` is unset."""
        unset = getattr(MessageRow, column).is_(None)
        scope = (MessageRow.case_id == case_id, MessageRow.id <= up_to, unset)
        ids = list(
            (
                await self.session.execute(
                    select(MessageRow.id).where(*scope, MessageRow.direction == "agent")
                )
            ).scalars()
        )
        await self.session.execute(
            update(MessageRow)
            .where(*scope)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return ids

    async def mark_seen(self, case_id: int, up_to: int, now: datetime) -> list[int]:
        """The customer's page showed every message up to `up_to`; the agent replies newly so."""
        await self._mark_agent_replies(case_id, up_to, "delivered_at", {"delivered_at": now})
        return await self._mark_agent_replies(case_id, up_to, "seen_at", {"seen_at": now})

    async def mark_delivered(self, case_id: int, up_to: int, now: datetime) -> list[int]:
        """The customer's browser received every message up to `up_to`; the replies newly so."""
        return await self._mark_agent_replies(case_id, up_to, "delivered_at", {"delivered_at": now})

    async def reply_fate(self, message_id: int) -> ReplyFate | None:
        """Where an agent reply stands, for the mark on it in Slack."""
        row = await self.session.get(MessageRow, message_id)
        if row is None or row.direction != "agent":
            return None
        return ReplyFate(
            case_id=row.case_id,
            slack_ts=row.slack_ts,
            delivered=row.delivered_at is not None,
            seen=row.seen_at is not None,
            emailed=row.emailed_at is not None,
            shown=row.fate_mark,
        )

    async def set_fate_mark(self, message_id: int, mark: str | None) -> None:
        await self.session.execute(
            update(MessageRow).where(MessageRow.id == message_id).values(fate_mark=mark)
        )

    async def set_message_ts(self, message_id: int, ts: str) -> None:
        await self.session.execute(
            update(MessageRow).where(MessageRow.id == message_id).values(slack_ts=ts)
        )

    async def queued(self, portal_id: int) -> Sequence[Case]:
        """Unassigned cases waiting in a portal's queue, oldest first."""
        rows = (
            (
                await self.session.execute(
                    select(CaseRow)
                    .where(
                        CaseRow.portal_id == portal_id,
                        CaseRow.queued.is_(True),
                        CaseRow.status == CaseStatus.UNASSIGNED.value,
                        CaseRow.deleted_at.is_(None),
                    )
                    .order_by(CaseRow.id)
                )
            )
            .scalars()
            .all()
        )
        return [to_case(r) for r in rows]

    async def count_by_status(self, status: CaseStatus) -> int:
        stmt = (
            select(func.count())
            .select_from(CaseRow)
            .where(CaseRow.status == status.value, CaseRow.deleted_at.is_(None))
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def add_message(
        self,
        case_id: int,
        *,
        direction: str,
        author: str,
        text: str,
        now: datetime,
        slack_ts: str | None = None,
        original: str | None = None,
    ) -> StoredMessage:
        """Append a message to the case's conversation."""
        new_id = (
            await self.session.execute(
                insert(MessageRow)
                .values(
                    case_id=case_id,
                    direction=direction,
                    author=author,
                    text=text,
                    created_at=now,
                    slack_ts=slack_ts,
                    original=original,
                )
                .returning(MessageRow.id)
            )
        ).scalar_one()
        return StoredMessage(new_id, case_id, direction, author, text, now, slack_ts)

    async def original(self, message_id: int) -> tuple[int, str] | None:
        """(case id, the email as it came) of a message that arrived by email."""
        row = await self.session.get(MessageRow, message_id)
        if row is None or row.original is None:
            return None
        return row.case_id, row.original

    async def messages(self, case_id: int) -> Sequence[StoredMessage]:
        rows = (
            (
                await self.session.execute(
                    select(MessageRow).where(MessageRow.case_id == case_id).order_by(MessageRow.id)
                )
            )
            .scalars()
            .all()
        )
        return [_to_message(r) for r in rows]

    async def drop_messages(self, case_id: int) -> None:
        """Remove the case's conversation (part of erasing the customer's personal data)."""
        await self.session.execute(delete(MessageRow).where(MessageRow.case_id == case_id))


@dataclass(frozen=True)
class OpenThread:
    """A live chat's Slack thread and the newest agent reply we know of in it."""

    case_id: int
    channel: str
    thread_ts: str
    last_agent_ts: str | None


async def _open_threads(session: AsyncSession) -> list[OpenThread]:
    newest_reply = (
        select(MessageRow.case_id, func.max(MessageRow.slack_ts).label("last_ts"))
        .where(MessageRow.direction == "agent", MessageRow.slack_ts.is_not(None))
        .group_by(MessageRow.case_id)
        .subquery()
    )
    rows = await session.execute(
        select(CaseRow.id, CaseRow.slack_channel, CaseRow.slack_ts, newest_reply.c.last_ts)
        .outerjoin(newest_reply, newest_reply.c.case_id == CaseRow.id)
        .where(
            CaseRow.deleted_at.is_(None),
            CaseRow.chat_ended.is_(False),
            CaseRow.assignee_id.is_not(None),
            CaseRow.slack_channel.is_not(None),
            CaseRow.slack_ts.is_not(None),
        )
        .order_by(CaseRow.id)
    )
    return [OpenThread(case_id, str(ch), str(ts), last) for case_id, ch, ts, last in rows.all()]
