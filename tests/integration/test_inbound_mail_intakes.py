"""Both ways email reaches casebridge: a real IMAP mailbox (Dovecot) and our SMTP listener."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

import aiosmtplib
import pytest

from bridge.mail.config import ImapConfig
from bridge.mail.inbound.imap_mailbox import ImapMailbox
from bridge.mail.inbound.smtp_listener import InboundSmtp
from tests.imap_server import ImapServer


class RecordingIntake:
    """Records what reached it; can be told to fail, as a database outage would."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, str | None, tuple[str, ...]]] = []
        self.failing = False
        self.changed = asyncio.Event()

    async def __call__(self, raw: bytes, sender: str | None, rcpts: tuple[str, ...]) -> None:
        if self.failing:
            raise RuntimeError("database unavailable")
        self.received.append((raw, sender, rcpts))
        self.changed.set()

    async def wait_for(self, count: int, timeout: float = 15) -> None:
        async with asyncio.timeout(timeout):
            while len(self.received) < count:
                self.changed.clear()
                await self.changed.wait()


def _reply(subject: str, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Jane Doe <jane@example.com>"
    message["To"] = "support+c-000001@casebridge.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content("It works now, thanks.")
    return message


async def test_an_email_sent_to_the_listener_is_handed_on_before_the_sender_hears_ok() -> None:
    intake = RecordingIntake()
    listener = InboundSmtp("127.0.0.1", 0, intake)
    await listener.start()
    try:
        await aiosmtplib.send(
            _reply("Re: C-000001", "<a1@example.com>"), hostname="127.0.0.1", port=listener.port
        )
        assert len(intake.received) == 1
        raw, sender, rcpts = intake.received[0]
        assert sender == "jane@example.com"
        assert rcpts == ("support+c-000001@casebridge.example",)
        assert b"It works now" in raw
    finally:
        await listener.stop()


async def test_when_it_cannot_be_stored_the_sending_server_is_told_to_try_later() -> None:
    intake = RecordingIntake()
    intake.failing = True
    listener = InboundSmtp("127.0.0.1", 0, intake)
    await listener.start()
    try:
        with pytest.raises(aiosmtplib.SMTPDataError) as refused:
            await aiosmtplib.send(
                _reply("Re: C-000001", "<a2@example.com>"),
                hostname="127.0.0.1",
                port=listener.port,
            )
        assert refused.value.code == 451
    finally:
        await listener.stop()


async def test_the_imap_mailbox_is_read_and_each_message_flagged_once_stored(
    imap_server: ImapServer,
) -> None:
    intake = RecordingIntake()
    mailbox = ImapMailbox(ImapConfig.from_url(imap_server.url), intake, idle_seconds=5)
    task = asyncio.create_task(mailbox.run())
    try:
        await asyncio.to_thread(imap_server.deliver, bytes(_reply("first", "<i1@example.com>")))
        await intake.wait_for(1)
        # IDLE wakes the reader for a message that arrives while it waits.
        await asyncio.to_thread(imap_server.deliver, bytes(_reply("second", "<i2@example.com>")))
        await intake.wait_for(2)
        assert [b"first" in r[0] for r in intake.received] == [True, False]
        await asyncio.to_thread(imap_server.wait_all_seen)
    finally:
        await mailbox.stop(task)


async def test_a_message_that_could_not_be_stored_stays_unseen_and_is_read_again(
    imap_server: ImapServer,
) -> None:
    intake = RecordingIntake()
    intake.failing = True
    await asyncio.to_thread(imap_server.deliver, bytes(_reply("later", "<i3@example.com>")))
    mailbox = ImapMailbox(ImapConfig.from_url(imap_server.url), intake, idle_seconds=1)
    task = asyncio.create_task(mailbox.run())
    try:
        await asyncio.wait_for(mailbox.connected.wait(), 10)
        assert await asyncio.to_thread(imap_server.unseen) == 1
        intake.failing = False
        await intake.wait_for(1, timeout=20)
        assert b"later" in intake.received[0][0]
    finally:
        await mailbox.stop(task)


def test_imap_urls_are_read_and_bad_ones_refused() -> None:
    config = ImapConfig.from_url("imaps://me%40x.example:p%2Fw@imap.x.example/Support")
    assert (config.host, config.port, config.username, config.password, config.folder) == (
        "imap.x.example",
        993,
        "me@x.example",
        "p/w",
        "Support",
    )
    assert config.security == "tls"
    assert ImapConfig.from_url("imap://u:p@h?starttls=1").security == "starttls"
    for bad in ("http://u:p@h/", "imap://h/INBOX", "imaps://u:p@/INBOX", "imap://u:p@h?poll=0"):
        with pytest.raises(ValueError):
            ImapConfig.from_url(bad)
