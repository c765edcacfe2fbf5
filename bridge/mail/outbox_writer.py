"""Which emails each event calls for, staged in the transaction that caused it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bridge.clock import Clock
from bridge.core.events import (
    CaseConverted,
    CaseOpened,
    CustomerEmailed,
    EmailReplyQueued,
    Event,
    UnseenReplyQueued,
)
from storage.uow import UnitOfWork

EMAIL = "email"
SEND = "mail.send"


class MailOutbox:
    """Staging handler: the customer's confirmations and replies, agents' email alerts."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def _add(self, uow: UnitOfWork, case_id: int, template: str, **extra: Any) -> None:
        await uow.outbox.add(
            kind=EMAIL,
            ordering_key=f"mail:{case_id}",
            operation=SEND,
            case_id=case_id,
            now=self.clock.now(),
            payload={"template": template, "case_id": case_id, **extra},
        )

    async def __call__(self, uow: UnitOfWork, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, CaseConverted):
                await self._request(uow, event.case_id)
            elif isinstance(event, CaseOpened):
                if event.support_request:
                    await self._request(uow, event.case_id)
                else:
                    await self._alert_agents(uow, event.case_id, list(event.alert), "live chat")
            elif isinstance(event, EmailReplyQueued):
                await self._add(
                    uow,
                    event.case_id,
                    "reply",
                    message_id=event.message_id,
                    subject=event.subject,
                    agent=event.agent_id,
                )
            elif isinstance(event, UnseenReplyQueued):
                await self._add(uow, event.case_id, "unseen", message_id=event.message_id)
            elif isinstance(event, CustomerEmailed) and event.assignee:
                # The assignee who chose email alerts hears of the customer's email that way.
                await self._alert_agents(uow, event.case_id, [event.assignee], "email reply")

    async def _request(self, uow: UnitOfWork, case_id: int) -> None:
        await self._add(uow, case_id, "received")
        available = [slot.id for slot in await uow.agents.slots() if slot.available]
        await self._alert_agents(uow, case_id, available, "support request")

    async def _alert_agents(
        self, uow: UnitOfWork, case_id: int, agent_ids: list[str], kind: str
    ) -> None:
        # `kind` is what the case was when the alert was due: a chat's alert that goes out late
        # must not read like the support request it became.
        for agent_id in agent_ids:
            agent = await uow.agents.get(agent_id)
            if agent is not None and agent.preferences.email and agent.email:
                await self._add(uow, case_id, "agent_alert", agent=agent_id, kind=kind)
