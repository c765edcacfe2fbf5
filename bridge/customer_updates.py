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
    SharedFile,
)
from bridge.ports import CustomerPush


def file_shown(file: SharedFile) -> dict[str, Any]:
    """A file as the customer's page gets it: fetched from casebridge with the case token,
    never from Slack."""
    return {
        "id": file.attachment_id,
        "name": file.name,
        "kind": file.kind,
        "size": file.size,
        "url": f"/files/{file.attachment_id}",
    }


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
            update: dict[str, Any] = {
                "id": event.message_id,
                "text": event.text,
                "author": self._name(event.agent_name),
            }
            if event.files:
                update["files"] = [file_shown(f) for f in event.files]
            return "agent_message", update
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
