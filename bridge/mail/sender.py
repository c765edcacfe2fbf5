"""Hands emails to the SMTP server, sorting its refusals into retry-later and never-again."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from bridge.mail.config import SmtpConfig
from bridge.outbox.errors import Parked, Permanent, Transient

SMTP = "smtp"  # the parked lane when the server refuses us rather than one address


class SmtpSender:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, message: EmailMessage) -> str:
        """Deliver one message; returns the server's answer. Raises Transient or Permanent."""
        c = self.config
        try:
            _refused, answer = await aiosmtplib.send(
                message,
                hostname=c.host,
                port=c.port,
                username=c.username,
                password=c.password,
                use_tls=c.use_tls,
                start_tls=c.start_tls,
                timeout=c.timeout,
            )
        except (aiosmtplib.SMTPAuthenticationError, aiosmtplib.SMTPSenderRefused) as refused:
            # Ours to fix, not the customer's: every email waits until it is fixed.
            fix = (
                "The mail server refused our login: check the user and password in SMTP_URL."
                if isinstance(refused, aiosmtplib.SMTPAuthenticationError)
                else "The mail server does not let us send as MAIL_FROM: set an address it accepts."
            )
            raise Parked(SMTP, f"{refused.code} {refused.message}", fix) from None
        except aiosmtplib.SMTPRecipientsRefused as refused:
            reasons = "; ".join(f"{r.code} {r.message}" for r in refused.recipients)
            raise Permanent(f"recipient refused: {reasons}") from None
        except aiosmtplib.SMTPResponseException as answer_error:
            problem = f"{answer_error.code} {answer_error.message}"
            if 500 <= answer_error.code < 600:
                raise Permanent(problem) from None
            raise Transient(problem) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as trouble:
            raise Transient(f"{type(trouble).__name__}: {trouble}") from None
        return str(answer)
