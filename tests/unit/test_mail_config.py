"""SMTP_URL in its three forms: plain, STARTTLS, and TLS from the first byte."""

from __future__ import annotations

from bridge.mail.compose import reply_to
from bridge.mail.config import SmtpConfig


def test_plain_smtp_on_loopback_as_the_mail_catcher_uses_it() -> None:
    config = SmtpConfig.from_url("smtp://127.0.0.1:2525")
    assert (config.host, config.port, config.use_tls, config.start_tls) == (
        "127.0.0.1",
        2525,
        False,
        False,
    )
    assert config.username is None and config.password is None


def test_starttls_with_credentials_that_need_quoting() -> None:
    config = SmtpConfig.from_url("smtp://apikey:p%40ss%2Fword@mail.example.com:587?starttls=1")
    assert (config.port, config.start_tls, config.use_tls) == (587, True, False)
    assert (config.username, config.password) == ("apikey", "p@ss/word")


def test_smtps_is_tls_from_the_first_byte_on_port_465_by_default() -> None:
    config = SmtpConfig.from_url("smtps://user:secret@mail.example.com?timeout=5")
    assert (config.port, config.use_tls, config.start_tls, config.timeout) == (465, True, False, 5)


def test_replies_go_to_a_per_case_plus_address_on_mail_from() -> None:
    assert reply_to("Acme Support <help@acme.test>", "C-000123") == "help+c-000123@acme.test"
