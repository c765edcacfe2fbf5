"""Turns events into outbox rows, inside the transaction that made them happen.

Rows record intent ("update the case message", "DM this agent"); the deliverer renders the
content from the case as it is when the row goes out, so a late update never shows stale
state and a deleted case can only ever render its stub.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bridge.clock import Clock
from bridge.core.agents import Agent
from bridge.core.cases import format_reference
from bridge.core.events import (
    AgentAnswered,
    AgentLeftCase,
    AgentMessagePosted,
    AgentRepliesDelivered,
    AgentRepliesSeen,
    AvailabilityChanged,
    CaseClaimed,
    CaseConverted,
    CaseDeleted,
    CaseEvent,
    CaseHandedOut,
    CaseOpened,
    CaseReopened,
    CaseResolved,
    ChatEnded,
    CustomerEmailed,
    CustomerFileAttached,
    CustomerMessagePosted,
    EmailBounced,
    EmailReplyQueued,
    Event,
    HomeRequested,
    InternalNoteKept,
    UnmatchedEmailReceived,
    UnseenReplyQueued,
)
from bridge.core.text import escape_mrkdwn
from bridge.slack import operations as op
from bridge.slack.blocks import PREVIEW_CHARS, PREVIEW_LINES, customer_line, customer_username
from bridge.slack.delivering import SLACK
from bridge.slack.email_blocks import unmatched_email_dm
from storage.uow import UnitOfWork

NOTE_REACTION = "lock"  # marks an internal note in the thread: it was not sent


def case_key(case_id: int) -> str:
    return f"case:{case_id}"


def home_key(agent_id: str) -> str:
    return f"home:{agent_id}"


class SlackOutbox:
    """Staging handler: what Slack must be told about each event."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def __call__(self, uow: UnitOfWork, events: Sequence[Event]) -> None:
        homes: set[str] = set()
        for event in events:
            homes |= await self._stage(uow, event)
        # Lists and counts change with a case's state, not with its messages.
        if any(
            isinstance(e, CaseEvent)
            and not isinstance(
                e, CustomerMessagePosted | AgentMessagePosted | InternalNoteKept | EmailBounced
            )
            for e in events
        ):
            homes |= {slot.id for slot in await uow.agents.slots() if slot.available}
        for agent_id in sorted(homes):
            await self._add_once(uow, home_key(agent_id), op.HOME_PUBLISH, {"user": agent_id})

    async def _add(
        self, uow: UnitOfWork, case_id: int, operation: str, payload: dict[str, Any] | None = None
    ) -> None:
        await uow.outbox.add(
            kind=SLACK,
            ordering_key=case_key(case_id),
            operation=operation,
            payload={"case_id": case_id, **(payload or {})},
            now=self.clock.now(),
            case_id=case_id,
        )

    async def _add_once(
        self, uow: UnitOfWork, key: str, operation: str, payload: dict[str, Any]
    ) -> None:
        if not await uow.outbox.has_pending(key, operation):
            await uow.outbox.add(
                kind=SLACK,
                ordering_key=key,
                operation=operation,
                payload=payload,
                now=self.clock.now(),
            )

    async def _stage(self, uow: UnitOfWork, event: Event) -> set[str]:
        """Queue the Slack work for one event; returns whose App Home to refresh."""
        if isinstance(event, CaseOpened):
            await self._add(uow, event.case_id, op.CASE_POST)
            await self._full_question(uow, event.case_id)
            await self._alert(uow, event.case_id, list(event.alert), direct=bool(event.assignee))
            return set(event.alert)
        if isinstance(event, CustomerMessagePosted):
            name = event.customer_name or "Customer"
            await self._add(
                uow,
                event.case_id,
                op.THREAD_POST,
                {
                    "text": customer_line(event.text),
                    "username": customer_username(name),
                    "message_id": event.message_id,
                },
            )
            return set()
        if isinstance(event, CustomerFileAttached):
            # Same lane as the lines around it, so the file lands between them in order.
            await self._add(
                uow,
                event.case_id,
                op.FILE_POST,
                {
                    "attachment_id": event.attachment_id,
                    "message_id": event.message_id,
                    "username": customer_username(event.customer_name or "Customer"),
                },
            )
            return set()
        if isinstance(event, CaseHandedOut):
            await self._add(uow, event.case_id, op.CASE_UPDATE)
            await self._alert(uow, event.case_id, [event.agent_id], direct=True)
            return {event.agent_id}
        if isinstance(event, CaseConverted):
            await self._add(uow, event.case_id, op.CASE_UPDATE)
            available = [s.id for s in await uow.agents.slots() if s.available]
            await self._alert(uow, event.case_id, available, direct=False)
            return set()
        if isinstance(event, CaseDeleted):
            await self._add(uow, event.case_id, op.CASE_UPDATE)
            await self._add(uow, event.case_id, op.PURGE_THREAD)
            await self._add(uow, event.case_id, op.PURGE_DMS)
            await self._add(uow, event.case_id, op.PURGE_FILES)
            return set()
        if isinstance(event, AgentLeftCase):
            # The customer waits again: everyone available hears of it, as for a new chat.
            await self._add(uow, event.case_id, op.CASE_UPDATE)
            others = [s.id for s in await uow.agents.slots() if s.available]
            others = [agent for agent in others if agent != event.agent_id]
            await self._alert(uow, event.case_id, others, direct=False)
            return {event.agent_id}
        if isinstance(event, CaseClaimed | CaseResolved | CaseReopened):
            await self._add(uow, event.case_id, op.CASE_UPDATE)
            return {event.agent_id}
        if isinstance(event, ChatEnded):
            await self._add(uow, event.case_id, op.CASE_UPDATE)
            return set()
        if isinstance(event, EmailReplyQueued):
            await self._email_note(uow, event)
            return {event.agent_id}
        if isinstance(event, AvailabilityChanged | HomeRequested):
            return {event.agent_id}
        if isinstance(event, AgentRepliesDelivered | AgentRepliesSeen):
            for message_id in event.message_ids:
                await self._mark_fate(uow, event.case_id, message_id)
            return set()
        if isinstance(event, UnseenReplyQueued):
            await self._mark_fate(uow, event.case_id, event.message_id)
            return set()
        if isinstance(event, AgentAnswered):
            await self._ephemeral(uow, event)
            return set()
        if isinstance(event, InternalNoteKept):
            await self._add(
                uow,
                event.case_id,
                op.REACTION,
                {"channel": event.channel, "ts": event.ts, "name": NOTE_REACTION},
            )
            return set()
        if isinstance(event, EmailBounced):
            await self._add(
                uow,
                event.case_id,
                op.THREAD_POST,
                {
                    "username": "",
                    "text": f":warning: The email to {escape_mrkdwn(event.address)} "
                    f"could not be delivered: {escape_mrkdwn(event.problem)}",
                },
            )
            return set()
        if isinstance(event, CustomerEmailed):
            await self._customer_email(uow, event)
            return set()
        if isinstance(event, UnmatchedEmailReceived):
            for admin in [a for a in await uow.agents.all() if a.is_admin]:
                await uow.outbox.add(
                    kind=SLACK,
                    ordering_key=f"user:{admin.slack_user_id}",
                    operation=op.NOTICE_DM,
                    payload={
                        "user": admin.slack_user_id,
                        "text": unmatched_email_dm(event.sender, event.subject),
                    },
                    now=self.clock.now(),
                )
            return set()
        return set()

    async def _mark_fate(self, uow: UnitOfWork, case_id: int, message_id: int) -> None:
        """One pending mark per reply: it shows the reply's latest fate when it goes out."""
        await self._add_once(
            uow, f"fate:{message_id}", op.FATE_MARK, {"case_id": case_id, "message_id": message_id}
        )

    async def _ephemeral(self, uow: UnitOfWork, event: AgentAnswered) -> None:
        """A private answer to one agent, delivered like everything else we send."""
        case_id, user, response_url = event.case_id, event.user, event.response_url
        payload: dict[str, Any] = {
            "channel": event.channel,
            "user": user,
            "text": event.text,
            "blocks": list(event.blocks) or None,
        }
        if response_url:
            # With the click's response_url it goes out on the agent's own lane, through that
            # URL (no Web API tier), without waiting behind the case's other work.
            payload["response_url"] = response_url
        if event.thread_ts:
            payload["thread_ts"] = event.thread_ts
        await uow.outbox.add(
            kind=SLACK,
            ordering_key=case_key(case_id) if case_id and not response_url else f"user:{user}",
            operation=op.EPHEMERAL,
            case_id=case_id,
            now=self.clock.now(),
            payload=payload,
        )

    async def _customer_email(self, uow: UnitOfWork, event: CustomerEmailed) -> None:
        """Quote the email in the thread; the assignee hears of it as they chose."""
        assignee = await uow.agents.get(event.assignee) if event.assignee else None
        prefs = assignee.preferences if assignee else None
        await self._add(
            uow,
            event.case_id,
            op.EMAIL_POST,
            {
                "message_id": event.message_id,
                "sender": event.sender,
                "from_customer": event.from_customer,
                "attachments": list(event.attachments),
                "mention": event.assignee if prefs and prefs.mention else None,
            },
        )
        if assignee is not None and prefs is not None and prefs.dm:
            await self._add(
                uow,
                event.case_id,
                op.NOTICE_DM,
                {
                    "user": assignee.slack_user_id,
                    "text": f":email: {escape_mrkdwn(event.customer_name)} replied by email "
                    f"on {format_reference(event.case_id)}.",
                },
            )

    async def _email_note(self, uow: UnitOfWork, event: EmailReplyQueued) -> None:
        """The email an agent sent, recorded in the case's thread for the team."""
        messages = {m.id: m for m in await uow.cases.messages(event.case_id)}
        sent = messages.get(event.message_id)
        body = sent.text.split("\n\n", 1)[-1] if sent else ""
        quoted = "\n".join(f">{line}" for line in customer_line(body).splitlines())
        await self._add(
            uow,
            event.case_id,
            op.THREAD_POST,
            {
                "username": "",
                "text": f":email: <@{event.agent_id}> emailed the customer: "
                f"*{customer_line(event.subject)}*\n{quoted}",
            },
        )

    async def _full_question(self, uow: UnitOfWork, case_id: int) -> None:
        """A question longer than the case message's preview is posted whole in the thread."""
        case = await uow.cases.get(case_id)
        if case is None or not case.question:
            return
        lines = [line for line in case.question.splitlines() if line.strip()]
        if len(case.question) > PREVIEW_CHARS or len(lines) > PREVIEW_LINES:
            await self._add(
                uow,
                case_id,
                op.THREAD_POST,
                {
                    "text": customer_line(case.question),
                    "username": customer_username(case.customer.full_name),
                },
            )

    async def _alert(
        self, uow: UnitOfWork, case_id: int, agent_ids: list[str], direct: bool
    ) -> None:
        """DM or mention each agent as they prefer; a case handed to one agent is always a DM."""
        loud: list[Agent] = []
        quiet: list[Agent] = []
        for agent_id in agent_ids:
            agent = await uow.agents.get(agent_id)
            if agent is None:
                continue
            if direct or agent.preferences.dm:
                await self._add(uow, case_id, op.ALERT_DM, {"user": agent_id})
            if not direct and agent.preferences.mention:
                (quiet if agent.preferences.quiet else loud).append(agent)
        if loud or quiet:
            await self._add(
                uow,
                case_id,
                op.ALERT_MENTION,
                {"loud": [a.slack_user_id for a in loud], "quiet": [a.display_name for a in quiet]},
            )
