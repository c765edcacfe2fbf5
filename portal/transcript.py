"""The chat as a text file the customer can keep."""

from __future__ import annotations

from collections.abc import Sequence

from bridge.services.customer import CaseView
from portal.i18n import translate
from storage.repositories.cases import StoredMessage


def _line(language: str, message: StoredMessage) -> str:
    who = translate(language, "you") if message.direction == "customer" else message.author
    stamp = message.created_at.strftime("%Y-%m-%d %H:%M UTC")
    body = message.text.replace("\n", "\n    ")
    return f"[{stamp}] {who}: {body}"


def transcript(view: CaseView, company: str, language: str) -> str:
    """Plain text, one message per entry, in the customer's language."""
    case = view.case
    lines: Sequence[str] = [
        translate(language, "page_title", company=company),
        f"{translate(language, 'reference')}: {case.reference}",
        "",
        *(_line(language, m) for m in view.messages if m.direction in ("customer", "agent")),
    ]
    return "\n".join(lines) + "\n"
