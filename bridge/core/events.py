"""Everything that happened, in the past tense. Adapters (Slack, portal, mail) react to these.

Events carry what their handlers show (display names…), so a handler need not read the case
or the agent again. Those descriptive fields are left out of equality: two events are the
same when the same thing happened, whatever the agent was called at the time.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
    assignee_name: str = field(default="", compare=False)
    support_request: bool = False


@dataclass(frozen=True)
class CaseClaimed(CaseEvent):
    agent_id: str
    agent_name: str = field(default="", compare=False)


@dataclass(frozen=True)
class CaseHandedOut(CaseEvent):
    """The queue gave a waiting case to an agent who became available."""

    agent_id: str
    agent_name: str = field(default="", compare=False)


@dataclass(frozen=True)
class CaseResolved(CaseEvent):
    agent_id: str


@dataclass(frozen=True)
class CaseReopened(CaseEvent):
    agent_id: str
    agent_name: str = field(default="", compare=False)


@dataclass(frozen=True)
class AgentLeftCase(CaseEvent):
    agent_id: str
    agent_name: str = field(default="", compare=False)


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
    customer_name: str = field(default="", compare=False)


@dataclass(frozen=True)
class CustomerFileAttached(CaseEvent):
    """The customer attached a file; it shows in the chat as the line `message_id`."""

    message_id: int
    attachment_id: int
    name: str
    customer_name: str = field(default="", compare=False)


@dataclass(frozen=True)
class SharedFile:
    """A file kept with the case that a message carries: what the customer's page shows."""

    attachment_id: int
    name: str
    kind: str
    size: int


@dataclass(frozen=True)
class AgentMessagePosted(CaseEvent):
    message_id: int
    agent_id: str
    text: str
    agent_name: str = field(default="", compare=False)
    files: tuple[SharedFile, ...] = ()  # the files the agent shared with it (Slack's file_share)


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


@dataclass(frozen=True)
class InternalNoteKept(CaseEvent):
    """An agent wrote an internal note (//…) in the case's thread: it stays in Slack, marked."""

    channel: str
    ts: str


@dataclass(frozen=True)
class EmailBounced(CaseEvent):
    """An email to the customer was refused for good; the team should know it never arrived."""

    address: str
    problem: str


@dataclass(frozen=True)
class AgentAnswered(Event):
    """An agent's action got an answer only they see (a refusal, a note, device info)."""

    channel: str
    user: str
    text: str
    case_id: int | None = None
    thread_ts: str | None = None
    blocks: tuple[dict[str, object], ...] = ()
    response_url: str | None = None  # the click's own way back, when there is one


@dataclass(frozen=True)
class HomeRequested(Event):
    """An agent opened the app's Home tab or pressed one of its buttons: show them the state."""

    agent_id: str


@dataclass(frozen=True)
class CustomerMessagesPosted(CaseEvent):
    """These customer messages are now in the case's Slack thread (the team can read them)."""

    message_ids: tuple[int, ...]
