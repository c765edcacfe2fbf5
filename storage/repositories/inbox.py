"""The inbox of inbound Slack requests: stored first, handled from here, exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxRow
from storage.repositories.dialects import dialect_insert


@dataclass(frozen=True)
class StoredRequest:
    """One request in the inbox, as the code that handles it needs it."""

    id: int
    key: str
    kind: str
    payload: dict[str, Any]
    status: str
    attempts: int
    received_at: datetime


def _stored(row: InboxRow) -> StoredRequest:
    return StoredRequest(
        row.id, row.key, row.kind, dict(row.payload), row.status, row.attempts, row.received_at
    )


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def receive(
        self, key: str, kind: str, payload: dict[str, Any], now: datetime
    ) -> StoredRequest:
        """Store the request under `key` unless it is there already; either way, return it."""
        await self.session.execute(
            dialect_insert(self.session)(InboxRow)
            .values(
                key=key, kind=kind, payload=payload, status="pending", attempts=0, received_at=now
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = (await self.session.execute(select(InboxRow).where(InboxRow.key == key))).scalar_one()
        return _stored(row)

    async def finish(self, inbox_id: int) -> None:
        """Handled: forgotten at once (requests carry people's words; the services remember
        event ids and message ts on their own, so a late retry is still recognised)."""
        await self.session.execute(
            delete(InboxRow).where(InboxRow.id == inbox_id, InboxRow.status == "pending")
        )

    async def note_failure(
        self, inbox_id: int, error: str, give_up_after: int, now: datetime
    ) -> bool:
        """Count a failed try; after `give_up_after` of them the request is parked as failed.

        True when it was parked now."""
        row = await self.session.get(InboxRow, inbox_id)
        if row is None or row.status != "pending":
            return False
        row.attempts += 1
        row.last_error = error[:2000]
        if row.attempts >= give_up_after:
            row.status, row.done_at = "failed", now
            return True
        return False

    async def pending(self, limit: int) -> list[StoredRequest]:
        """Requests not handled yet, oldest first."""
        rows = await self.session.execute(
            select(InboxRow).where(InboxRow.status == "pending").order_by(InboxRow.id).limit(limit)
        )
        return [_stored(row) for row in rows.scalars()]
