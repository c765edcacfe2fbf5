"""The outbox: outgoing work recorded with the change that caused it, delivered later."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CaseRow, OutboxRow

PENDING, SENT, FAILED = "pending", "sent", "failed"
# What an erased item keeps: ids, and where in Slack its post is (to delete it there too).
_IDS = frozenset({"case_id", "message_id", "user", "agent", "template"})
_LOCATION = frozenset({"channel", "ts"})


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: str
    ordering_key: str
    case_id: int | None
    operation: str
    payload: dict[str, Any]
    attempts: int
    status: str = PENDING
    last_error: str | None = None


def _to_item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(
        row.id,
        row.kind,
        row.ordering_key,
        row.case_id,
        row.operation,
        dict(row.payload),
        row.attempts,
        row.status,
        row.last_error,
    )


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        kind: str,
        ordering_key: str,
        operation: str,
        payload: dict[str, Any],
        now: datetime,
        case_id: int | None = None,
    ) -> int:
        """Record one piece of outgoing work; it goes out after this transaction commits."""
        row = OutboxRow(
            kind=kind,
            ordering_key=ordering_key,
            case_id=case_id,
            operation=operation,
            payload=payload,
            status=PENDING,
            attempts=0,
            not_before=now,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def due(self, now: datetime, limit: int = 100) -> Sequence[OutboxItem]:
        """The oldest pending item of each ordering key, if its time has come.

        Only heads are due, so a later item never overtakes an earlier one of the same key.
        """
        heads = (
            select(func.min(OutboxRow.id))
            .where(OutboxRow.status == PENDING)
            .group_by(OutboxRow.ordering_key)
        )
        rows = (
            (
                await self.session.execute(
                    select(OutboxRow)
                    .where(OutboxRow.id.in_(heads), OutboxRow.not_before <= now)
                    .order_by(OutboxRow.id)
                    .limit(limit)
                )
            )
            .scalars()
            .all()
        )
        return [_to_item(r) for r in rows]

    async def has_pending(self, ordering_key: str, operation: str) -> bool:
        """Whether such work is waiting and not yet started (so it need not be queued twice).

        Work already in flight does not count: it may have read the state this new request
        is about to change.
        """
        found = (
            await self.session.execute(
                select(OutboxRow.id)
                .where(
                    OutboxRow.ordering_key == ordering_key,
                    OutboxRow.operation == operation,
                    OutboxRow.status == PENDING,
                    OutboxRow.attempts == 0,
                )
                .limit(1)
            )
        ).first()
        return found is not None

    async def begin_attempt(self, item_id: int, now: datetime, lease: timedelta) -> bool:
        """Take the item for one delivery attempt, leased until `now + lease`.

        False when another worker holds it or it is no longer due. A worker that dies holding
        the lease leaves `attempts` raised, which tells the next one to check before re-posting.
        """
        result = await self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id == item_id, OutboxRow.status == PENDING, OutboxRow.not_before <= now
            )
            .values(attempts=OutboxRow.attempts + 1, not_before=now + lease)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def following(self, item: OutboxItem, limit: int = 50) -> Sequence[OutboxItem]:
        """Pending items queued after `item` under the same ordering key, in order."""
        rows = (
            (
                await self.session.execute(
                    select(OutboxRow)
                    .where(
                        OutboxRow.ordering_key == item.ordering_key,
                        OutboxRow.id > item.id,
                        OutboxRow.status == PENDING,
                    )
                    .order_by(OutboxRow.id)
                    .limit(limit)
                )
            )
            .scalars()
            .all()
        )
        return [_to_item(r) for r in rows]

    async def get(self, item_id: int) -> OutboxItem | None:
        row = await self.session.get(OutboxRow, item_id, populate_existing=True)
        return _to_item(row) if row else None

    async def mark_sent(self, item_id: int, result: dict[str, Any], now: datetime) -> None:
        await self._set(item_id, status=SENT, result=result, done_at=now)

    async def mark_failed(self, item_id: int, error: str, now: datetime) -> None:
        """A permanent failure: never retried, kept with its reason for admins to see."""
        await self._set(item_id, status=FAILED, last_error=error, done_at=now)

    async def retry_later(self, item_id: int, not_before: datetime, error: str) -> None:
        await self._set(item_id, not_before=not_before, last_error=error)

    async def failed(self, limit: int = 50) -> Sequence[OutboxItem]:
        rows = (
            (
                await self.session.execute(
                    select(OutboxRow)
                    .where(OutboxRow.status == FAILED)
                    .order_by(OutboxRow.id.desc())
                    .limit(limit)
                )
            )
            .scalars()
            .all()
        )
        return [_to_item(r) for r in rows]

    async def drop_pending_for_case(self, case_id: int) -> None:
        """Forget queued work that carries a deleted case's personal data."""
        await self.session.execute(
            delete(OutboxRow).where(OutboxRow.case_id == case_id, OutboxRow.status == PENDING)
        )

    async def erase_case(self, case_id: int) -> None:
        """Strip a deleted case's delivered work down to ids: no text, names or addresses.

        What is kept (the case, message and agent ids, the channel and ts of what was posted)
        is what deleting the posts from Slack afterwards needs, and names no customer.
        """
        rows = (
            (await self.session.execute(select(OutboxRow).where(OutboxRow.case_id == case_id)))
            .scalars()
            .all()
        )
        for row in rows:
            row.payload = {k: v for k, v in row.payload.items() if k in _IDS}
            row.result = {k: v for k, v in (row.result or {}).items() if k in _LOCATION}
            row.last_error = "erased" if row.last_error else None

    async def posted_for_case(
        self, case_id: int, operations: Sequence[str]
    ) -> list[tuple[str, str]]:
        """(channel, ts) of what these operations posted for the case."""
        results = (
            await self.session.execute(
                select(OutboxRow.result).where(
                    OutboxRow.case_id == case_id,
                    OutboxRow.status == SENT,
                    OutboxRow.operation.in_(operations),
                )
            )
        ).scalars()
        return [
            (str(r["channel"]), str(r["ts"]))
            for r in results
            if isinstance(r, dict) and r.get("channel") and r.get("ts")
        ]

    async def prune_done(
        self, older_than: datetime, keep: Sequence[str] = (), limit: int = 5000
    ) -> int:
        """Delete up to `limit` sent or failed items finished before `older_than`, except those
        of the `keep` operations whose case is still open for deletion; returns how many."""
        live_cases = select(CaseRow.id).where(CaseRow.deleted_at.is_(None))
        oldest = (
            select(OutboxRow.id)
            .where(
                OutboxRow.status.in_((SENT, FAILED)),
                OutboxRow.done_at < older_than,
                ~(OutboxRow.operation.in_(keep) & OutboxRow.case_id.in_(live_cases)),
            )
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        result = await self.session.execute(
            delete(OutboxRow).where(OutboxRow.id.in_(oldest.scalar_subquery()))
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def _set(self, item_id: int, **values: Any) -> None:
        await self.session.execute(
            update(OutboxRow).where(OutboxRow.id == item_id).values(**values)
        )
