"""Configuration, read once from the environment (or .env) and validated at start-up."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bridge.core.text import clean_email
from bridge.files.locations import parse_files_url
from bridge.mail.config import ImapConfig, SmtpConfig, split_host_port

_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class ConfigError(Exception):
    """Bad configuration; the message is one line naming the setting and the problem."""


class Settings(BaseSettings):
    """Every setting (README's Configuration table); environment names are the upper-case names."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str = "sqlite+aiosqlite:///./casebridge.db"
    # Connections one process keeps open, may add under load, and waits for when all are busy.
    database_pool_size: int = Field(20, ge=1, le=1000)
    database_pool_overflow: int = Field(20, ge=0, le=1000)
    database_pool_timeout_seconds: float = Field(30.0, gt=0)
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    smtp_url: SecretStr | None = None
    mail_from: str = "casebridge <support@casebridge.localhost>"
    public_url: str = "http://localhost:8080"
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535, description="0: any free port (casebridge run)")
    redis_url: SecretStr | None = None
    imap_url: SecretStr | None = None  # read customers' email replies from this mailbox
    inbound_smtp: str | None = None  # host:port to receive customers' email on
    casebridge_admins: str = ""
    trusted_proxies: str = Field(
        "", description="reverse proxies whose X-Forwarded-For names the client (IPs or CIDRs)"
    )

    grace_period_seconds: int = Field(60, gt=0, description="customer gone → support request")
    max_wait_seconds: int = Field(600, gt=0, description="unclaimed wait → support request")
    code_lifetime_seconds: int = Field(1200, gt=0)
    unseen_reply_seconds: int = Field(300, gt=0)
    wait_warning_seconds: int = Field(60, gt=0, description="warn this long before max wait")
    sweep_interval_seconds: float = Field(5.0, gt=0)
    max_codes_per_agent: int = Field(8, gt=0)
    files_dir: str = Field("./casebridge-files", description="where customers' files are kept")
    # An S3-compatible bucket instead of FILES_DIR (several workers on several machines).
    files_url: str | None = Field(None, description="s3://bucket/prefix?endpoint=…&region=…")
    files_access_key_id: SecretStr | None = None
    files_secret_access_key: SecretStr | None = None
    # Emailed file links: signed with this (default: derived from the Slack secrets), for so long.
    file_link_secret: SecretStr | None = None
    file_link_seconds: int = Field(7 * 24 * 3600, gt=0, le=90 * 24 * 3600)
    file_max_bytes: int = Field(10 * 1024 * 1024, gt=0, le=1024**3, description="per file")
    case_files_max_bytes: int = Field(50 * 1024 * 1024, gt=0, description="all files of one case")
    outbox_retention_days: float = Field(
        7, gt=0, description="delivered outbox items are deleted after this long"
    )

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme in ("postgresql", "postgres"):
            # A bare postgresql:// means psycopg to SQLAlchemy; we ship asyncpg.
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if scheme not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
            raise ValueError(
                f"'{_redact(value)}' must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
            )
        return value

    @field_validator("slack_api_url", "public_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"'{value}' is not an http(s) URL")
        return value

    @field_validator("public_url")
    @classmethod
    def _wildcard_host(cls, value: str) -> str:
        parts = urlsplit(value)
        if "*" not in parts.netloc:
            return value
        if not parts.netloc.startswith("*.") or "*" in parts.netloc[2:]:
            raise ValueError(f"'{value}': a wildcard host is '*.' followed by a host name")
        if parts.path not in ("", "/"):
            raise ValueError(f"'{value}': a wildcard host serves portals at '/', not at a path")
        return value.rstrip("/")

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is None:
            return None
        value = secret.get_secret_value()
        parts = urlsplit(value)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"'{_redact(value)}' is not an smtp:// or smtps:// URL with a host")
        try:
            config = SmtpConfig.from_url(value)
        except ValueError:
            raise ValueError(f"'{_redact(value)}' has a bad port or timeout") from None
        if config.timeout <= 0:
            raise ValueError(f"'{_redact(value)}': timeout must be positive")
        return secret

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, secret: SecretStr | None) -> SecretStr | None:
        value = _revealed(secret)
        if value is not None and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError(f"'{_redact(value)}' is not a redis:// URL")
        return secret

    @field_validator("imap_url")
    @classmethod
    def _imap_url(cls, secret: SecretStr | None) -> SecretStr | None:
        value = _revealed(secret)
        if value is not None:
            try:
                ImapConfig.from_url(value)
            except ValueError as problem:
                raise ValueError(f"'{_redact(value)}' {problem}") from None
        return secret

    @field_validator("inbound_smtp")
    @classmethod
    def _inbound_smtp(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                split_host_port(value)
            except ValueError as problem:
                raise ValueError(f"'{value}' {problem}") from None
        return value

    @field_validator("files_url")
    @classmethod
    def _files_url(cls, value: str | None) -> str | None:
        if value:
            try:
                parse_files_url(value)
            except ValueError as problem:
                raise ValueError(f"'{_redact(value)}' {problem}") from None
        return value or None

    @model_validator(mode="after")
    def _files_credentials(self) -> Settings:
        if (self.files_access_key_id is None) != (self.files_secret_access_key is None):
            raise ValueError(
                "FILES_ACCESS_KEY_ID and FILES_SECRET_ACCESS_KEY are set together or not at all"
            )
        if self.files_access_key_id is not None and not self.files_url:
            raise ValueError("FILES_ACCESS_KEY_ID is set but FILES_URL is not")
        return self

    @field_validator("mail_from")
    @classmethod
    def _mail_from(cls, value: str) -> str:
        address = value.rsplit("<", 1)[-1].rstrip(">").strip()
        try:
            clean_email(address)
        except Exception:
            raise ValueError(f"'{value}' has no valid email address") from None
        return value

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None and not secret.get_secret_value().startswith("xoxb-"):
            raise ValueError("a bot token starts with xoxb-")
        return secret

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, secret: SecretStr | None) -> SecretStr | None:
        if secret is not None and not secret.get_secret_value().startswith("xapp-"):
            raise ValueError("an app-level token starts with xapp-")
        return secret

    @field_validator("casebridge_admins")
    @classmethod
    def _admins(cls, value: str) -> str:
        for item in _split(value):
            if not _SLACK_USER_ID.match(item):
                raise ValueError(f"'{item}' is not a Slack user id (like U012ABCDEF)")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: str) -> str:
        parse_networks(value)
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        """The proxies allowed to say who the client is (none by default)."""
        return parse_networks(self.trusted_proxies)

    @property
    def portal_key(self) -> bytes:
        """A server-side key every worker shares (for opaque ids in the portal)."""
        secret = self.slack_signing_secret or self.slack_app_token or self.slack_bot_token
        shared = secret.get_secret_value() if secret else "local"
        return hashlib.sha256(b"casebridge-portal:" + shared.encode()).digest()

    @property
    def file_link_key(self) -> bytes:
        """What signs file links: FILE_LINK_SECRET, else a key of its own from the portal's."""
        if self.file_link_secret is not None:
            chosen = self.file_link_secret.get_secret_value().encode()
            return hashlib.sha256(b"casebridge-file-links:" + chosen).digest()
        return hashlib.sha256(b"casebridge-file-links:" + self.portal_key).digest()

    @property
    def admins(self) -> frozenset[str]:
        """Slack user ids that are admins in addition to the workspace's admins and owners."""
        return frozenset(_split(self.casebridge_admins))

    @property
    def slack_configured(self) -> bool:
        return bool(self.slack_bot_token and self.slack_signing_secret)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str) -> tuple[Network, ...]:
    """`"10.0.0.1, 192.168.0.0/16"` → networks; ValueError naming the bad item."""
    networks = []
    for item in _split(value):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            problem = f"'{item}' is not an IP address or network (like 10.0.0.0/8)"
            raise ValueError(problem) from None
    return tuple(networks)


# Settings whose value never goes into a repr, a log line or an error message.
SECRETS = frozenset(
    name for name, field in Settings.model_fields.items() if field.annotation == SecretStr | None
)


def _revealed(secret: SecretStr | None) -> str | None:
    """The value behind a secret setting, for the code that must use it (never for a log)."""
    return secret.get_secret_value() if secret is not None else None


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _redact(url: str) -> str:
    """Hide a password in a URL before it goes into an error message."""
    return re.sub(r"://([^:/@]*):[^@/]*@", r"://\1:***@", url)


def load_settings(env_file: str | None = ".env") -> Settings:
    """Read and validate the settings; ConfigError with one line on any bad value."""
    try:
        return Settings(_env_file=env_file)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            message = error["msg"].removeprefix("Value error, ")
            shown = error.get("input")
            secret = name.lower() in SECRETS  # a wrong token is still somebody's token
            if isinstance(shown, str | int | float) and "'" not in message and not secret:
                message += f" (got {_redact(str(shown))!r})"
            problems.append(f"{name}: {message}")
        raise ConfigError("; ".join(problems)) from None
