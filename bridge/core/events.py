"""Everything that happened, in the past tense. Adapters (Slack, portal, mail) react to these."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    """Base of all events."""


@dataclass(frozen=True)
class CaseEvent(Event):
    case_id: int


@dataclass(frozen=True)
class CaseOpened(CaseEvent):
    portal_id: int
    alert: tuple[str, ...]
    assignee: str | None
    queued: bool


@dataclass(frozen=True)
class CaseClaimed(CaseEvent):
    agent_id: str


@dataclass(frozen=True)
class CaseHandedOut(CaseEvent):
    """The queue gave a waiting case to an agent who became available."""

    agent_id: str


@dataclass(frozen=True)
class CaseResolved(CaseEvent):
    agent_id: str


@dataclass(frozen=True)
class CaseReopened(CaseEvent):
    agent_id: str


@dataclass(frozen=True)
class AgentLeftCase(CaseEvent):
    agent_id: str


@dataclass(frozen=True)
class ChatEnded(CaseEvent):
    by: str  # "customer" or an agent id


@dataclass(frozen=True)
class CaseConverted(CaseEvent):
    """A live chat became a support request (stop waiting, customer gone, wait too long)."""

    reason: str


@dataclass(frozen=True)
class CaseDeleted(CaseEvent):
    by: str


@dataclass(frozen=True)
class CustomerMessagePosted(CaseEvent):
    message_id: int
    text: str


@dataclass(frozen=True)
class AgentMessagePosted(CaseEvent):
    message_id: int
    agent_id: str
    text: str


@dataclass(frozen=True)
class AvailabilityChanged(Event):
    agent_id: str
    available: bool


@dataclass(frozen=True)
class CodeIssued(Event):
    agent_id: str
    code: str


@dataclass(frozen=True)
class PortalCreated(Event):
    portal_id: int
    subdomain: str


@dataclass(frozen=True)
class PortalChanged(Event):
    portal_id: int
    subdomain: str
    what: str


@dataclass(frozen=True)
class CustomerWarnedOfWait(CaseEvent):
    """The customer has been waiting long: their page offers to leave a support request."""

    seconds_left: int


@dataclass(frozen=True)
class EmailReplyQueued(CaseEvent):
    """An agent answered a support request by email (the message row holds the text)."""

    agent_id: str
    message_id: int
    subject: str


@dataclass(frozen=True)
class UnseenReplyQueued(CaseEvent):
    """An agent's chat reply the customer never saw is going out by email."""

    message_id: int


@dataclass(frozen=True)
class CustomerEmailed(CaseEvent):
    """The customer answered by email; the message row keeps the reply and its original."""

    message_id: int
    customer_name: str
    sender: str
    from_customer: bool  # False: someone else wrote from another address (flagged)
    assignee: str | None
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnmatchedEmailReceived(Event):
    """An email that names no case and no portal: admins are told, nothing is lost."""

    sender: str
    subject: str


@dataclass(frozen=True)
class AgentRepliesDelivered(CaseEvent):
    """The customer's browser received these agent replies."""

    message_ids: tuple[int, ...]


@dataclass(frozen=True)
class AgentRepliesSeen(CaseEvent):
    """The customer's page showed these agent replies."""

    message_ids: tuple[int, ...]
