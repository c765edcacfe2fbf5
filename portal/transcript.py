"""The chat as a text file the customer can keep; a file shows as its name, size and link."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bridge.core.attachments import plain_file_name
from bridge.files.links import SignedLink
from bridge.services.attachments import FILE_MARK
from bridge.services.customer import CaseView
from portal.i18n import human_size, translate
from storage.repositories.attachments import StoredAttachment
from storage.repositories.cases import StoredMessage


@dataclass(frozen=True)
class LinkedFile:
    """A case's file and the signed link that fetches it without the case token."""

    file: StoredAttachment
    link: SignedLink


def file_line(language: str, linked: LinkedFile) -> str:
    """`📎 report.pdf (12 KB): https://… (link, valid until …)`."""
    file, link = linked.file, linked.link
    until = link.expires.strftime("%Y-%m-%d %H:%M UTC")
    note = translate(language, "transcript_file_link", date=until)
    size = human_size(language, file.size)
    return f"{FILE_MARK} {plain_file_name(file.name)} ({size}): {link.url} ({note})"


def _line(language: str, message: StoredMessage, files: Sequence[LinkedFile]) -> str:
    who = translate(language, "you") if message.direction == "customer" else message.author
    stamp = message.created_at.strftime("%Y-%m-%d %H:%M UTC")
    # A file's own line ("📎 name") gives way to the file with its link.
    marks = {f"{FILE_MARK} {linked.file.name}" for linked in files}
    kept = [line for line in message.text.split("\n") if line.strip() not in marks]
    lines = [
        *(["\n".join(kept)] if "".join(kept).strip() else []),
        *(file_line(language, f) for f in files),
    ]
    body = "\n".join(lines).replace("\n", "\n    ")
    return f"[{stamp}] {who}: {body}"


def transcript(
    view: CaseView, company: str, language: str, files: Sequence[LinkedFile] = ()
) -> str:
    """Plain text, one message per entry, in the customer's language."""
    case = view.case
    by_message: dict[int, list[LinkedFile]] = {}
    for linked in files:
        if linked.file.message_id is not None:
            by_message.setdefault(linked.file.message_id, []).append(linked)
    lines: Sequence[str] = [
        translate(language, "page_title", company=company),
        f"{translate(language, 'reference')}: {case.reference}",
        "",
        *(
            _line(language, m, by_message.get(m.id, []))
            for m in view.messages
            if m.direction in ("customer", "agent")
        ),
    ]
    return "\n".join(lines) + "\n"
