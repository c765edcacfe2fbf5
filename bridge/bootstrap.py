"""The composition root: the one place that builds the database, services and adapters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bridge.clock import Clock, SystemClock
from bridge.core.attachments import AttachmentLimits
from bridge.customer_updates import CustomerUpdates
from bridge.files.links import FileLinks
from bridge.files.locations import parse_files_url
from bridge.files.store import FileStore, LocalFileStore, S3FileStore
from bridge.mail.config import SmtpConfig
from bridge.mail.delivering import MailDeliverer
from bridge.mail.inbound.intakes import EmailIntakes
from bridge.mail.outbox_writer import MailOutbox
from bridge.mail.sender import SmtpSender
from bridge.outbox.deliverer import DeliveryPolicy
from bridge.ports import CustomerPush, NoCustomerPush
from bridge.services.context import EventBus, Policies, ServiceContext
from bridge.settings import Settings
from bridge.slack.bridge import SlackBridge, build_slack
from bridge.slack.calls import ChannelPacing
from storage.engine import PoolSize
from storage.uow import Database


@dataclass
class Components:
    settings: Settings
    db: Database
    services: ServiceContext
    updates: CustomerUpdates | None = None
    slack: SlackBridge | None = None
    mail: MailDeliverer | None = None
    inbound: EmailIntakes | None = None


def policies_from(settings: Settings) -> Policies:
    return Policies(
        code_lifetime=timedelta(seconds=settings.code_lifetime_seconds),
        max_codes_per_agent=settings.max_codes_per_agent,
        admins=settings.admins,
    )


def pool_size_from(settings: Settings) -> PoolSize:
    """The database pool as the settings size it."""
    return PoolSize(
        size=settings.database_pool_size,
        overflow=settings.database_pool_overflow,
        timeout=settings.database_pool_timeout_seconds,
    )


def file_store_from(settings: Settings) -> FileStore:
    """FILES_URL's bucket when set, else the FILES_DIR directory."""
    if not settings.files_url:
        return LocalFileStore(Path(settings.files_dir))
    key_id, secret = settings.files_access_key_id, settings.files_secret_access_key
    return S3FileStore(
        parse_files_url(settings.files_url),
        key_id.get_secret_value() if key_id else None,
        secret.get_secret_value() if secret else None,
    )


def bootstrap(
    settings: Settings,
    clock: Clock | None = None,
    push: CustomerPush | None = None,
    delivery: DeliveryPolicy | None = None,
    pacing: ChannelPacing | None = None,
) -> Components:
    """Build everything casebridge runs on from its settings; nothing is module-global."""
    db = Database.from_url(settings.database_url, pool_size_from(settings))
    services = ServiceContext(
        db=db,
        clock=clock or SystemClock(),
        bus=EventBus(),
        policies=policies_from(settings),
        files=file_store_from(settings),
        attachment_limits=AttachmentLimits(settings.file_max_bytes, settings.case_files_max_bytes),
    )
    # Without an explicit push, the portal's Socket.IO server is plugged in when it is attached.
    updates = CustomerUpdates(push or NoCustomerPush())
    services.bus.published.append(updates)
    slack = None
    if settings.slack_bot_token and (settings.slack_signing_secret or settings.slack_app_token):
        slack = build_slack(settings, services, delivery, pacing)
    mail = None
    if settings.smtp_url:
        sender = SmtpSender(SmtpConfig.from_url(settings.smtp_url.get_secret_value()))
        links = FileLinks.of(
            settings.file_link_key, settings.file_link_seconds, settings.public_url
        )
        mail = MailDeliverer(
            services, sender, settings.mail_from, settings.public_url, delivery, links
        )
        services.bus.staging.append(MailOutbox(services.clock))
        services.bus.published.append(mail.on_events)
    inbound = None
    if settings.inbound_smtp or settings.imap_url:
        imap_url = settings.imap_url.get_secret_value() if settings.imap_url else None
        inbound = EmailIntakes(services, smtp=settings.inbound_smtp, imap_url=imap_url)
    return Components(
        settings=settings,
        db=db,
        services=services,
        updates=updates,
        slack=slack,
        mail=mail,
        inbound=inbound,
    )
