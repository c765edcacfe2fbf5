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
    CustomerMessagesPosted,
    CustomerWarnedOfWait,
    Event,
)
from bridge.ports import CustomerPush


class CustomerUpdates:
    """After-commit handler: turns events into pushes to the case's browser."""

    def __init__(self, push: CustomerPush) -> None:
        self.push = push

    async def __call__(self, events: Sequence[Event]) -> None:
        for event in events:
            update = await self._update_for(event)
            if update is not None:
                await self.push.push(event.case_id, *update)  # type: ignore[attr-defined]

    @staticmethod
    def _name(name: str) -> str:
        return name or "An agent"

    async def _update_for(self, event: Event) -> tuple[str, dict[str, Any]] | None:
        if isinstance(event, AgentMessagePosted):
            return "agent_message", {
                "id": event.message_id,
                "text": event.text,
                "author": self._name(event.agent_name),
            }
        if isinstance(event, CaseOpened) and event.assignee:
            return "agent_joined", {"agent": self._name(event.assignee_name)}
        if isinstance(event, CaseClaimed | CaseHandedOut | CaseReopened):
            return "agent_joined", {"agent": self._name(event.agent_name)}
        if isinstance(event, AgentLeftCase):
            return "agent_left", {"agent": self._name(event.agent_name)}
        if isinstance(event, CaseResolved | ChatEnded | CaseDeleted):
            return "chat_ended", {}
        if isinstance(event, CustomerMessagesPosted):
            return "messages_posted", {"ids": list(event.message_ids)}
        if isinstance(event, CustomerWarnedOfWait):
            return "wait_warning", {"seconds_left": event.seconds_left}
        if isinstance(event, CaseConverted):
            return "support_request", {"reason": event.reason}
        return None
