"""What a customer may attach: which kinds of file, how large, how much per case.

The kind is what the bytes are (sniffed by the adapter), never what the name claims; the core
only judges it against the allow-list and the limits.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from bridge.core.errors import InvalidInput

# Kinds a browser shows safely when served with nosniff and a script-less CSP. SVG and HTML
# are left out on purpose: both can carry script.
ALLOWED_KINDS = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}
)
INLINE_KINDS = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
MAX_NAME_CHARS = 200


@dataclass(frozen=True)
class AttachmentLimits:
    """Per-file and per-case byte limits (settings)."""

    file_bytes: int
    case_bytes: int


def clean_file_name(name: str) -> str:
    """A file name fit to store and show: no path, no control characters, bounded length."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip().strip(".")
    return kept[:MAX_NAME_CHARS] or "file"


def judge_attachment(kind: str | None, size: int, case_total: int, limits: AttachmentLimits) -> str:
    """The kind to record for a file the case may take; InvalidInput (by code) otherwise."""
    if size <= 0:
        raise InvalidInput("file", "is empty", "file_empty")
    if size > limits.file_bytes:
        raise InvalidInput("file", f"is larger than {limits.file_bytes} bytes", "file_too_large")
    if case_total + size > limits.case_bytes:
        past = f"would take this case's files past {limits.case_bytes} bytes"
        raise InvalidInput("file", past, "case_files_full")
    if kind not in ALLOWED_KINDS:
        unwanted = f"of this kind ({kind or 'unknown'}) is not accepted"
        raise InvalidInput("file", unwanted, "file_type")
    return kind


def plain_file_name(name: str) -> str:
    """A file name to put in plain text beside its link (an email, the transcript).

    Cleaned again (no path, so no `scheme://`; no line breaks, no bidi tricks), and no `<…>`
    that a mail client could take for the brackets around a link.
    """
    return clean_file_name(name).replace("<", "‹").replace(">", "›")
