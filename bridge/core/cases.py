"""The case aggregate and its explicit transition table."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime

from bridge.core.errors import AlreadyClaimed, IllegalTransition, NotAllowed
from bridge.core.events import (
    AgentLeftCase,
    CaseClaimed,
    CaseConverted,
    CaseDeleted,
    CaseHandedOut,
    CaseReopened,
    CaseResolved,
    ChatEnded,
    Event,
)


class CaseType(enum.StrEnum):
    LIVE_CHAT = "live_chat"
    SUPPORT_REQUEST = "support_request"


class CaseStatus(enum.StrEnum):
    UNASSIGNED = "unassigned"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


# (from, to) -> the action that makes that move. Anything not listed is illegal.
TRANSITIONS: dict[tuple[CaseStatus, CaseStatus], str] = {
    (CaseStatus.UNASSIGNED, CaseStatus.ASSIGNED): "claim",
    (CaseStatus.ASSIGNED, CaseStatus.UNASSIGNED): "leave",
    (CaseStatus.ASSIGNED, CaseStatus.RESOLVED): "resolve",
    (CaseStatus.RESOLVED, CaseStatus.ASSIGNED): "reopen",
}


def check_transition(case_ref: str, current: CaseStatus, target: CaseStatus, action: str) -> None:
    """Raise IllegalTransition unless the table allows `action` to move `current` to `target`."""
    if TRANSITIONS.get((current, target)) != action:
        raise IllegalTransition(case_ref, current.value, target.value, action)


def format_reference(case_id: int) -> str:
    """The short reference people say aloud and search for, e.g. C-000123."""
    return f"C-{case_id:06d}"


@dataclass(frozen=True)
class Customer:
    first_name: str
    last_name: str
    email: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class DeviceInfo:
    """What the customer's browser told us at start; every field is optional."""

    browser: str = ""
    os: str = ""
    language: str = ""
    time_zone: str = ""
    screen: str = ""
    referrer: str = ""
    user_agent: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(frozen=True)
