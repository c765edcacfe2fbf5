"""Companies and their portals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bridge.core.portals import Portal
from bridge.core.routing import Mode
from storage.models import CompanyRow, PortalRow


def _to_portal(row: PortalRow, company: str) -> Portal:
    return Portal(
        id=row.id,
        company=company,
        subdomain=row.subdomain,
        mode=Mode(row.mode),
        active=row.active,
        channel_id=row.channel_id,
        language=row.language,
        brand_name=row.brand_name,
        colour=row.colour,
        greeting=row.greeting,
        allowed_origins=tuple(row.allowed_origins or ()),
    )


class PortalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _select(self) -> Any:
        return select(PortalRow, CompanyRow.name).join(
            CompanyRow, CompanyRow.id == PortalRow.company_id
        )

    async def company_id(self, name: str, now: datetime) -> int:
        """The company's id, creating the company on first mention."""
        found = (
            await self.session.execute(select(CompanyRow.id).where(CompanyRow.name == name))
        ).scalar_one_or_none()
        if found is not None:
            return int(found)
        row = CompanyRow(name=name, created_at=now)
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def by_company(self, company_id: int) -> Portal | None:
        found = (
            await self.session.execute(self._select().where(PortalRow.company_id == company_id))
        ).first()
        return _to_portal(*found) if found else None

    async def add(
        self,
        *,
        company_id: int,
        subdomain: str,
        mode: Mode,
        channel_id: str | None,
        language: str,
        brand_name: str,
        now: datetime,
    ) -> None:
        self.session.add(
            PortalRow(
                company_id=company_id,
                subdomain=subdomain,
                mode=mode.value,
                active=True,
                channel_id=channel_id,
                language=language,
                brand_name=brand_name,
                allowed_origins=[],
                created_at=now,
            )
        )
        await self.session.flush()

    async def get(self, portal_id: int) -> Portal | None:
        found = (
            await self.session.execute(self._select().where(PortalRow.id == portal_id))
        ).first()
        return _to_portal(*found) if found else None

    async def by_subdomain(self, subdomain: str) -> Portal | None:
        found = (
            await self.session.execute(
                self._select().where(PortalRow.subdomain == subdomain.strip().lower())
            )
        ).first()
        return _to_portal(*found) if found else None

    async def all(self) -> Sequence[Portal]:
        rows = (await self.session.execute(self._select().order_by(PortalRow.subdomain))).all()
        return [_to_portal(*r) for r in rows]

    async def update(self, portal_id: int, **values: Any) -> None:
        await self.session.execute(
            update(PortalRow).where(PortalRow.id == portal_id).values(**values)
        )
