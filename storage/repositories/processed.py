"""Inbound events already handled, for exactly-once processing of retried deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedEventRow
from storage.repositories.dialects import dialect_insert


class ProcessedEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first_time(self, key: str, now: datetime) -> bool:
        """Record `key`; True only for the first caller ever (the rest are duplicates)."""
        result = await self.session.execute(
            dialect_insert(self.session)(ProcessedEventRow)
            .values(key=key, created_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def known(self, key: str) -> bool:
        """Whether `key` was recorded already (a read: it records nothing)."""
        found = await self.session.scalar(
            select(ProcessedEventRow.key).where(ProcessedEventRow.key == key)
        )
        return found is not None

    async def prune(self, older_than: datetime, limit: int = 5000) -> int:
        """Forget up to `limit` keys recorded before `older_than`; returns how many."""
        oldest = (
            select(ProcessedEventRow.key)
            .where(ProcessedEventRow.created_at < older_than)
            .order_by(ProcessedEventRow.created_at)
            .limit(limit)
        )
        result = await self.session.execute(
            delete(ProcessedEventRow).where(ProcessedEventRow.key.in_(oldest.scalar_subquery()))
        )
        return int(getattr(result, "rowcount", 0) or 0)
