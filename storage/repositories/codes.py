"""Connection codes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bridge.core.codes import Code
from storage.models import CodeRow


def _to_code(row: CodeRow) -> Code:
    return Code(
        value=row.value,
        agent_id=row.agent_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        case_id=row.case_id,
        portal_id=row.portal_id,
    )


class CodeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, value: str) -> Code | None:
        row = await self.session.get(CodeRow, value, populate_existing=True)
        return _to_code(row) if row else None

    async def exists(self, value: str) -> bool:
        return await self.session.get(CodeRow, value) is not None

    async def add(self, code: Code) -> None:
        self.session.add(
            CodeRow(
                value=code.value,
                agent_id=code.agent_id,
                portal_id=code.portal_id,
                created_at=code.created_at,
                expires_at=code.expires_at,
            )
        )
        await self.session.flush()

    async def use(self, value: str, case_id: int, now: datetime) -> bool:
        """Spend a live code on a case; False if someone else spent it first or it expired."""
        result = await self.session.execute(
            update(CodeRow)
            .where(CodeRow.value == value, CodeRow.used_at.is_(None), CodeRow.expires_at > now)
            .values(used_at=now, case_id=case_id)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def live_for(self, agent_id: str, now: datetime) -> Sequence[Code]:
        rows = (
            (
                await self.session.execute(
                    select(CodeRow)
                    .where(
                        CodeRow.agent_id == agent_id,
                        CodeRow.used_at.is_(None),
                        CodeRow.expires_at > now,
                    )
                    .order_by(CodeRow.created_at)
                )
            )
            .scalars()
            .all()
        )
        return [_to_code(r) for r in rows]

    async def count_live(self, agent_id: str, now: datetime) -> int:
        stmt = (
            select(func.count())
            .select_from(CodeRow)
            .where(
                CodeRow.agent_id == agent_id, CodeRow.used_at.is_(None), CodeRow.expires_at > now
            )
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def revoke(self, value: str, agent_id: str, now: datetime) -> bool:
        """Withdraw one of the agent's live codes; False if not theirs, used or expired."""
        result = await self.session.execute(
            delete(CodeRow).where(
                CodeRow.value == value,
                CodeRow.agent_id == agent_id,
                CodeRow.used_at.is_(None),
                CodeRow.expires_at > now,
            )
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def purge(self, older_than: datetime) -> int:
        """Forget codes spent or expired before `older_than`; returns how many."""
        result = await self.session.execute(
            delete(CodeRow).where(
                or_(CodeRow.expires_at < older_than, CodeRow.used_at < older_than)
            )
        )
        return int(getattr(result, "rowcount", 0))
