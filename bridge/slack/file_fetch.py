"""Downloading the files agents share in a case's thread, from Slack, with the bot token.

Slack serves a file's `url_private(_download)` only to a token with `files:read`, sent as
`Authorization: Bearer`. The token goes only to Slack's own file host (files.slack.com, or the
stand-in named by SLACK_API_URL in tests and the demo), never to any other address a payload
might name, and redirects are never followed: Slack answers a request it does not accept with a
redirect to its login page, which is a refusal, and following it would carry nothing useful.

The bytes are counted as they arrive and the download stops past the limit. Trouble that can
pass (a connection that fails or times out, 5xx, 429) is tried again in place, a few times
over a few seconds; a refusal is not.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bridge.ports import (
    FileFetchFailed,
    FileFetchRefused,
    FileFetchTooLarge,
    SlackFileRef,
)

log = logging.getLogger(__name__)

SLACK_FILES_ORIGIN = ("https", "files.slack.com", 443)
CHUNK = 64 * 1024
DEFAULT_DELAYS = (0.5, 1.0, 2.0)  # between tries: four tries within about four seconds
MAX_RETRY_AFTER = 5.0


def _origin(url: str) -> tuple[str, str, int] | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.username or parts.password:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return parts.scheme, parts.hostname.lower(), port


def slack_file_origins(api_url: str) -> frozenset[tuple[str, str, int]]:
    """Where shared files may be fetched from: Slack's file host, and the Web API's own
    address when it is not Slack's (the local stand-in serves its files itself)."""
    origins = {SLACK_FILES_ORIGIN}
    api = _origin(api_url)
    if api is not None and api[1] != "slack.com" and not api[1].endswith(".slack.com"):
        origins.add(api)
    return frozenset(origins)


def file_url(file: dict[str, Any]) -> str:
    """The address to download a `files` entry of an event from ("" when it has none)."""
    return str(file.get("url_private_download") or file.get("url_private") or "")


class SlackFileFetcher:
    """The FileSource port for Slack."""

    def __init__(
        self,
        token: str | None,
        origins: frozenset[tuple[str, str, int]],
        delays: Sequence[float] = DEFAULT_DELAYS,
        timeout: float = 30.0,
    ) -> None:
        self._token = token
        self.origins = origins
        self.delays = tuple(delays)
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"SlackFileFetcher(origins={sorted(self.origins)})"

    async def fetch(self, file: SlackFileRef, limit: int) -> bytes:
        """The bytes of `file` (at most `limit`), trying again while the trouble may pass."""
        if not self._token:
            raise FileFetchRefused("no bot token")
        if _origin(file.url) not in self.origins:
            raise FileFetchRefused(f"{file.file_id}: not on Slack's file host")
        attempt = 0
        while True:
            try:
                return await self._once(file, limit)
            except _Transient as trouble:
                if attempt >= len(self.delays):
                    raise FileFetchFailed(f"{file.file_id}: {trouble}") from None
                wait = self.delays[attempt]
                if trouble.retry_after is not None:
                    wait = min(max(wait, trouble.retry_after), MAX_RETRY_AFTER)
                attempt += 1
                log.info("Slack file %s: %s, trying again in %.1f s", file.file_id, trouble, wait)
                await asyncio.sleep(wait)

    async def _once(self, file: SlackFileRef, limit: int) -> bytes:
        timeout = aiohttp.ClientTimeout(total=self.timeout, sock_connect=10)
        headers = {"Authorization": f"Bearer {self._token}"}
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(file.url, headers=headers, allow_redirects=False) as answer,
            ):
                if 300 <= answer.status < 400:
                    # Slack's way of saying the token was not accepted (or lacks files:read).
                    raise FileFetchRefused(f"{file.file_id}: redirected (token not accepted)")
                if answer.status == 429:
                    raise _Transient("rate limited", _seconds(answer.headers.get("Retry-After")))
                if answer.status >= 500:
                    raise _Transient(f"status {answer.status}")
                if answer.status != 200:
                    raise FileFetchRefused(f"{file.file_id}: status {answer.status}")
                content = bytearray()
                async for chunk in answer.content.iter_chunked(CHUNK):
                    content += chunk
                    if len(content) > limit:
                        raise FileFetchTooLarge(f"{file.file_id}: more than {limit} bytes")
                return bytes(content)
        except (aiohttp.ClientError, TimeoutError) as trouble:
            raise _Transient(type(trouble).__name__) from None


class _Transient(Exception):
    def __init__(self, what: str, retry_after: float | None = None) -> None:
        super().__init__(what)
        self.retry_after = retry_after


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
