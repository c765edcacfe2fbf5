"""Portal rules: who configures them, subdomains, statuses, languages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bridge.core.errors import InvalidInput, NotAllowed
from bridge.core.routing import Mode

LANGUAGES = ("en", "pt-BR", "fr", "es")
_SUBDOMAIN_CHARS = re.compile(r"^[a-z0-9-]+$")


def require_portal_admin(is_admin: bool, listed: bool) -> None:
    """Portals are configured by workspace admins and owners, or people CASEBRIDGE_ADMINS lists."""
    if not (is_admin or listed):
        raise NotAllowed(
            "only admins configure portals (workspace admins and owners, "
            "or people listed in CASEBRIDGE_ADMINS)",
            "admin_only",
        )


def subdomain_problems(text: str) -> list[str]:
    """Every rule the subdomain breaks, each as a sentence (empty when it is fine)."""
    problems = []
    if not 3 <= len(text) <= 63:
        problems.append(f"must be 3 to 63 characters long (it has {len(text)})")
    if not _SUBDOMAIN_CHARS.match(text.lower()):
        problems.append("may only contain letters a–z, digits 0–9 and hyphens")
    if text.startswith("-") or text.endswith("-"):
        problems.append("must not start or end with a hyphen")
    return problems


def clean_subdomain(text: str) -> str:
    """The canonical (lower-case) subdomain, or InvalidInput naming every broken rule."""
    candidate = text.strip()
    problems = subdomain_problems(candidate)
    if problems:
        raise InvalidInput("subdomain", f"'{candidate}' " + "; ".join(problems))
    return candidate.lower()


def clean_language(text: str) -> str:
    """One of the supported portal languages, matched case-insensitively."""
    for lang in LANGUAGES:
        if lang.lower() == text.strip().lower():
            return lang
    raise InvalidInput("language", f"'{text}' is not supported (choose {', '.join(LANGUAGES)})")


_ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:[0-9]{1,5})?$")


def clean_origins(texts: list[str]) -> tuple[str, ...]:
    """Web origins allowed to embed a portal (`https://shop.example.com[:port]`), normalised."""
    cleaned = []
    for text in texts:
        origin = text.strip().rstrip("/").lower()
        if not _ORIGIN.match(origin):
            raise InvalidInput(
                "origin", f"'{text}' is not an origin like https://shop.example.com (no path)"
            )
        if origin not in cleaned:
            cleaned.append(origin)
    return tuple(cleaned)


@dataclass(frozen=True)
class Portal:
    id: int
    company: str
    subdomain: str
    mode: Mode = Mode.BROADCAST
    active: bool = True
    channel_id: str | None = None
    language: str = "en"
    brand_name: str = ""
    colour: str = "#2c5fde"
    greeting: str = ""
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)

    def page(self, anyone_available: bool) -> str:
        """Which page the customer gets: "unavailable", "offline", or the mode's own form.

        Nobody available means the offline form, except in pin mode: the code names the agent.
        """
        if not self.active:
            return "unavailable"
        if not anyone_available and self.mode is not Mode.PIN:
            return "offline"
        return self.mode.value
