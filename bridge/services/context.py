"""What every use case needs: the database, the clock, the event bus and the policies."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bridge.clock import Clock, SystemClock
from bridge.core.attachments import AttachmentLimits
from bridge.core.events import Event
from bridge.files.store import FileStore
from storage.uow import Database, UnitOfWork

log = logging.getLogger(__name__)

# Runs inside the transaction that made the change: for writing outbox rows atomically.
StagingHandler = Callable[[UnitOfWork, Sequence[Event]], Awaitable[None]]
# Runs after commit: for live pushes (portal sockets) and waking deliverers.
PublishHandler = Callable[[Sequence[Event]], Awaitable[None]]


@dataclass
class EventBus:
    staging: list[StagingHandler] = field(default_factory=list)
    published: list[PublishHandler] = field(default_factory=list)


@dataclass(frozen=True)
class Policies:
    code_lifetime: timedelta = timedelta(minutes=20)
    max_codes_per_agent: int = 8
    admins: frozenset[str] = frozenset()


@dataclass
class ServiceContext:
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    bus: EventBus = field(default_factory=EventBus)
    policies: Policies = field(default_factory=Policies)
    files: FileStore | None = None  # where attachments are kept (None: attachments refused)
    attachment_limits: AttachmentLimits = field(
        default_factory=lambda: AttachmentLimits(10 * 1024**2, 50 * 1024**2)
    )


async def commit(ctx: ServiceContext, uow: UnitOfWork, events: Sequence[Event]) -> None:
    """Stage the events' outgoing work in this transaction, commit, then publish them."""
    if events:
        for stage in ctx.bus.staging:
            await stage(uow, events)
    await uow.commit()
    if events:
        for publish in ctx.bus.published:
            try:
                await publish(events)
            except Exception:
                # The change is committed and its durable work is in the outbox; a failed
                # live push must not turn a success into an error for the caller.
                log.exception("publishing %d event(s) failed", len(events))
