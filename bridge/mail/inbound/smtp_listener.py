"""An SMTP server for installations that route a mail domain to casebridge (INBOUND_SMTP).

A message is answered 250 only once it is stored; if it cannot be (database down…), the
sending server hears 451 and tries again later, as SMTP servers do.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

from aiosmtpd.smtp import SMTP

from bridge.mail.inbound.receiving import Receive

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 10 * 1024 * 1024


class _Handler:
    def __init__(self, receive: Receive) -> None:
        self.receive = receive

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="replace")
        try:
            await self.receive(raw, envelope.mail_from or "", tuple(envelope.rcpt_tos))
        except Exception:
            log.exception("an inbound email could not be stored")
            return "451 4.3.0 Could not store the message now; please try again later"
        return "250 2.0.0 Message accepted"


class InboundSmtp:
    """Listens on host:port while casebridge runs."""

    def __init__(self, host: str, port: int, receive: Receive, hostname: str = "casebridge"):
        self.host, self.port, self.hostname = host, port, hostname
        self._handler = _Handler(receive)
        self._server: asyncio.Server | None = None
        self._bound: socket.socket | None = None

    def listen_on(self, bound: socket.socket) -> None:
        """Serve on a socket bound already (by a launcher that had to know the port first)."""
        self._bound = bound
        self.host, self.port = bound.getsockname()[:2]

    async def start(self) -> None:
        """Bind and serve; port 0 picks a free port (read it back from `port`)."""
        loop = asyncio.get_running_loop()
        if self._bound is not None:
            self._server = await loop.create_server(self._session, sock=self._bound)
        else:
            self._server = await loop.create_server(self._session, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        log.info("receiving email over SMTP on %s:%d", self.host, self.port)

    def _session(self) -> SMTP:
        return SMTP(
            self._handler,
            hostname=self.hostname,
            data_size_limit=MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=True,
            decode_data=False,
            ident="casebridge inbound",
        )

    async def stop(self) -> None:
        """Stop accepting; a message being received is finished first (or the peer retries)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
