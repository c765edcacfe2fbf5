"""The local mail catcher: a real SMTP server whose mail the demo shows at /mail."""

from __future__ import annotations

import json
import smtplib
from email.message import EmailMessage
from urllib.request import urlopen

import aiosmtplib
import pytest
from playwright.async_api import Browser, expect

from slackemu import SlackEmu
from slackemu.mailcatcher import MailCatcher
from tests.browser import artifact
from tests.slackemu.test_standalone import started, stopped, url_in


def an_email(to: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Acme Support <support@acme.test>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Bonjour Ana,\n\nvotre demande est reçue.")
    message.add_alternative(
        "<p>Bonjour <b>Ana</b></p><script>parent.document.title = 'pwned'</script>",
        subtype="html",
    )
    message["Content-Language"] = "fr"
    return message


def test_make_run_s_stand_in_catches_mail_and_lists_it() -> None:
    process, printed = started("--smtp-port", "0")
    try:
        base = url_in(printed[0])
        [smtp_url] = [url_in(line) for line in printed if "smtp://" in line]
        smtp_port = int(smtp_url.rsplit(":", 1)[1])
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=5) as smtp:
            smtp.send_message(an_email("Ana Lima <ana@example.com>", "Demande C-000007"))
        with urlopen(f"{base}/_emu/mail", timeout=5) as response:
            (mail,) = json.loads(response.read())["mail"]
        assert mail["subject"] == "Demande C-000007" and mail["language"] == "fr"
        assert "votre demande est reçue" in mail["text"] and "<b>Ana</b>" in mail["html"]
    finally:
        assert stopped(process) == 0


async def test_an_address_on_a_dead_domain_is_refused_for_good() -> None:
    async with MailCatcher() as catcher:
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            await aiosmtplib.send(
                an_email("ana@nowhere.invalid", "x"), hostname=catcher.host, port=catcher.port
            )
        assert refused.value.recipients[0].code == 550
        assert catcher.caught == []


async def test_caught_mail_is_shown_with_its_html_kept_in_a_sandbox(browser: Browser) -> None:
    async with SlackEmu() as slack, MailCatcher() as catcher:
        slack.mail = catcher
        await aiosmtplib.send(
            an_email("ana@example.com", "<img src=x onerror=alert(1)> C-000009"),
            hostname=catcher.host,
            port=catcher.port,
        )
        page = await browser.new_page()
        await page.goto(f"{slack.url}/mail")

        await expect(page.get_by_text("<img src=x onerror=alert(1)> C-000009")).to_be_visible()
        frame = page.frame_locator("iframe.mail-html")
        await expect(frame.get_by_text("Bonjour Ana")).to_be_visible()
        assert await page.locator("iframe.mail-html").get_attribute("sandbox") == ""
        assert await page.title() == "casebridge · caught mail"  # the script did not run
        await page.screenshot(path=artifact("mail-catcher.png"))
        await page.close()
