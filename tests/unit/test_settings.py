"""Settings: the contract's names, and one clear line for every bad value."""

import logging
import os

import pytest

from bridge.settings import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(
            ("SLACK_", "SMTP_", "DATABASE_", "PUBLIC_", "MAIL_", "REDIS_", "IMAP_", "INBOUND_")
        ) or name in ("PORT", "HOST", "CASEBRIDGE_ADMINS"):
            monkeypatch.delenv(name)


def test_defaults_need_no_configuration() -> None:
    settings = load_settings(env_file=None)
    assert settings.database_url == "sqlite+aiosqlite:///./casebridge.db"
    assert settings.port == 8080 and settings.slack_api_url == "https://slack.com/api/"
    assert settings.grace_period_seconds == 60 and settings.max_wait_seconds == 600
    assert settings.code_lifetime_seconds == 1200 and not settings.slack_configured


def test_contract_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9000/api")
    monkeypatch.setenv("CASEBRIDGE_ADMINS", "U111, W222")
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/cb")
    settings = load_settings(env_file=None)
    assert settings.slack_configured and settings.admins == {"U111", "W222"}
    assert settings.slack_api_url == "http://127.0.0.1:9000/api/"
    assert settings.database_url == "postgresql+asyncpg://postgres@127.0.0.1/cb"


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("PORT", "-5", "greater than or equal to 0"),
        ("PORT", "http", "valid integer"),
        ("PUBLIC_URL", "localhost:8080", "not an http(s) URL"),
        ("SLACK_API_URL", "ftp://x/", "not an http(s) URL"),
        ("GRACE_PERIOD_SECONDS", "-1", "greater than 0"),
        ("MAX_WAIT_SECONDS", "0", "greater than 0"),
        ("CODE_LIFETIME_SECONDS", "-60", "greater than 0"),
        ("DATABASE_URL", "mysql://db/x", "must start with sqlite+aiosqlite://"),
        ("SMTP_URL", "http://mail", "not an smtp:// or smtps:// URL"),
        ("SMTP_URL", "smtp://mail:port", "bad port or timeout"),
        ("SMTP_URL", "smtp://mail:25?timeout=0", "timeout must be positive"),
        ("WAIT_WARNING_SECONDS", "0", "greater than 0"),
        ("UNSEEN_REPLY_SECONDS", "-5", "greater than 0"),
        ("SWEEP_INTERVAL_SECONDS", "0", "greater than 0"),
        ("MAIL_FROM", "nobody", "no valid email address"),
        ("SLACK_BOT_TOKEN", "xoxp-user", "starts with xoxb-"),
        ("SLACK_APP_TOKEN", "xoxb-1", "starts with xapp-"),
        ("CASEBRIDGE_ADMINS", "U1A,alice", "'alice' is not a Slack user id"),
        ("REDIS_URL", "http://x", "not a redis:// URL"),
        ("PUBLIC_URL", "https://support.*.example.com", "'*.' followed by a host name"),
        ("PUBLIC_URL", "https://*.example.com/help", "serves portals at '/'"),
        ("IMAP_URL", "pop3://u:p@mail/INBOX", "not an imap:// or imaps:// URL"),
        ("IMAP_URL", "imaps://mail.example.com/INBOX", "needs a user and a password"),
        ("IMAP_URL", "imap://u:p@mail/INBOX?poll=-1", "poll must be a positive"),
        ("INBOUND_SMTP", "2526", "is not host:port"),
        ("INBOUND_SMTP", "0.0.0.0:70000", "port must be between 0 and 65535"),
    ],
)
def test_a_bad_value_stops_start_up_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        load_settings(env_file=None)
    line = str(refused.value)
    assert line.startswith(f"{name}: ") and says in line and "\n" not in line


@pytest.mark.parametrize(
    ("name", "value"),
    [("SMTP_URL", "http://user:hunter2@mail"), ("IMAP_URL", "imap://user:hunter2@mail?poll=0")],
)
def test_passwords_are_not_echoed(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        load_settings(env_file=None)
    assert "hunter2" not in str(refused.value)


def test_a_wildcard_public_url_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_URL", "https://*.support.example.com/")
    assert load_settings(env_file=None).public_url == "https://*.support.example.com"


def test_secrets_never_show_in_a_repr_a_log_line_or_an_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    secrets = {
        "SLACK_BOT_TOKEN": "xoxb-bot-SECRET",
        "SLACK_SIGNING_SECRET": "signing-SECRET",
        "SLACK_APP_TOKEN": "xapp-app-SECRET",
        "SMTP_URL": "smtp://mailer:SECRET@mail.example.com:587",
        "IMAP_URL": "imaps://support:SECRET@mail.example.com/INBOX",
        "REDIS_URL": "redis://:SECRET@127.0.0.1:6379/0",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(env_file=None)
    logging.getLogger("casebridge.test").warning("started with %s / %r", settings, settings)
    shown = repr(settings) + str(settings) + str(settings.model_dump()) + caplog.text
    assert "SECRET" not in shown
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-bot-SECRET"  # still usable

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-user-SECRET")  # wrong kind, still a token
    with pytest.raises(ConfigError) as refused:
        load_settings(env_file=None)
    assert "SLACK_BOT_TOKEN" in str(refused.value) and "SECRET" not in str(refused.value)
