"""Rules for text that crosses from customers to agents and back."""

from __future__ import annotations

import re

from bridge.core.errors import InvalidInput

MAX_MESSAGE_LENGTH = 4000
MAX_NAME_LENGTH = 100
MAX_EMAIL_LENGTH = 254
MAX_SUBJECT_LENGTH = 200

# Deliberately simple: one @, a dot in the domain, no spaces. Real validation is the
# confirmation email arriving; this only catches typos and keeps junk out of headers.
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]{2,}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack treats as control sequences, so no <!channel> pings."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clean_message(text: object, field: str = "message") -> str:
    """A chat message: a non-empty string within the length cap, control characters removed."""
    if not isinstance(text, str):
        raise InvalidInput(field, "must be text", "not_text")
    cleaned = _CONTROL.sub("", text).strip()
    if not cleaned:
        raise InvalidInput(field, "is empty", "required")
    if len(cleaned) > MAX_MESSAGE_LENGTH:
        raise InvalidInput(field, f"is longer than {MAX_MESSAGE_LENGTH} characters", "too_long")
    return cleaned


def clean_name(text: object, field: str) -> str:
    """A person's first or last name: one line, non-empty, bounded."""
    if not isinstance(text, str):
        raise InvalidInput(field, "must be text", "not_text")
    cleaned = " ".join(_CONTROL.sub("", text).split())
    if not cleaned:
        raise InvalidInput(field, "is required", "required")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidInput(field, f"is longer than {MAX_NAME_LENGTH} characters", "too_long")
    return cleaned


def clean_email(text: object, field: str = "email") -> str:
    """An email address that looks deliverable; lower-cased domain."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(field, "is required", "required")
    cleaned = text.strip()
    if len(cleaned) > MAX_EMAIL_LENGTH or not _EMAIL.match(cleaned):
        raise InvalidInput(field, f"'{cleaned[:60]}' is not a valid email address", "email")
    local, _, domain = cleaned.rpartition("@")
    return f"{local}@{domain.lower()}"


INTERNAL_NOTE_PREFIX = "//"
_SLACK_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def is_internal_note(text: str) -> bool:
    """Agents start a thread message with // to keep it in Slack (never sent to the customer)."""
    return text.lstrip().startswith(INTERNAL_NOTE_PREFIX)


def plain_from_slack(text: str, names: dict[str, str] | None = None) -> str:
    """An agent's Slack message as plain text for the customer: links, mentions, entities."""

    def replace(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return "@" + (label or (names or {}).get(target[1:], "agent"))
        if target.startswith("#"):
            return "#" + (label or "channel")
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0])
        return f"{label} ({target})" if label and label != target else target

    converted = _SLACK_LINK.sub(replace, text)
    return converted.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
