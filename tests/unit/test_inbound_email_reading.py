"""Reading customers' emails: whatever their shape, the agent gets the new words, once."""

from __future__ import annotations

from email.message import EmailMessage

from bridge.core.inbound_email import (
    case_number_from_addresses,
    case_number_from_references,
    portal_from_addresses,
    same_address,
    split_name,
)
from bridge.mail.inbound.reading import read_email


def _mail(body: str = "Thanks, that fixed it!", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Jane Doe <jane@example.com>")
    message["To"] = headers.pop("To", "support+c-000012@casebridge.example")
    message["Subject"] = headers.pop("Subject", "Re: We received your request C-000012")
    message["Message-ID"] = headers.pop("Message_ID", "<reply-1@example.com>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def test_a_plain_reply_loses_its_quoted_history_and_signature() -> None:
    body = (
        "Thanks, that fixed it!\n\nBest,\nJane\n--\nJane Doe, ACME\n\n"
        "On Mon, Nov 23, 2026 at 10:00 AM Bob <support+c-000012@casebridge.example> wrote:\n"
        "> Try restarting the router.\n> Bob\n"
    )
    mail = read_email(bytes(_mail(body)))
    assert mail.text == "Thanks, that fixed it!"
    assert "Try restarting the router." in mail.original
    assert mail.sender == "jane@example.com" and mail.sender_name == "Jane Doe"
    assert mail.message_id == "<reply-1@example.com>"
    assert mail.automated is None


def test_an_html_only_reply_becomes_text() -> None:
    message = _mail()
    message.set_content(
        "<html><body><p>It <b>works</b> now &amp; thank you.</p>"
        "<script>alert(1)</script></body></html>",
        subtype="html",
    )
    mail = read_email(bytes(message))
    assert "It works now & thank you." in mail.text
    assert "<b>" not in mail.text and "alert(1)" not in mail.text


def test_a_latin1_body_and_an_encoded_name_are_decoded() -> None:
    raw = (
        "From: =?iso-8859-1?q?Ren=E9e_L=E9vesque?= <renee@example.fr>\r\n"
        "To: support+c-000007@casebridge.example\r\n"
        "Subject: =?iso-8859-1?q?R=E9ponse?=\r\n"
        "Message-ID: <r1@example.fr>\r\n"
        "Content-Type: text/plain; charset=iso-8859-1\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        "C'est r=E9gl=E9, merci.\r\n"
    ).encode("ascii")
    mail = read_email(raw)
    assert mail.sender_name == "Renée Lévesque"
    assert mail.subject == "Réponse"
    assert mail.text == "C'est réglé, merci."


def test_an_unknown_charset_does_not_lose_the_email() -> None:
    raw = (
        b"From: x@example.com\r\nTo: support+c-000001@casebridge.example\r\n"
        b"Content-Type: text/plain; charset=x-made-up\r\n\r\nhello \xff there\r\n"
    )
    mail = read_email(raw)
    assert mail.text.startswith("hello") and mail.text.endswith("there")
    assert mail.message_id.startswith("<sha256.")  # no Message-ID: one from the content


def test_auto_replies_bounces_and_lists_are_recognised() -> None:
    assert read_email(bytes(_mail(Auto_Submitted="auto-replied"))).automated
    assert read_email(bytes(_mail(Precedence="bulk"))).automated
    assert read_email(bytes(_mail(List_Id="<news.example.com>"))).automated
    assert read_email(bytes(_mail(From="MAILER-DAEMON@example.com"))).automated
    assert read_email(bytes(_mail()), envelope_sender="").automated == "null sender (a bounce)"
    assert read_email(bytes(_mail(Auto_Submitted="no"))).automated is None


def test_attachments_are_named_not_read_as_text() -> None:
    message = _mail("See the screenshot.")
    message.add_attachment(b"\x89PNG...", maintype="image", subtype="png", filename="screen.png")
    mail = read_email(bytes(message))
    assert mail.text == "See the screenshot."
    assert mail.attachments == ("screen.png",)


def test_which_case_or_portal_an_email_is_for() -> None:
    assert case_number_from_addresses(("support+C-000123@x.example",)) == 123
    assert case_number_from_addresses(("support@x.example",)) is None
    ours = "<176.1.2.casebridge.c-000045.17@casebridge.example>"
    assert case_number_from_references(("<other@x>", ours)) == 45
    assert portal_from_addresses(("support+acme@x.example",)) == "acme"
    assert portal_from_addresses(("support+c-000123@x.example",)) is None
    assert split_name("Jane van Doe", "j@x.example") == ("Jane", "van Doe")
    assert split_name("", "jane@x.example") == ("jane", "(email)")
    assert same_address("Jane+x@Example.com", "jane@example.com")
    assert not same_address("", "")
