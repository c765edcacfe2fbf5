"""The case aggregate and its explicit transition table."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime

from bridge.core.errors import IllegalTransition


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
    """One customer's request; immutable, every move returns a new Case."""

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
    customer_connected: bool = False
    customer_left_at: datetime | None = None
    chat_ended: bool = False
    queued: bool = False
    deleted: bool = False

    @property
    def reference(self) -> str:
        return format_reference(self.id)

    def _move(self, target: CaseStatus, action: str) -> None:
        if self.deleted:
            raise IllegalTransition(self.reference, "deleted", target.value, action)
        check_transition(self.reference, self.status, target, action)

    def claim(self, agent_id: str, now: datetime) -> Case:
        """Unassigned → assigned to `agent_id`."""
        self._move(CaseStatus.ASSIGNED, "claim")
        return replace(
            self, status=CaseStatus.ASSIGNED, assignee_id=agent_id, claimed_at=now, queued=False
        )

    def resolve(self, now: datetime) -> Case:
        """Assigned → resolved; a resolved live chat is also over."""
        self._move(CaseStatus.RESOLVED, "resolve")
        return replace(self, status=CaseStatus.RESOLVED, resolved_at=now, chat_ended=True)

    def reopen(self, agent_id: str, now: datetime) -> Case:
        """Resolved → assigned to the agent who reopened it."""
        self._move(CaseStatus.ASSIGNED, "reopen")
        return replace(
            self, status=CaseStatus.ASSIGNED, assignee_id=agent_id, claimed_at=now, resolved_at=None
        )

    def leave(self) -> Case:
        """The assignee steps away: assigned → unassigned, open for someone else to claim."""
        self._move(CaseStatus.UNASSIGNED, "leave")
        return replace(self, status=CaseStatus.UNASSIGNED, assignee_id=None, claimed_at=None)

    def convert_to_support_request(self, now: datetime) -> Case:
        """An abandoned, unclaimed live chat becomes an email follow-up request."""
        if (
            self.deleted
            or self.type is not CaseType.LIVE_CHAT
            or self.status is not CaseStatus.UNASSIGNED
        ):
            raise IllegalTransition(
                self.reference,
                f"{self.status.value} {self.type.value}",
                CaseType.SUPPORT_REQUEST.value,
                "convert",
            )
        return replace(
            self, type=CaseType.SUPPORT_REQUEST, converted_at=now, chat_ended=True, queued=False
        )

    def end_chat(self) -> Case:
        """The live conversation is over (the customer or the agent ended it)."""
        if self.deleted:
            raise IllegalTransition(self.reference, "deleted", "chat ended", "end chat")
        return replace(self, chat_ended=True, customer_connected=False)

    def erase(self) -> Case:
        """Delete: only once the chat is over; personal data goes, the reference stays."""
        if self.deleted or not self.chat_ended:
            state = "deleted" if self.deleted else "chat still open"
            raise IllegalTransition(self.reference, state, "deleted", "delete")
        return replace(
            self,
            deleted=True,
            customer=Customer("", "", ""),
            question="",
            device=DeviceInfo(),
            customer_connected=False,
        )
