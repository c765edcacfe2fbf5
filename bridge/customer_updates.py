"""What the customer's page is told, live, when something happens to their case."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bridge.core.events import (
    AgentLeftCase,
    AgentMessagePosted,
    CaseClaimed,
    CaseConverted,
    CaseDeleted,
    CaseHandedOut,
    CaseOpened,
    CaseReopened,
    CaseResolved,
    ChatEnded,
    CustomerWarnedOfWait,
    Event,
)
from bridge.ports import CustomerPush
from storage.uow import Database


class CustomerUpdates:
    """After-commit handler: turns events into pushes to the case's browser."""

    def __init__(self, db: Database, push: CustomerPush) -> None:
        self.db = db
        self.push = push

    async def __call__(self, events: Sequence[Event]) -> None:
        for event in events:
            update = await self._update_for(event)
            if update is not None:
                await self.push.push(event.case_id, *update)  # type: ignore[attr-defined]

    async def _agent_name(self, agent_id: str) -> str:
        async with self.db.read() as uow:
            agent = await uow.agents.get(agent_id)
        return agent.display_name if agent else "An agent"

    async def _update_for(self, event: Event) -> tuple[str, dict[str, Any]] | None:
        if isinstance(event, AgentMessagePosted):
            return "agent_message", {
                "id": event.message_id,
                "text": event.text,
                "author": await self._agent_name(event.agent_id),
            }
        if isinstance(event, CaseOpened) and event.assignee:
            return "agent_joined", {"agent": await self._agent_name(event.assignee)}
        if isinstance(event, CaseClaimed | CaseHandedOut | CaseReopened):
            return "agent_joined", {"agent": await self._agent_name(event.agent_id)}
        if isinstance(event, AgentLeftCase):
            return "agent_left", {"agent": await self._agent_name(event.agent_id)}
        if isinstance(event, CaseResolved | ChatEnded | CaseDeleted):
            return "chat_ended", {}
        if isinstance(event, CustomerWarnedOfWait):
            return "wait_warning", {"seconds_left": event.seconds_left}
        if isinstance(event, CaseConverted):
            return "support_request", {"reason": event.reason}
        return None
