"""Inbound events already handled, for exactly-once processing of retried deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedEventRow


class ProcessedEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first_time(self, key: str, now: datetime) -> bool:
        """Record `key`; True only for the first caller ever (the rest are duplicates)."""
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        result = await self.session.execute(
            insert(ProcessedEventRow)
            .values(key=key, created_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def forget_before(self, moment: datetime) -> int:
        result = await self.session.execute(
            delete(ProcessedEventRow).where(ProcessedEventRow.created_at < moment)
        )
        return int(getattr(result, "rowcount", 0))
