"""Cases and their messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bridge.core.cases import Case, CaseStatus, CaseType, Customer, DeviceInfo
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
        customer_connected=row.customer_connected,
        customer_left_at=row.customer_left_at,
        chat_ended=row.chat_ended,
        queued=row.queued,
        deleted=row.deleted_at is not None,
    )


def _to_message(row: MessageRow) -> StoredMessage:
    return StoredMessage(
        row.id, row.case_id, row.direction, row.author, row.text, row.created_at, row.slack_ts
    )


class CaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        portal_id: int,
        token_hash: str,
        customer: Customer,
        case_type: CaseType,
        status: CaseStatus,
        assignee_id: str | None,
        question: str,
        device: DeviceInfo,
        language: str,
        now: datetime,
        queued: bool,
    ) -> Case:
        """Insert a new case and return it with its id."""
        row = CaseRow(
            portal_id=portal_id,
            token_hash=token_hash,
            type=case_type.value,
            status=status.value,
            assignee_id=assignee_id,
            first_name=customer.first_name,
            last_name=customer.last_name,
            email=customer.email,
            question=question,
            device=device.as_dict(),
            language=language,
            created_at=now,
            claimed_at=now if assignee_id else None,
            customer_connected=case_type is CaseType.LIVE_CHAT,
            chat_ended=case_type is CaseType.SUPPORT_REQUEST,
            queued=queued,
        )
        self.session.add(row)
        await self.session.flush()
        return to_case(row)

    async def get(self, case_id: int) -> Case | None:
        row = await self.session.get(CaseRow, case_id, populate_existing=True)
        return to_case(row) if row else None

    async def get_by_token_hash(self, token_hash: str) -> Case | None:
        row = (
            await self.session.execute(select(CaseRow).where(CaseRow.token_hash == token_hash))
        ).scalar_one_or_none()
        return to_case(row) if row else None

    async def move(self, case_id: int, *, expect: dict[str, Any], values: dict[str, Any]) -> bool:
        """Conditional UPDATE: apply `values` only if every column still has its `expect`ed value.

        This is how claims, conversions and hand-outs stay exactly-once across concurrent
        requests and workers: the database decides the winner, not the process.
        """
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

    async def set_fields(self, case_id: int, **values: Any) -> None:
        """Unconditional update of plain fields (flags, Slack ts…)."""
        await self.session.execute(
            update(CaseRow)
            .where(CaseRow.id == case_id)
            .values(**values)
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

    async def waiting_live_chats(self) -> Sequence[Case]:
        """Unclaimed live chats: the candidates of the abandonment and wait-warning sweeps."""
        rows = (
            await self.session.execute(
                select(CaseRow).where(
                    CaseRow.status == CaseStatus.UNASSIGNED.value,
                    CaseRow.type == CaseType.LIVE_CHAT.value,
                    CaseRow.deleted_at.is_(None),
                )
            )
        ).scalars()
        return [to_case(r) for r in rows]

    async def mark_warned(self, case_id: int, now: datetime) -> bool:
        """Record the wait warning; False when it was already given (so it is given once)."""
        return await self.move(case_id, expect={"warned_at": None}, values={"warned_at": now})

    async def unseen_agent_messages(self, before: datetime) -> Sequence[StoredMessage]:
        """Agent chat replies older than `before`, never seen and never emailed, whose
        customer is not connected."""
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
            )
        ).scalars()
        return [_to_message(r) for r in rows]

    async def mark_emailed(self, message_id: int, now: datetime) -> bool:
        """Claim the message for emailing; False if a concurrent sweep already did."""
        result = await self.session.execute(
            update(MessageRow)
            .where(MessageRow.id == message_id, MessageRow.emailed_at.is_(None))
            .values(emailed_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def mark_seen(self, case_id: int, up_to: int, now: datetime) -> None:
        """The customer's page showed every message up to `up_to`."""
        await self.session.execute(
            update(MessageRow)
            .where(
                MessageRow.case_id == case_id, MessageRow.id <= up_to, MessageRow.seen_at.is_(None)
            )
            .values(seen_at=now)
            .execution_options(synchronize_session=False)
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
        row = MessageRow(
            case_id=case_id,
            direction=direction,
            author=author,
            text=text,
            created_at=now,
            slack_ts=slack_ts,
            original=original,
        )
        self.session.add(row)
        await self.session.flush()
        return _to_message(row)

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

    async def erase(self, case_id: int, now: datetime) -> None:
        """Remove every piece of the customer's personal data; keep the bare case row."""
        await self.session.execute(delete(MessageRow).where(MessageRow.case_id == case_id))
        await self.set_fields(
            case_id,
            first_name="",
            last_name="",
            email="",
            question="",
            device={},
            customer_connected=False,
            deleted_at=now,
        )
