"""Slack's size limits, and cutting text to them without breaking what Slack parses.

Outside text is escaped first (`&` becomes five characters), then cut: a cut never leaves half
an entity (`&am…`) or half a `<link|label>`, and says so with "…". Limits from Slack's Block Kit
reference and chat.postMessage's documentation.
"""

from __future__ import annotations

from collections.abc import Iterable

from bridge.core.text import escape_mrkdwn

MESSAGE_TEXT = 40_000  # chat.postMessage's `text`; Slack truncates beyond it
SECTION_TEXT = 3_000  # a section block's text
FIELD_TEXT = 2_000  # each of a section's fields
CONTEXT_TEXT = 2_000  # a context block's text element (kept well under its limit)
HEADER_TEXT = 150  # a header block's plain text
ELLIPSIS = "…"


def cut(text: str, limit: int) -> str:
    """`text` (already escaped) within `limit` characters; when cut, it ends in "…"."""
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:]:  # an entity cut open: drop its start
        head = head[:amp]
    opening = head.rfind("<")
    if opening > head.rfind(">"):  # a link or mention cut open: drop it whole
        head = head[:opening]
    return head + ELLIPSIS


def outside(text: str, limit: int) -> str:
    """Text from outside (customers, companies, agents' input): escaped, then cut to `limit`."""
    return cut(escape_mrkdwn(text), limit)


def pack(lines: Iterable[str], limit: int = SECTION_TEXT) -> list[str]:
    """Lines joined into as few texts as fit `limit` each; a line too long alone is cut."""
    texts: list[str] = []
    current = ""
    for line in lines:
        line = cut(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            texts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        texts.append(current)
    return texts
