"""A local SMTP server (aiosmtpd) that keeps what it is sent, for the demo and for tests.

It accepts any sender and recipient, except addresses on a refused domain (`.invalid` by
default, the TLD reserved for exactly this), which get a permanent 550 — so the path of a
customer address that bounces can be seen without a real mail system. Given `reply_via`
(an SMTP host and port), it can also answer a caught email as its recipient would, so the
way back into the application can be played too.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import make_msgid
from typing import Any, Self, cast

import aiosmtplib
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class CaughtMail:
    """One message as the SMTP server received it."""

    id: int
    mail_from: str
    recipients: tuple[str, ...]
    message: EmailMessage
    received_at: datetime

    def header(self, name: str) -> str:
        return str(self.message.get(name, ""))

    def part(self, subtype: str) -> str:
        """The text/`subtype` body ('plain' or 'html'), or '' when the message has none."""
        body = self.message.get_body(preferencelist=(subtype,))
        return "" if body is None else str(cast(EmailMessage, body).get_content())

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": self.header("From"),
            "to": self.header("To"),
            "reply_to": self.header("Reply-To"),
            "subject": self.header("Subject"),
            "language": self.header("Content-Language"),
            "received_at": self.received_at.isoformat(),
            "text": self.part("plain"),
            "html": self.part("html"),
        }


@dataclass
class MailCatcher:
    """`async with MailCatcher() as smtp:` listens on 127.0.0.1:`smtp.port`."""

    host: str = "127.0.0.1"
    port: int = 0
    refused_domains: tuple[str, ...] = (".invalid",)
    caught: list[CaughtMail] = field(default_factory=list)
    transient_failures: int = 0  # answer the next N messages with 451 (try again later)
    refused_senders: tuple[str, ...] = ()  # MAIL FROM addresses answered 553 (not allowed)
    reply_via: tuple[str, int] | None = None  # where "reply as the recipient" sends to
    _server: asyncio.Server | None = None
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> Self:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="mailcatcher.localhost"), self.host, self.port
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """What to give casebridge as SMTP_URL."""
        return f"smtp://{self.host}:{self.port}"

    # --- aiosmtpd handler hooks ----------------------------------------------------------
    async def handle_MAIL(
        self,
        _server: SMTP,
        _session: Session,
        envelope: Envelope,
        address: str,
        options: list[str],
    ) -> str:
        if address.lower() in (refused.lower() for refused in self.refused_senders):
            return "553 5.7.1 sender address not allowed"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self,
        _server: SMTP,
        _session: Session,
        envelope: Envelope,
        address: str,
        _options: list[str],
    ) -> str:
        domain = address.rpartition("@")[2].lower()
        if any(domain.endswith(refused) for refused in self.refused_domains):
            return "550 5.1.1 mailbox unavailable: no such domain"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        if self.transient_failures > 0:
            self.transient_failures -= 1
            return "451 4.3.0 try again later"
        raw = envelope.original_content or envelope.content or b""
        message = message_from_bytes(
            raw if isinstance(raw, bytes) else raw.encode(), policy=default_policy
        )
        mail = CaughtMail(
            id=next(self._ids),
            mail_from=str(envelope.mail_from),
            recipients=tuple(envelope.rcpt_tos),
            message=message,
            received_at=datetime.now(UTC),
        )
        async with self._arrived:
            self.caught.append(mail)
            self._arrived.notify_all()
        return f"250 OK queued as {mail.id}"

    async def reply(self, mail_id: int, text: str) -> EmailMessage:
        """Answer caught mail `mail_id` as its recipient's mail program would (history quoted)."""
        if self.reply_via is None:
            raise LookupError("replies are off (start with a reply_via SMTP server)")
        original = next((m for m in self.caught if m.id == mail_id), None)
        if original is None:
            raise LookupError(f"no caught mail {mail_id}")
        answer = EmailMessage()
        answer["From"] = original.header("To")
        answer["To"] = original.header("Reply-To") or original.header("From")
        subject = original.header("Subject")
        answer["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
        answer["Message-ID"] = make_msgid(domain="mailcatcher.localhost")
        if message_id := original.header("Message-ID"):
            answer["In-Reply-To"] = message_id
            answer["References"] = message_id
        quoted = "\n".join(f"> {line}" for line in original.part("plain").splitlines())
        answer.set_content(f"{text}\n\nOn {original.received_at:%c}, you wrote:\n{quoted}\n")
        host, port = self.reply_via
        await aiosmtplib.send(answer, hostname=host, port=port, timeout=10)
        return answer

    # --- for tests -----------------------------------------------------------------------
    async def wait_for(self, count: int, timeout: float = 10.0) -> list[CaughtMail]:
        """The first `count` messages, waiting for them to arrive."""
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: len(self.caught) >= count), timeout
            )
            return self.caught[:count]
