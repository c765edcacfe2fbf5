"""What both mail intakes hand each email to: read it, then give it to the service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

# raw bytes, the envelope sender (None when unknown, as over IMAP), the envelope recipients
Receive = Callable[[bytes, str | None, tuple[str, ...]], Awaitable[None]]
