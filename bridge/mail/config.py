"""SMTP_URL, IMAP_URL and INBOUND_SMTP, read into what the mail clients and servers need."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # smtps://: TLS from the first byte
    start_tls: bool = False  # smtp://…?starttls=1: upgrade after EHLO
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        """smtp://user:pass@host:587?starttls=1, smtps://host:465, smtp://127.0.0.1:2525."""
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        secure = parts.scheme == "smtps"
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or (465 if secure else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=secure,
            start_tls=not secure and query.get("starttls", "").lower() in _TRUE,
            timeout=float(query.get("timeout", 30)),
        )


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    username: str
    password: str
    folder: str = "INBOX"
    security: str = "tls"  # tls (imaps://), starttls (imap://…?starttls=1) or none (imap://)
    poll_seconds: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> ImapConfig:
        """imaps://user:pass@host/INBOX, imap://user:pass@host:143/INBOX?starttls=1."""
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname:
            raise ValueError("is not an imap:// or imaps:// URL with a host")
        if not parts.username or parts.password is None:
            raise ValueError("needs a user and a password (imaps://user:pass@host/INBOX)")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        secure = parts.scheme == "imaps"
        starttls = not secure and query.get("starttls", "").lower() in _TRUE
        poll = float(query.get("poll", 30))
        if poll <= 0:
            raise ValueError("poll must be a positive number of seconds")
        return cls(
            host=parts.hostname,
            port=parts.port or (993 if secure else 143),
            username=unquote(parts.username),
            password=unquote(parts.password),
            folder=unquote(parts.path.strip("/")) or "INBOX",
            security="tls" if secure else ("starttls" if starttls else "none"),
            poll_seconds=poll,
        )


def split_host_port(value: str) -> tuple[str, int]:
    """'127.0.0.1:2526' → ('127.0.0.1', 2526); ValueError when it is not host:port."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isascii() or not port.isdigit():
        raise ValueError("is not host:port (e.g. 0.0.0.0:2526)")
    number = int(port)
    if not 0 <= number <= 65535:
        raise ValueError("port must be between 0 and 65535")
    return host.strip("[]"), number
