"""The composition root: the one place that builds the database, services and adapters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bridge.clock import Clock, SystemClock
from bridge.services.context import EventBus, Policies, ServiceContext
from bridge.settings import Settings
from storage.uow import Database


@dataclass
class Components:
    settings: Settings
    db: Database
    services: ServiceContext


def policies_from(settings: Settings) -> Policies:
    return Policies(
        code_lifetime=timedelta(seconds=settings.code_lifetime_seconds),
        max_codes_per_agent=settings.max_codes_per_agent,
        admins=settings.admins,
    )


def bootstrap(settings: Settings, clock: Clock | None = None) -> Components:
    """Build everything casebridge runs on from its settings; nothing is module-global."""
    db = Database.from_url(settings.database_url)
    services = ServiceContext(
        db=db, clock=clock or SystemClock(), bus=EventBus(), policies=policies_from(settings)
    )
    return Components(settings=settings, db=db, services=services)
