"""Builds the emails (text and HTML parts) from plain data. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from html import escape

from bridge.mail.catalog import text


@dataclass(frozen=True)
class Envelope:
    """Who an email is from and to, and where replies go."""

    mail_from: str  # MAIL_FROM, "Name <address>"
    to_name: str
    to_address: str
    reference: str
    message_key: str  # stable per outbox item: the same email keeps the same Message-ID


def reply_to(mail_from: str, reference: str) -> str:
    """A per-case address (plus-addressing on MAIL_FROM), so replies can be told apart."""
    address = parseaddr(mail_from)[1]
    local, _, domain = address.partition("@")
    return f"{local}+{reference.lower()}@{domain}"


def address(name: str, addr_spec: str) -> Address:
    """One mailbox for a header, built by the email library."""
    local, _, domain = addr_spec.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def _message(
    envelope: Envelope, language: str, subject: str, plain: str, html_body: str
) -> EmailMessage:
    message = EmailMessage()
    # Address objects only: a name typed by a customer is quoted or encoded, never read as
    # an address ("Jöhn <attacker@…>" stays a display name).
    sender_name, sender = parseaddr(envelope.mail_from)
    message["From"] = address(sender_name, sender)
    message["To"] = address(envelope.to_name, envelope.to_address)
    message["Reply-To"] = address("", reply_to(envelope.mail_from, envelope.reference))
    message["Subject"] = subject
    domain = parseaddr(envelope.mail_from)[1].partition("@")[2] or "casebridge.localhost"
    message["Message-ID"] = make_msgid(idstring=envelope.message_key, domain=domain)
    message["X-Casebridge-Case"] = envelope.reference
    message.set_content(plain)
    message.add_alternative(
        f'<!doctype html><html lang="{escape(language)}">'
        '<body style="font-family:sans-serif;line-height:1.5">'
        f"{html_body}</body></html>",
        subtype="html",
    )
    message["Content-Language"] = language  # after the parts: set_content drops Content-*
    return message


def _paragraphs(body: str) -> str:
    return "".join(
        f"<p>{escape(part).replace(chr(10), '<br>')}</p>"
        for part in body.split("\n\n")
        if part.strip()
    )


def request_received(
    envelope: Envelope, *, language: str, company: str, question: str
) -> EmailMessage:
    """To the customer: their chat became a support request; what they asked."""
    name, ref = envelope.to_name, envelope.reference
    intro = text(language, "received_intro", name=name, company=company)
    label, reference = text(language, "your_question"), text(language, "reference")
    signature = text(language, "signature", company=company)
    plain = f"{intro}\n\n{reference}: {ref}\n\n{label}:\n{question}\n\n{signature}\n"
    html_body = (
        f"<p>{escape(intro)}</p><p><strong>{escape(reference)}:</strong> {escape(ref)}"
        f"</p><p><strong>{escape(label)}:</strong></p><blockquote>"
        f"{_paragraphs(question)}</blockquote><p>{escape(signature)}</p>"
    )
    return _message(
        envelope, language, text(language, "received_subject", ref=ref), plain, html_body
    )


def agent_reply(
    envelope: Envelope, *, language: str, company: str, agent: str, subject: str, body: str
) -> EmailMessage:
    """To the customer: an agent's answer to their support request."""
    intro = text(
        language,
        "reply_intro",
        name=envelope.to_name,
        agent=agent,
        company=company,
        ref=envelope.reference,
    )
    signature = text(language, "signature", company=company)
    plain = f"{intro}\n\n{body}\n\n{signature}\n"
    html_body = f"<p>{escape(intro)}</p>{_paragraphs(body)}<p>{escape(signature)}</p>"
    return _message(envelope, language, subject, plain, html_body)


def unseen_reply(
    envelope: Envelope, *, language: str, company: str, agent: str, body: str, chat_url: str
) -> EmailMessage:
    """To the customer: what an agent wrote after they left the chat, with the way back."""
    intro = text(language, "unseen_intro", name=envelope.to_name, agent=agent)
    back = text(language, "back_to_chat")
    signature = text(language, "signature", company=company)
    plain = f"{intro}\n\n{body}\n\n{back}: {chat_url}\n\n{signature}\n"
    html_body = (
        f"<p>{escape(intro)}</p><blockquote>{_paragraphs(body)}</blockquote>"
        f'<p><a href="{escape(chat_url)}">{escape(back)}</a></p>'
        f"<p>{escape(signature)}</p>"
    )
    subject = text(language, "unseen_subject", agent=agent, ref=envelope.reference)
    return _message(envelope, language, subject, plain, html_body)


def agent_alert(
    envelope: Envelope, *, kind: str, customer: str, question: str, link: str | None
) -> EmailMessage:
    """To an agent who asked for email alerts: a case waits."""
    subject = f"[casebridge] New {kind} {envelope.reference} from {customer}"
    where = f"\n\nOpen it in Slack: {link}" if link else ""
    plain = f"{customer} is waiting.\n\n{question}{where}\n"
    html_link = f'<p><a href="{escape(link)}">Open it in Slack</a></p>' if link else ""
    html_body = (
        f"<p>{escape(customer)} is waiting.</p>"
        f"<blockquote>{_paragraphs(question)}</blockquote>{html_link}"
    )
    return _message(envelope, "en", subject, plain, html_body)
