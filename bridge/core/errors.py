"""Typed domain errors; every one carries a message fit to show to the person who caused it.

Each also carries a machine-readable `code`: adapters choose their wording (a translation key,
a Slack sentence) by code, never by reading the English message.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal the core can give."""

    code = "refused"


class IllegalTransition(DomainError):
    """A case was asked to move between two states the transition table does not connect."""

    code = "illegal_transition"

    def __init__(
        self, case_ref: str, from_state: str, to_state: str, action: str, code: str = ""
    ) -> None:
        if code:
            self.code = code
        self.case_ref = case_ref
        self.from_state = from_state
        self.to_state = to_state
        self.action = action
        super().__init__(f"case {case_ref}: cannot {action} ({from_state} → {to_state})")


class CaseNotFound(DomainError):
    code = "unknown_case"

    def __init__(self, what: str) -> None:
        super().__init__(f"no case {what}")


class AlreadyClaimed(IllegalTransition):
    """Someone else won the claim race; `assignee_id` says who."""

    code = "already_claimed"

    def __init__(self, case_ref: str, assignee_id: str | None) -> None:
        super().__init__(case_ref, "assigned", "assigned", "claim")
        self.assignee_id = assignee_id
        self.args = (f"case {case_ref} is already assigned to {assignee_id}",)


class NotAllowed(DomainError):
    """The actor lacks the right (not admin, not the assignee…); `code` says which."""

    code = "not_allowed"

    def __init__(self, message: str, code: str = "") -> None:
        if code:
            self.code = code
        super().__init__(message)


class InvalidInput(DomainError):
    """Input from a customer, an agent or an admin broke a rule; the message names which."""

    code = "invalid"

    def __init__(self, field: str, problem: str, code: str = "") -> None:
        if code:
            self.code = code
        self.field = field
        self.problem = problem
        # "subdomain 'acme' is taken" already names its field; "is required" does not.
        named = problem.lower().startswith(field.replace("_", " "))
        super().__init__(problem if named else f"{field}: {problem}")


class AgentUnavailable(DomainError):
    code = "agent_unavailable"

    def __init__(self, agent_id: str) -> None:
        self.agent_id = agent_id
        super().__init__(f"agent {agent_id} is not available right now")


class CodeRefused(DomainError):
    """A connection code was refused; `reason` is a CodeRefusal."""

    code = "code_refused"

    def __init__(self, reason: object) -> None:
        self.reason = reason
        super().__init__(f"code refused: {reason}")


class PortalNotFound(DomainError):
    code = "unknown_portal"

    def __init__(self, subdomain: str) -> None:
        self.subdomain = subdomain
        super().__init__(f"no portal '{subdomain}'")


class PortalInactive(DomainError):
    code = "inactive"

    def __init__(self, subdomain: str) -> None:
        self.subdomain = subdomain
        super().__init__(f"portal '{subdomain}' is inactive")
