"""What `make run` decides from the settings it is given."""

from __future__ import annotations

from bridge.core.routing import Mode
from bridge.local_run import LocalPorts, banner, local_settings
from bridge.settings import Settings

PORTS = LocalPorts(web=8000, slack=3200, smtp=2626)


def test_without_credentials_everything_local_and_a_fresh_demo_database() -> None:
    settings, local_slack, local_mail = local_settings(Settings(_env_file=None), PORTS)
    assert local_slack and local_mail
    assert settings.slack_api_url == "http://127.0.0.1:3200/api/"
    assert settings.slack_bot_token is not None and settings.smtp_url is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-local"
    assert settings.slack_app_token is None
    assert settings.smtp_url.get_secret_value() == "smtp://127.0.0.1:2626"
    assert settings.database_url == "sqlite+aiosqlite:///./.demo/casebridge.db"
    assert settings.public_url == "http://localhost:8000" and settings.port == 8000


def test_what_the_person_set_is_kept() -> None:
    given = Settings(
        _env_file=None,
        database_url="postgresql+asyncpg://me@db/casebridge",
        public_url="https://help.example.com",
        smtp_url="smtp://mail.example.com:587",
    )
    settings, local_slack, local_mail = local_settings(given, PORTS)
    assert local_slack and not local_mail
    assert settings.database_url == "postgresql+asyncpg://me@db/casebridge"  # never wiped
    assert settings.public_url == "https://help.example.com"
    assert settings.smtp_url is not None
    assert settings.smtp_url.get_secret_value() == "smtp://mail.example.com:587"


def test_with_a_bot_token_slack_is_the_real_one() -> None:
    given = Settings(_env_file=None, slack_bot_token="xoxb-1", slack_signing_secret="s")
    settings, local_slack, _ = local_settings(given, PORTS)
    assert not local_slack
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite+aiosqlite:///./casebridge.db"
    text = banner(settings, PORTS, [("acme", Mode.QUEUE)], None, local_mail=True)
    assert "customer portal (queue    ) http://localhost:8000/p/acme" in text
    assert "Slack (local)" not in text and "http://127.0.0.1:3200/mail" in text
