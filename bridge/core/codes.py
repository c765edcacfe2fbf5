"""Connection codes: 9 digits an agent reads out on the phone, single-use, short-lived."""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

CODE_DIGITS = 9
DEFAULT_LIFETIME = timedelta(minutes=20)


class CodeRefusal(enum.StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


def generate_code(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """A uniformly random 9-digit code (leading zeros allowed) from the OS's CSPRNG."""
    return f"{randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def normalize_code(text: str) -> str | None:
    """Digits of what the customer typed (spaces and dashes allowed), or None if not a code."""
    digits = "".join(ch for ch in text if ch not in " -")
    if len(digits) != CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits


@dataclass(frozen=True)
class Code:
    value: str
    agent_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    case_id: int | None = None
    portal_id: int | None = None

    def is_live(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at


def new_code(
    agent_id: str,
    now: datetime,
    lifetime: timedelta = DEFAULT_LIFETIME,
    value: str | None = None,
    portal_id: int | None = None,
) -> Code:
    """A fresh code bound to `agent_id` (and the portal its customer lands on)."""
    return Code(
        value=value or generate_code(),
        agent_id=agent_id,
        created_at=now,
        expires_at=now + lifetime,
        portal_id=portal_id,
    )


def refusal(code: Code | None, now: datetime) -> CodeRefusal | None:
    """Why this code cannot be used now, or None when it can."""
    if code is None:
        return CodeRefusal.UNKNOWN
    if code.used_at is not None:
        return CodeRefusal.USED
    if now >= code.expires_at:
        return CodeRefusal.EXPIRED
    return None
