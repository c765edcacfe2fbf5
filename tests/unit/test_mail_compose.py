"""The emails customers and agents receive: translated, and whatever anyone typed is escaped."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from bridge.core.portals import LANGUAGES
from bridge.mail import compose
from portal.i18n import translate

HOSTILE = 'Ana <script>alert("x")</script> & co'


def envelope() -> compose.Envelope:
    return compose.Envelope("Acme <support@acme.test>", HOSTILE, "ana@example.test", "CB-7", "k")


def part(message: EmailMessage, kind: str) -> str:
    body = message.get_body((kind,))
    assert body is not None
    return str(body.get_content())


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_support_request_confirmation_speaks_the_customers_language(language: str) -> None:
    mail = compose.request_received(
        envelope(), language=language, company="Acme", question="line one\nline two\n\nagain"
    )
    assert mail["Subject"] == translate(language, "mail.received_subject", ref="CB-7")
    assert mail["Content-Language"] == language
    assert translate(language, "mail.your_question") in part(mail, "plain")
    assert "<p>line one<br>line two</p><p>again</p>" in part(mail, "html")


def test_what_people_typed_is_escaped_in_html_and_verbatim_in_text() -> None:
    mail = compose.unseen_reply(
        envelope(),
        language="en",
        company="A&B",
        agent="Bob <b>",
        body="<img src=x onerror=alert(1)>",
        chat_url='https://acme.test/p/acme?a=1&b="2"',
    )
    html, plain = part(mail, "html"), part(mail, "plain")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert 'href="https://acme.test/p/acme?a=1&amp;b=&#34;2&#34;"' in html
    assert HOSTILE in plain and "<img src=x onerror=alert(1)>" in plain


def test_an_agents_alert_links_to_slack_only_when_there_is_a_link() -> None:
    def alert(link: str | None) -> EmailMessage:
        return compose.agent_alert(
            envelope(), kind="chat", customer="Ana", question="help", link=link
        )

    with_link, without = alert("https://slack.test/archives/C1/p1"), alert(None)
    assert "Open it in Slack: https://slack.test/archives/C1/p1" in part(with_link, "plain")
    assert "Open it in Slack" not in part(without, "plain") + part(without, "html")
    assert with_link["Subject"] == "[casebridge] New chat CB-7 from Ana"


def test_file_names_are_text_in_html_and_never_a_link_or_a_new_line_in_plain_text() -> None:
    until = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    hostile = compose.MailFile(
        'pay now http://phish.example"><script>x()</script>\r\nBcc: all@acme.test.pdf',
        2048,
        "https://acme.test/files/7/1796000000/c2ln",
        until,
    )
    mail = compose.request_received(
        envelope(), language="fr", company="Acme", question="?", files=[hostile]
    )
    html, plain = part(mail, "html"), part(mail, "plain")
    assert "<script>" not in html and "http://phish" not in html
    assert "http://phish" not in plain and "\nBcc:" not in plain.replace("\r\n", "\n")
    assert '<a href="https://acme.test/files/7/1796000000/c2ln">' in html
    assert "(2 Ko)" in plain and "Ces liens fonctionnent jusqu'au 2026-12-01 09:30 UTC." in plain


def test_an_email_without_files_says_nothing_about_files() -> None:
    mail = compose.request_received(envelope(), language="en", company="Acme", question="?")
    assert "Files in this conversation" not in part(mail, "plain")
    assert "Files in this conversation" not in part(mail, "html")
