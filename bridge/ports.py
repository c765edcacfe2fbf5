"""Ports: what the services' outward adapters must offer. Fakes in tests satisfy these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class CustomerPush(Protocol):
    """Live updates to the customer's browser (the portal's Socket.IO room for the case)."""

    async def push(self, case_id: int, kind: str, data: dict[str, Any]) -> None: ...


class NoCustomerPush:
    """Used when no portal is attached: the outcome is still stored, nothing is pushed live."""

    async def push(self, case_id: int, kind: str, data: dict[str, Any]) -> None:
        return None


@dataclass(frozen=True)
class SlackFileRef:
    """A file an agent shared in Slack, as the `file_share` event names it."""

    file_id: str
    name: str
    size: int | None  # what Slack says; the bytes are counted anyway
    url: str  # url_private_download (or url_private)


class FileFetchError(Exception):
    """A shared file's bytes could not be had from Slack."""


class FileFetchTooLarge(FileFetchError):
    """The bytes went past the limit while they arrived (the rest was not read)."""


class FileFetchRefused(FileFetchError):
    """Slack would not give the file (a redirect to its login: the token or scope is wrong;
    not found; a host that is not Slack's). Trying again will not help."""


class FileFetchFailed(FileFetchError):
    """Slack stayed unreachable or failing (timeouts, 5xx, 429) through every try."""


class FileSource(Protocol):
    """Where the agents' shared files are downloaded from (Slack, with the bot token)."""

    async def fetch(self, file: SlackFileRef, limit: int) -> bytes:
        """The file's bytes, at most `limit` of them (FileFetchTooLarge past it); a
        FileFetchError when they cannot be had."""
        ...
