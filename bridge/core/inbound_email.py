"""Email that customers send us: what it is, and which case or portal it belongs to."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bridge.core.identifiers import case_number

# The Reply-To of every email we send about a case is support+c-000123@…; a portal's own
# address is support+<subdomain>@…. Message-IDs we generate carry the reference too.
# ASCII digits only: \d would read "c-٤٥" as case 45.
_CASE_TAG = re.compile(r"^c-([0-9]{1,10})$")
_SUBDOMAIN_TAG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_OUR_MESSAGE_ID = re.compile(r"\bcasebridge\.c-([0-9]{1,10})\.[0-9]+@", re.IGNORECASE)


@dataclass(frozen=True)
class InboundEmail:
    """One email as the mail adapters read it; every field is already decoded text."""

    message_id: str
    sender: str  # the address it came from ("" for a null sender, as bounces have)
    sender_name: str = ""
    recipients: tuple[str, ...] = ()
    subject: str = ""
    text: str = ""  # the new part of the reply: quoted history and signature removed
    original: str = ""  # the whole message as text, for the agent's "show original"
    references: tuple[str, ...] = ()  # In-Reply-To then References, as written
    automated: str | None = None  # why this is an auto-reply or a bounce, when it is one
    attachments: tuple[str, ...] = field(default_factory=tuple)


def plus_tag(address: str) -> str:
    """The part after '+' in the local part, lower-cased ('' when there is none)."""
    local = address.rpartition("@")[0] if "@" in address else address
    return local.partition("+")[2].strip().lower()


def case_number_from_addresses(recipients: tuple[str, ...]) -> int | None:
    """The case a per-case reply address names (support+c-000123@…), if any."""
    for address in recipients:
        if (found := _CASE_TAG.match(plus_tag(address))) is not None:
            return case_number(found.group(1))
    return None


def case_number_from_references(references: tuple[str, ...]) -> int | None:
    """The case named by the newest of our own Message-IDs this email answers, if any."""
    for reference in references:
        if (found := _OUR_MESSAGE_ID.search(reference)) is not None:
            return case_number(found.group(1))
    return None


def portal_from_addresses(recipients: tuple[str, ...]) -> str | None:
    """The portal a portal address names (support+acme@…), if any."""
    for address in recipients:
        tag = plus_tag(address)
        if tag and not _CASE_TAG.match(tag) and _SUBDOMAIN_TAG.match(tag):
            return tag
    return None


def split_name(display_name: str, address: str) -> tuple[str, str]:
    """First and last name for a case opened by email: the display name, else the address."""
    words = display_name.split()
    if not words:
        words = [address.partition("@")[0] or "Customer"]
    return words[0][:100], " ".join(words[1:])[:100] or "(email)"


def same_address(a: str, b: str) -> bool:
    """Two addresses are the same mailbox (case-insensitive, plus tags ignored)."""

    def canonical(address: str) -> str:
        local, _, domain = address.strip().lower().rpartition("@")
        return f"{local.partition('+')[0]}@{domain}"

    return bool(a and b) and canonical(a) == canonical(b)
