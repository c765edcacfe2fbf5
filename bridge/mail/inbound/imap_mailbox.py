"""Reads a real mailbox over IMAP (IMAP_URL): IDLE where the server offers it, else polling.

Each unseen message is handed on and only then flagged \\Seen; a crash in between means it is
read again, and the service's Message-ID check makes that harmless. imap-tools runs its
blocking client in a worker thread (the one maintained asyncio IMAP client is GPL-3.0, which
our MIT licence cannot take in).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from email import policy
from typing import Any

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted

from bridge.mail.config import ImapConfig
from bridge.mail.inbound.receiving import Receive

log = logging.getLogger(__name__)


class ImapMailbox:
    """Runs until stopped: fetch unseen, hand each on, flag it seen, wait for more."""

    def __init__(
        self,
        config: ImapConfig,
        receive: Receive,
        ssl_context: ssl.SSLContext | None = None,
        idle_seconds: float = 60.0,
    ) -> None:
        self.config, self.receive = config, receive
        self.ssl_context = ssl_context
        self.idle_seconds = idle_seconds
        self._box: Any = None
        self._stopping = False
        self._stopped = asyncio.Event()
        self.connected = asyncio.Event()

    def _login(self) -> Any:
        c = self.config
        box: Any
        if c.security == "tls":
            box = MailBox(c.host, c.port, timeout=30, ssl_context=self.ssl_context)
        elif c.security == "starttls":
            box = MailBoxStartTls(c.host, c.port, timeout=30, ssl_context=self.ssl_context)
        else:
            box = MailBoxUnencrypted(c.host, c.port, timeout=30)
        return box.login(c.username, c.password, initial_folder=c.folder)

    def _unseen(self) -> list[tuple[str, bytes]]:
        found = self._box.fetch("UNSEEN", mark_seen=False, bulk=20)
        return [(m.uid, m.obj.as_bytes(policy=policy.compat32)) for m in found if m.uid]

    def _flag_seen(self, uid: str) -> None:
        self._box.flag(uid, "\\Seen", True)

    async def _round(self) -> None:
        for uid, raw in await asyncio.to_thread(self._unseen):
            await self.receive(raw, None, ())
            await asyncio.to_thread(self._flag_seen, uid)

    async def run(self) -> None:
        """Read the mailbox until stopped, reconnecting with back-off when it goes away."""
        backoff = 1.0
        while not self._stopping:
            try:
                self._box = await asyncio.to_thread(self._login)
                self.connected.set()
                backoff = 1.0
                while not self._stopping:
                    await self._round()
                    if "IDLE" in self._box.client.capabilities:
                        await asyncio.to_thread(self._box.idle.wait, self.idle_seconds)
                    else:
                        await self._pause(self.config.poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as problem:
                self.connected.clear()
                if self._stopping:
                    break
                log.warning(
                    "IMAP %s: %s; reconnecting in %.0fs", self.config.host, problem, backoff
                )
                await self._pause(backoff)
                backoff = min(backoff * 2, 60.0)
            finally:
                await asyncio.to_thread(self._close)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), seconds)

    def _close(self) -> None:
        box, self._box = self._box, None
        if box is None:
            return
        try:
            box.logout()
        except Exception:  # the connection is already gone: just release the socket
            with contextlib.suppress(Exception):
                box.client.shutdown()

    async def stop(self, task: asyncio.Task[None], grace: float = 10.0) -> None:
        """Break out of IDLE (shut the socket) and let the loop end by itself."""
        self._stopping = True
        self._stopped.set()
        box = self._box
        if box is not None:
            with contextlib.suppress(Exception):
                box.client.sock.shutdown(socket.SHUT_RDWR)
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
