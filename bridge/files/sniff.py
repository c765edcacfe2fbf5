"""What kind of file some bytes are, read from the bytes (puremagic), never from a name."""

from __future__ import annotations

import puremagic

_SNIFF_BYTES = 8192


def sniff_kind(content: bytes) -> str | None:
    """The MIME type the bytes say they are; text/plain for signature-less UTF-8 text."""
    head = content[:_SNIFF_BYTES]
    try:
        kind = str(puremagic.from_string(head, mime=True))
    except puremagic.PureError:
        kind = ""
    if kind:
        return kind
    if b"\x00" in head or b"<" in head:
        return None  # binary without a signature, or markup the sniffer could not place
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain"
