"""Agents: availability, preferences, the round-robin cursor."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bridge.core.agents import Agent, Preferences
from bridge.core.routing import AgentSlot
from storage.models import AgentRow, QueueCursorRow
from storage.repositories.dialects import dialect_insert


def _to_agent(row: AgentRow) -> Agent:
    return Agent(
        slack_user_id=row.slack_user_id,
        display_name=row.display_name,
        available=row.available,
        is_admin=row.is_admin,
        email=row.email,
        preferences=Preferences(
            dm=row.notify_dm,
            mention=row.notify_mention,
            email=row.notify_email,
            quiet=row.notify_quiet,
        ),
    )


class AgentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, slack_user_id: str) -> Agent | None:
        row = await self.session.get(AgentRow, slack_user_id, populate_existing=True)
        return _to_agent(row) if row else None

    async def upsert(
        self, slack_user_id: str, *, display_name: str, email: str, is_admin: bool, now: datetime
    ) -> Agent:
        """Create the agent on first sight, refresh name/email/admin from Slack afterwards."""
        row = await self.session.get(AgentRow, slack_user_id)
        if row is None:
            row = AgentRow(
                slack_user_id=slack_user_id,
                display_name=display_name,
                email=email,
                is_admin=is_admin,
                available=False,
                notify_dm=True,
                notify_mention=False,
                notify_email=False,
                notify_quiet=False,
                updated_at=now,
            )
            self.session.add(row)
        else:
            row.display_name, row.email, row.is_admin, row.updated_at = (
                display_name,
                email,
                is_admin,
                now,
            )
        await self.session.flush()
        return _to_agent(row)

    async def update(self, slack_user_id: str, now: datetime, **values: Any) -> bool:
        result = await self.session.execute(
            update(AgentRow)
            .where(AgentRow.slack_user_id == slack_user_id)
            .values(updated_at=now, **values)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def all(self) -> Sequence[Agent]:
        rows = (
            (await self.session.execute(select(AgentRow).order_by(AgentRow.slack_user_id)))
            .scalars()
            .all()
        )
        return [_to_agent(r) for r in rows]

    async def slots(self) -> list[AgentSlot]:
        """What routing needs: the available agents (routing never picks anyone else), by id.

        Only they are read: a workspace has many more agents than are on duty at a time.
        """
        rows = (
            await self.session.execute(
                select(AgentRow.slack_user_id)
                .where(AgentRow.available.is_(True))
                .order_by(AgentRow.slack_user_id)
            )
        ).scalars()
        return [AgentSlot(id=agent_id, available=True) for agent_id in rows]

    async def cursor(self, portal_id: int) -> str | None:
        """The round-robin cursor, locked for the rest of the transaction where the DB can.

        The row is made first if missing: locking a row that does not exist yet locks
        nothing, and two first hand-outs would then both insert it.
        """
        locked = (
            select(QueueCursorRow.last_agent_id)
            .where(QueueCursorRow.portal_id == portal_id)
            .with_for_update()
        )
        found = (await self.session.execute(locked)).first()
        if found is not None:  # every hand-out but a portal's first
            return found[0]
        await self.session.execute(
            dialect_insert(self.session)(QueueCursorRow)
            .values(portal_id=portal_id, last_agent_id=None)
            .on_conflict_do_nothing(index_elements=["portal_id"])
        )
        found = (await self.session.execute(locked)).first()
        return found[0] if found else None

    async def set_cursor(self, portal_id: int, agent_id: str | None) -> None:
        """Move the cursor (after `cursor()` has made and locked its row)."""
        await self.session.execute(
            update(QueueCursorRow)
            .where(QueueCursorRow.portal_id == portal_id)
            .values(last_agent_id=agent_id)
        )
