"""The inbound mail side of a running casebridge: the SMTP listener and the IMAP reader."""

from __future__ import annotations

import asyncio
import logging

from bridge.mail.config import ImapConfig, split_host_port
from bridge.mail.inbound.imap_mailbox import ImapMailbox
from bridge.mail.inbound.reading import read_email
from bridge.mail.inbound.smtp_listener import InboundSmtp
from bridge.services.context import ServiceContext
from bridge.services.email_intake import receive_email

log = logging.getLogger(__name__)


class EmailIntakes:
    """Starts and stops whichever intakes are configured; both hand mail to one service."""

    def __init__(
        self, services: ServiceContext, smtp: str | None = None, imap_url: str | None = None
    ) -> None:
        self.services = services
        self.smtp = InboundSmtp(*split_host_port(smtp), self.receive) if smtp else None
        self.imap = ImapMailbox(ImapConfig.from_url(imap_url), self.receive) if imap_url else None
        self._imap_task: asyncio.Task[None] | None = None

    async def receive(self, raw: bytes, sender: str | None, recipients: tuple[str, ...]) -> None:
        """Read one email and act on it; raises when it could not be stored (try again)."""
        receipt = await receive_email(self.services, read_email(raw, sender, recipients))
        log.info("inbound email: %s (case %s)", receipt.outcome, receipt.case_id)

    async def start(self) -> None:
        """Listen and read; a port that cannot be bound stops start-up with the reason."""
        if self.smtp is not None:
            await self.smtp.start()
        if self.imap is not None:
            self._imap_task = asyncio.create_task(self.imap.run(), name="imap-mailbox")

    async def stop(self) -> None:
        """Stop taking mail; what was being stored is finished or will be offered again."""
        if self.imap is not None and self._imap_task is not None:
            await self.imap.stop(self._imap_task)
        if self.smtp is not None:
            await self.smtp.stop()
