"""Case tokens: the customer's only proof that a case is theirs."""

from __future__ import annotations

import hashlib
import secrets


def new_case_token() -> str:
    """256 random bits, URL-safe; shown once to the browser, stored only as a hash."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """What the database keeps, so a leaked table does not hand out live chats."""
    return hashlib.sha256(token.encode()).hexdigest()
