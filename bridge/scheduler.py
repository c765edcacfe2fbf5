"""APScheduler interval sweeps, started and stopped with the web application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bridge.outbox.deliverer import OutboxDeliverer
from bridge.services import codes, queue, sweeps
from bridge.services.context import ServiceContext
from bridge.settings import Settings
from bridge.slack import operations as op

log = logging.getLogger(__name__)
# Direct messages about a case are found through their outbox items when the case is deleted.
DELETED_WITH_CASE = (op.ALERT_DM, op.NOTICE_DM)


def timings_from(settings: Settings) -> sweeps.Timings:
    return sweeps.Timings(
        grace=timedelta(seconds=settings.grace_period_seconds),
        max_wait=timedelta(seconds=settings.max_wait_seconds),
        warn_before=timedelta(
            seconds=min(settings.wait_warning_seconds, settings.max_wait_seconds)
        ),
        unseen_reply=timedelta(seconds=settings.unseen_reply_seconds),
        outbox_retention=timedelta(days=settings.outbox_retention_days),
    )


class Sweeps:
    """The scheduler with its sweeps; `stop()` lets a running sweep finish instead of cutting
    it off mid-transaction (APScheduler's own shutdown cancels running coroutine jobs)."""

    def __init__(self, scheduler: AsyncIOScheduler, running: set[asyncio.Task[object]]) -> None:
        self.scheduler, self.running = scheduler, running

    def start(self) -> None:
        self.scheduler.start()

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """No new runs; wait (bounded) for the ones under way; then shut the scheduler down."""
        self.scheduler.pause()
        if self.running:
            await asyncio.wait(set(self.running), timeout=grace_seconds)
        self.scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler.shutdown runs on the loop's next turn


def build_scheduler(
    settings: Settings, ctx: ServiceContext, deliverers: Sequence[OutboxDeliverer]
) -> Sweeps:
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
        "processed event ids": lambda: sweeps.prune_processed(ctx, timings),
        "delivered outbox": lambda: sweeps.prune_outbox(ctx, timings, DELETED_WITH_CASE),
        "outbox retry": wake_deliverers,
    }
    # APScheduler logs every run at INFO; the sweeps log their own actions instead.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = AsyncIOScheduler(timezone="UTC")
    running: set[asyncio.Task[object]] = set()
    for name, job in jobs.items():
        # With several workers, each sweep runs on one of them per tick (any can take over).
        shared = name != "outbox retry"
        scheduler.add_job(
            _logged(name, _once_across_workers(ctx, name, job) if shared else job, running),
            "interval",
            seconds=every,
            id=name,
            name=name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
    return Sweeps(scheduler, running)


def _once_across_workers(
    ctx: ServiceContext, name: str, job: Callable[[], Awaitable[object]]
) -> Callable[[], Awaitable[object]]:
    async def run() -> object:
        async with ctx.db.exclusive(f"casebridge sweep: {name}") as mine:
            return await job() if mine else None

    return run


def _logged(
    name: str, job: Callable[[], Awaitable[object]], running: set[asyncio.Task[object]]
) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        task = asyncio.current_task()
        if task is not None:
            running.add(task)
        try:
            await job()
        except Exception:
            log.exception("sweep %s failed; it runs again next interval", name)
        finally:
            running.discard(task)

    return run