class Case:
    """One customer's request; immutable, every move returns a Change holding the new Case."""

    id: int
    portal_id: int
    customer: Customer
    type: CaseType = CaseType.LIVE_CHAT
    status: CaseStatus = CaseStatus.UNASSIGNED
    assignee_id: str | None = None
    question: str = ""
    device: DeviceInfo = field(default_factory=DeviceInfo)
    language: str = "en"
    created_at: datetime | None = None
    claimed_at: datetime | None = None
    resolved_at: datetime | None = None
    converted_at: datetime | None = None
    conversion_reason: str | None = None
    customer_connected: bool = False
    customer_left_at: datetime | None = None
    chat_ended: bool = False
    queued: bool = False
    deleted_at: datetime | None = None

    @classmethod
    def open(
        cls,
        *,
        portal_id: int,
        customer: Customer,
        type: CaseType,
        assignee_id: str | None,
        question: str,
        device: DeviceInfo,
        language: str,
        now: datetime,
        queued: bool,
    ) -> Case:
        """A new case, not yet stored (its id is 0 until the repository gives it one)."""
        live = type is CaseType.LIVE_CHAT
        return cls(
            id=0,
            portal_id=portal_id,
            customer=customer,
            type=type,
            status=CaseStatus.ASSIGNED if assignee_id else CaseStatus.UNASSIGNED,
            assignee_id=assignee_id,
            question=question,
            device=device,
            language=language,
            created_at=now,
            claimed_at=now if assignee_id else None,
            customer_connected=live,
            chat_ended=not live,
            queued=queued,
        )

    @property
    def reference(self) -> str:
        return format_reference(self.id)

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    def _move(self, target: CaseStatus, action: str) -> None:
        if self.deleted:
            raise IllegalTransition(self.reference, "deleted", target.value, action, "deleted")
        check_transition(self.reference, self.status, target, action)

    def _change(
        self, action: str, new: Case, expect: Mapping[str, object], *events: Event
    ) -> Change:
        return Change(action, self, new, dict(expect), events)

    def claim(self, agent_id: str, now: datetime, agent_name: str = "") -> Change:
        """Unassigned → assigned to `agent_id`; only while nobody else has claimed it."""
        if not self.deleted and self.status is CaseStatus.ASSIGNED:
            raise AlreadyClaimed(self.reference, self.assignee_id)
        self._move(CaseStatus.ASSIGNED, "claim")
        return self._change(
            "claim",
            self._assigned(agent_id, now),
            {"status": CaseStatus.UNASSIGNED},
            CaseClaimed(self.id, agent_id, agent_name),
        )

    def hand_out(self, agent_id: str, now: datetime, agent_name: str = "") -> Change:
        """The queue gives this waiting case to `agent_id`; only while it is still queued."""
        self._move(CaseStatus.ASSIGNED, "claim")  # a hand-out is the queue claiming for them
        if not self.queued:
            raise IllegalTransition(self.reference, "not queued", "assigned", "hand out")
        return self._change(
            "hand out",
            self._assigned(agent_id, now),
            {"status": CaseStatus.UNASSIGNED, "queued": True},
            CaseHandedOut(self.id, agent_id, agent_name),
        )

    def _assigned(self, agent_id: str, now: datetime) -> Case:
        return replace(
            self, status=CaseStatus.ASSIGNED, assignee_id=agent_id, claimed_at=now, queued=False
        )

    def _require_assignee_or_admin(self, agent_id: str, is_admin: bool, action: str) -> None:
        if self.assignee_id != agent_id and not is_admin:
            raise NotAllowed(
                f"only the assigned agent or an admin can {action} {self.reference}",
                "not_assignee",
            )

    def resolve(self, agent_id: str, now: datetime, is_admin: bool = False) -> Change:
        """Assigned → resolved, by the assignee or an admin; a resolved live chat is also over."""
        self._move(CaseStatus.RESOLVED, "resolve")
        self._require_assignee_or_admin(agent_id, is_admin, "resolve")
        return self._change(
            "resolve",
            replace(self, status=CaseStatus.RESOLVED, resolved_at=now, chat_ended=True),
            {"status": CaseStatus.ASSIGNED},
            CaseResolved(self.id, agent_id),
        )

    def reopen(self, agent_id: str, now: datetime, agent_name: str = "") -> Change:
        """Resolved → assigned to the agent who reopened it; a live chat is on again (its
        replies reach the customer's page, or their email when the page stays away)."""
        self._move(CaseStatus.ASSIGNED, "reopen")
        live = self.type is CaseType.LIVE_CHAT
        new = replace(
            self,
            status=CaseStatus.ASSIGNED,
            assignee_id=agent_id,
            claimed_at=now,
            resolved_at=None,
            chat_ended=self.chat_ended and not live,
        )
        event = CaseReopened(self.id, agent_id, agent_name)
        return self._change("reopen", new, {"status": CaseStatus.RESOLVED}, event)

    def leave(self, agent_id: str, agent_name: str = "") -> Change:
        """The assignee steps away: assigned → unassigned, open for someone else to claim."""
        self._move(CaseStatus.UNASSIGNED, "leave")
        if self.assignee_id != agent_id:
            raise NotAllowed(f"only the assigned agent can leave {self.reference}", "not_assignee")
        return self._change(
            "leave",
            replace(self, status=CaseStatus.UNASSIGNED, assignee_id=None, claimed_at=None),
            {"status": CaseStatus.ASSIGNED, "assignee_id": agent_id},
            AgentLeftCase(self.id, agent_id, agent_name),
        )

    def convert_to_support_request(self, now: datetime, reason: str) -> Change:
        """An abandoned, unclaimed live chat becomes an email follow-up request (not one the
        customer ended: ending a chat means ending it)."""
        if (
            self.deleted
            or self.chat_ended
            or self.type is not CaseType.LIVE_CHAT
            or self.status is not CaseStatus.UNASSIGNED
        ):
            raise IllegalTransition(
                self.reference,
                f"{self.status.value} {self.type.value}",
                CaseType.SUPPORT_REQUEST.value,
                "convert",
            )
        new = replace(
            self,
            type=CaseType.SUPPORT_REQUEST,
            converted_at=now,
            conversion_reason=reason,
            chat_ended=True,
            queued=False,
        )
        return self._change(
            "convert",
            new,
            {"status": CaseStatus.UNASSIGNED, "type": CaseType.LIVE_CHAT},
            CaseConverted(self.id, reason),
        )

    def end_chat(self, by: str) -> Change:
        """The live conversation is over (`by` the customer or an agent); ending twice is no-op."""
        if self.deleted:
            raise IllegalTransition(self.reference, "deleted", "chat ended", "end chat")
        if self.chat_ended:
            return Change.none(self)
        return self._change(
            "end chat",
            replace(self, chat_ended=True, customer_connected=False),
            {"chat_ended": False},
            ChatEnded(self.id, by=by),
        )

    def erase(self, by: str, now: datetime, is_admin: bool) -> Change:
        """Admins only, once the chat is over: personal data goes, the reference stays."""
        if not is_admin:
            raise NotAllowed("only admins can delete cases", "admin_only")
        if self.deleted or not self.chat_ended:
            state = "deleted" if self.deleted else "chat still open"
            code = "deleted" if self.deleted else "chat_open"
            raise IllegalTransition(self.reference, state, "deleted", "delete", code)
        new = replace(
            self,
            deleted_at=now,
            customer=Customer("", "", ""),
            question="",
            device=DeviceInfo(),
            customer_connected=False,
        )
        return self._change("delete", new, {"chat_ended": True}, CaseDeleted(self.id, by=by))

    def customer_presence(self, connected: bool, now: datetime) -> Change:
        """The customer's page connected or went away (the grace-period sweep reads this)."""
        new = replace(
            self, customer_connected=connected, customer_left_at=None if connected else now
        )
        return self._change("presence", new, {})

    def takes_reply_from(self, agent_id: str) -> bool:
        """Whether a message by `agent_id` in the case's thread goes to the customer."""
        return self.reply_refusal(agent_id) is None

    def reply_refusal(self, agent_id: str) -> str | None:
        """Why a thread message by `agent_id` does not reach the customer; None when it does.

        The README's table of states and senders is this method and `check_customer_may_write`.
        """
        if self.deleted:
            return "the case was deleted"
        if self.type is CaseType.SUPPORT_REQUEST:
            return "this is a support request (the customer left the chat): use *Reply by email*"
        if self.status is CaseStatus.RESOLVED:
            return "the case is resolved: press *Reopen* to write to the customer again"
        if self.chat_ended:
            return "the customer ended the chat (they keep the transcript)"
        if self.status is CaseStatus.UNASSIGNED:
            return "nobody has the case: press *Assign to me* first"
        if self.assignee_id != agent_id:
            return (
                f"<@{self.assignee_id}> has the case, and only their replies go to the customer "
                "(start a message with // for a note to the team)"
            )
        return None

    def check_email_reply(self, agent_id: str) -> None:
        """Only a support request's assignee answers it by email."""
        if self.deleted:
            raise IllegalTransition(
                self.reference, "deleted", "emailed", "reply by email", "deleted"
            )
        if self.type is not CaseType.SUPPORT_REQUEST:
            raise NotAllowed(f"{self.reference} is a live chat: answer in its thread", "live_chat")
        if self.assignee_id != agent_id:
            raise NotAllowed(
                f"assign {self.reference} to yourself before replying by email", "not_assignee"
            )

    def check_customer_may_write(self) -> None:
        """The customer writes only while the chat is on."""
        if self.chat_ended:
            raise NotAllowed("this chat has ended", "chat_ended")


@dataclass(frozen=True)
class Change:
    """One move of a case: the case before and after, what must still hold, what it means.

    `expect` maps fields of the case to the values they must still have when the move is
    written: the storage turns it into the WHERE of a conditional update, so of two racing
    moves exactly one wins.
    """

    action: str
    old: Case
    new: Case
    expect: dict[str, object]
    events: tuple[Event, ...]

    @classmethod
    def none(cls, case: Case) -> Change:
        """Nothing to do: the case is already where the move would take it."""
        return cls("none", case, case, {}, ())

    def changed(self) -> dict[str, object]:
        """The fields this move writes, with their new values."""
        return {
            f.name: getattr(self.new, f.name)
            for f in fields(Case)
            if getattr(self.old, f.name) != getattr(self.new, f.name)
        }

    @property
    def is_none(self) -> bool:
        return not self.events and not self.changed()
