"""The database schema. Times are stored as UTC and always come back timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class CompanyRow(Base):
    __tablename__ = "companies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime]


class PortalRow(Base):
    __tablename__ = "portals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # One portal per company: the unique constraint is the rule.
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), unique=True)
    # Stored canonical (lower-case), so the unique constraint is case-insensitive.
    subdomain: Mapped[str] = mapped_column(String(63), unique=True)
    mode: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    channel_id: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="en")
    brand_name: Mapped[str] = mapped_column(String(200), default="")
    colour: Mapped[str] = mapped_column(String(16), default="#2c5fde")
    greeting: Mapped[str] = mapped_column(Text, default="")
    allowed_origins: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]


class AgentRow(Base):
    __tablename__ = "agents"
    slack_user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    available: Mapped[bool] = mapped_column(Boolean, default=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_dm: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_mention: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_email: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_quiet: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]


class CaseRow(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of the id the customer's page sent with the form: a retry finds this case.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[str | None] = mapped_column(String(32))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    question: Mapped[str] = mapped_column(Text, default="")
    device: Mapped[dict[str, Any]] = mapped_column(default=dict)
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    converted_at: Mapped[datetime | None]
    conversion_reason: Mapped[str | None] = mapped_column(String(32))
    warned_at: Mapped[datetime | None]  # told the wait is long (once)
    customer_connected: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_left_at: Mapped[datetime | None]
    chat_ended: Mapped[bool] = mapped_column(Boolean, default=False)
    queued: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None]
    slack_channel: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        # The sweeps' searches: waiting chats by how long they waited or since the customer
        # left, found by range instead of read one by one.
        Index("ix_cases_status_type_created", "status", "type", "created_at"),
        Index("ix_cases_status_type_left", "status", "type", "customer_left_at"),
        Index("ix_cases_slack_thread", "slack_channel", "slack_ts"),
    )


class MessageRow(Base):
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(10))  # customer | agent | system
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    seen_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]  # an unseen agent reply went out by email (once)
    original: Mapped[str | None] = mapped_column(Text)  # a customer's email, as it came
    delivered_at: Mapped[datetime | None]  # the customer's browser received this agent reply
    fate_mark: Mapped[str | None] = mapped_column(String(32))  # the reaction shown in Slack

    # The unseen-replies sweep: agent replies neither seen nor emailed, oldest first.
    __table_args__ = (
        Index("ix_messages_unseen", "direction", "seen_at", "emailed_at", "created_at"),
    )


class CodeRow(Base):
    __tablename__ = "codes"
    value: Mapped[str] = mapped_column(String(9), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(32), index=True)
    # The portal the customer lands on when the code is typed on the global code page.
    portal_id: Mapped[int | None] = mapped_column(ForeignKey("portals.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    case_id: Mapped[int | None] = mapped_column(Integer)


class QueueCursorRow(Base):
    __tablename__ = "queue_cursors"
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id"), primary_key=True)
    last_agent_id: Mapped[str | None] = mapped_column(String(32))


class OutboxRow(Base):
    """Outgoing work (Slack calls, emails), written in the same transaction as the change."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # slack | email
    ordering_key: Mapped[str] = mapped_column(String(64))  # delivered in id order per key
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    operation: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|sent|failed
    # Attempts that may have reached the other side (raised when one starts, lowered again
    # when it is known not to have: a 429, a refusal, a parked lane).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # real errors, toward giving up
    parked_on: Mapped[str | None] = mapped_column(String(120))  # the park it waits on
    not_before: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_outbox_status_not_before", "status", "not_before"),
        Index("ix_outbox_ordering_key_id", "ordering_key", "id"),
        Index("ix_outbox_kind_status_not_before", "kind", "status", "not_before"),
        Index("ix_outbox_parked_on", "parked_on"),
    )


class DeliveryParkRow(Base):
    """A delivery lane held back until an admin fixes its cause (a channel, the workspace…)."""

    __tablename__ = "delivery_parks"
    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    error: Mapped[str] = mapped_column(Text)
    fix: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime]
    probes: Mapped[int] = mapped_column(Integer, default=0)
    next_probe_at: Mapped[datetime]


class ProcessedEventRow(Base):
    """Keys of inbound events already acted on (Slack event_id, channel+ts…)."""

    __tablename__ = "processed_events"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(index=True)


class InboxRow(Base):
    """Every inbound Slack request, stored before Slack is acknowledged, until it is handled."""

    __tablename__ = "inbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # event_id, trigger_id…
    kind: Mapped[str] = mapped_column(String(20))  # events_api | interactive | slash_commands
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the request body, parsed
    # pending | failed (parked after too many tries); handled requests are deleted at once
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # failed tries at handling it
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    done_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_inbox_status_id", "status", "id"),)


class AttachmentRow(Base):
    """A file attached to a case: where its bytes are, and what became of it in Slack."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(String(10))  # customer | agent
    name: Mapped[str] = mapped_column(String(200))  # cleaned: no path, no control characters
    kind: Mapped[str] = mapped_column(String(100))  # sniffed from the bytes
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(200))
    # Slack's file id, recorded right after files.getUploadURLExternal so a retry can ask
    # files.info whether the share already happened instead of sharing twice.
    slack_file_id: Mapped[str | None] = mapped_column(String(40))
    slack_upload_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
