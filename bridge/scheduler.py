"""APScheduler interval sweeps, started and stopped with the web application."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bridge.outbox.deliverer import OutboxDeliverer
from bridge.services import codes, queue, sweeps
from bridge.services.context import ServiceContext
from bridge.settings import Settings

log = logging.getLogger(__name__)


def timings_from(settings: Settings) -> sweeps.Timings:
    return sweeps.Timings(
        grace=timedelta(seconds=settings.grace_period_seconds),
        max_wait=timedelta(seconds=settings.max_wait_seconds),
        warn_before=timedelta(
            seconds=min(settings.wait_warning_seconds, settings.max_wait_seconds)
        ),
        unseen_reply=timedelta(seconds=settings.unseen_reply_seconds),
    )


def build_scheduler(
    settings: Settings, ctx: ServiceContext, deliverers: Sequence[OutboxDeliverer]
) -> AsyncIOScheduler:
    """One interval job per sweep; a slow run is never doubled nor queued up behind itself."""
    timings = timings_from(settings)
    every = settings.sweep_interval_seconds

    async def wake_deliverers() -> None:
        # Work a crash left leased, or due for retry, is picked up even with no new events.
        for deliverer in deliverers:
            deliverer.wake()

    jobs: dict[str, Callable[[], Awaitable[object]]] = {
        "abandoned waits": lambda: sweeps.sweep_abandoned(ctx, timings),
        "wait warnings": lambda: sweeps.sweep_wait_warnings(ctx, timings),
        "unseen replies": lambda: sweeps.sweep_unseen_replies(ctx, timings),
        "queue hand-out": lambda: queue.hand_out_queued(ctx),
        "code expiry": lambda: codes.purge_codes(ctx),
        "outbox retry": wake_deliverers,
    }
    # APScheduler logs every run at INFO; the sweeps log their own actions instead.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = AsyncIOScheduler(timezone="UTC")
    for name, job in jobs.items():
        scheduler.add_job(
            _logged(name, job),
            "interval",
            seconds=every,
            id=name,
            name=name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
    return scheduler


def _logged(name: str, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        try:
            await job()
        except Exception:
            log.exception("sweep %s failed; it runs again next interval", name)

    return run
