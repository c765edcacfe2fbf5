"""Builds the emails from plain data: text and HTML parts rendered from `templates/`. No I/O.

The sentences come from the portal's translation catalogs (their `mail` section), so the
customer reads the same voice on the page and in their inbox. HTML is autoescaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from functools import partial

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bridge.core.attachments import plain_file_name
from portal.i18n import human_size, translate

_templates = Environment(
    loader=PackageLoader("bridge.mail", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Envelope:
    """Who an email is from and to, and where replies go."""

    mail_from: str  # MAIL_FROM, "Name <address>"
    to_name: str
    to_address: str
    reference: str
    message_key: str  # stable per outbox item: the same email keeps the same Message-ID


@dataclass(frozen=True)
class MailFile:
    """A case's file as an email lists it: its name, size and a link that expires."""

    name: str
    size: int
    url: str
    expires: datetime


def _files(language: str, files: Sequence[MailFile]) -> dict[str, object]:
    """What the templates' file list needs; names made safe for plain text too."""
    listed = [
        {"name": plain_file_name(f.name), "size": human_size(language, f.size), "url": f.url}
        for f in files
    ]
    until = min((f.expires for f in files), default=None)
    shown = until.strftime("%Y-%m-%d %H:%M UTC") if until else ""
    return {"files": listed, "files_until": shown}


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
    envelope: Envelope, language: str, subject: str, template: str, **values: object
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
    values |= {
        "language": language,
        "name": envelope.to_name,
        "reference": envelope.reference,
        "t": partial(translate, language),
    }
    message.set_content(_templates.get_template(f"{template}.txt").render(values))
    message.add_alternative(
        _templates.get_template(f"{template}.html").render(values), subtype="html"
    )
    message["Content-Language"] = language  # after the parts: set_content drops Content-*
    return message


def request_received(
    envelope: Envelope,
    *,
    language: str,
    company: str,
    question: str,
    files: Sequence[MailFile] = (),
) -> EmailMessage:
    """To the customer: their chat became a support request; what they asked, their files."""
    subject = translate(language, "mail.received_subject", ref=envelope.reference)
    return _message(
        envelope,
        language,
        subject,
        "request_received",
        company=company,
        question=question,
        **_files(language, files),
    )


def agent_reply(
    envelope: Envelope, *, language: str, company: str, agent: str, subject: str, body: str
) -> EmailMessage:
    """To the customer: an agent's answer to their support request."""
    return _message(
        envelope, language, subject, "agent_reply", company=company, agent=agent, body=body
    )


def unseen_reply(
    envelope: Envelope,
    *,
    language: str,
    company: str,
    agent: str,
    body: str,
    chat_url: str,
    files: Sequence[MailFile] = (),
) -> EmailMessage:
    """To the customer: what an agent wrote after they left the chat, the way back, the files."""
    subject = translate(language, "mail.unseen_subject", agent=agent, ref=envelope.reference)
    return _message(
        envelope,
        language,
        subject,
        "unseen_reply",
        company=company,
        agent=agent,
        body=body,
        chat_url=chat_url,
        **_files(language, files),
    )


def agent_alert(
    envelope: Envelope, *, kind: str, customer: str, question: str, link: str | None
) -> EmailMessage:
    """To an agent who asked for email alerts (in English): a case waits."""
    subject = f"[casebridge] New {kind} {envelope.reference} from {customer}"
    return _message(
        envelope, "en", subject, "agent_alert", customer=customer, question=question, link=link
    )
