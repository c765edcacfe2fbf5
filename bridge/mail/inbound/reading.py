"""Raw RFC 5322 bytes → an InboundEmail: decoded, HTML turned to text, history stripped."""

from __future__ import annotations

import hashlib
import logging
import re
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from inscriptis import get_text
from mailparser_reply import EmailReplyParser

from bridge.core.inbound_email import InboundEmail

log = logging.getLogger(__name__)

# The portal's languages, plus German (common among customers writing in from Europe).
_REPLY_LANGUAGES = ["en", "fr", "es", "pt", "de"]
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_BULK = ("bulk", "junk", "list", "auto_reply")
ORIGINAL_LIMIT = 100_000


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the policy cannot parse is treated as absent
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def automated_reason(message: Message, envelope_sender: str | None = None) -> str | None:
    """Why this email was sent by a machine (auto-reply, bounce, list), or None (RFC 3834)."""
    auto = _header(message, "Auto-Submitted").lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = _header(message, "Precedence").lower()
    if precedence in _BULK:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if _header(message, name):
            return f"{name} header"
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    if _header(message, "List-Id"):
        return "mailing list"
    if envelope_sender is not None:
        null_sender = envelope_sender.strip() in ("", "<>")
    else:
        return_path = _header(message, "Return-Path")
        null_sender = bool(return_path) and not parseaddr(return_path)[1]
    if null_sender:
        return "null sender (a bounce)"
    local = parseaddr(_header(message, "From"))[1].partition("@")[0].lower()
    if local in ("mailer-daemon", "postmaster"):
        return f"sent by {local}"
    return None


def _decoded(part: Message) -> str:
    """The part's text in its declared charset, tolerating wrong or unknown ones."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        return payload.decode("utf-8", errors="replace")


def _bodies(message: Message) -> tuple[str, str, tuple[str, ...]]:
    """The first text/plain, the first text/html, and the names of the attachments."""
    plain = html = ""
    attachments: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = (part.get_content_disposition() or "").lower()
        filename = part.get_filename()
        if disposition == "attachment" or (filename and disposition != "inline"):
            attachments.append(" ".join((filename or "attachment").split())[:200])
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and not plain:
            plain = _decoded(part)
        elif kind == "text/html" and not html:
            html = _decoded(part)
    return plain, html, tuple(attachments)


def _recipients(message: Message, envelope: tuple[str, ...]) -> tuple[str, ...]:
    found = list(envelope)
    for name in ("Delivered-To", "X-Original-To", "To", "Cc"):
        values = [str(v) for v in (message.get_all(name) or [])]
        found.extend(address for _, address in getaddresses(values) if address)
    return tuple(dict.fromkeys(a.strip() for a in found if "@" in a))


def _references(message: Message) -> tuple[str, ...]:
    ids: list[str] = []
    for name in ("In-Reply-To", "References"):
        ids.extend(reversed(_MESSAGE_ID.findall(_header(message, name))))
    return tuple(dict.fromkeys(ids))


def _reply_text(body: str) -> str:
    """The new part of a reply: quoted history, signatures and disclaimers removed."""
    try:
        replies = EmailReplyParser(languages=_REPLY_LANGUAGES).read(body).replies
    except Exception:  # the parser is a heuristic; a failure must not lose the email
        log.warning("reply parser failed; keeping the whole body", exc_info=True)
        return body.strip()
    newest = replies[0].body.strip() if replies else ""
    return newest or body.strip()


def _original(message: Message, body: str) -> str:
    """What the agent sees under "show original": the main headers and the whole body."""
    lines = [
        f"{name}: {value}"
        for name in ("From", "To", "Cc", "Date", "Subject")
        if (value := _header(message, name))
    ]
    return "\n".join(lines) + "\n\n" + body.strip()


def read_email(
    raw: bytes, envelope_sender: str | None = None, envelope_recipients: tuple[str, ...] = ()
) -> InboundEmail:
    """Read one email; never raises on malformed input (what cannot be read stays empty)."""
    message = message_from_bytes(raw, policy=policy.default)
    name, sender = parseaddr(_header(message, "From"))
    if isinstance(message, EmailMessage):
        try:
            from_header = message["From"]
            addresses = getattr(from_header, "addresses", ())
            if addresses and isinstance(addresses[0], Address):
                name, sender = addresses[0].display_name, addresses[0].addr_spec
        except Exception:
            pass
    plain, html, attachments = _bodies(message)
    body = plain if plain.strip() else (get_text(html) if html.strip() else "")
    message_id = _MESSAGE_ID.search(_header(message, "Message-ID"))
    return InboundEmail(
        message_id=(
            message_id.group(0) if message_id else f"<sha256.{hashlib.sha256(raw).hexdigest()}>"
        ),
        sender=sender,
        sender_name=" ".join(name.split()),
        recipients=_recipients(message, envelope_recipients),
        subject=_header(message, "Subject")[:200],
        text=_reply_text(body),
        original=_original(message, body)[:ORIGINAL_LIMIT],
        references=_references(message),
        automated=automated_reason(message, envelope_sender),
        attachments=attachments,
    )
