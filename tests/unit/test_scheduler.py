"""The scheduler holds one interval sweep per duty, none of which can pile up behind itself."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bridge.clock import FakeClock
from bridge.scheduler import Sweeps, _logged, build_scheduler, timings_from
from bridge.services.context import EventBus, Policies, ServiceContext
from bridge.settings import Settings
from storage.uow import Database


def test_every_sweep_is_an_interval_job_that_never_doubles_up() -> None:
    settings = Settings(_env_file=None, sweep_interval_seconds=2.5)
    ctx = ServiceContext(
        db=Database.from_url("sqlite+aiosqlite://"),
        clock=FakeClock(),
        bus=EventBus(),
        policies=Policies(),
    )
    scheduler = build_scheduler(settings, ctx, [])
    jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}

    assert set(jobs) == {
        "abandoned waits",
        "wait warnings",
        "unseen replies",
        "queue hand-out",
        "code expiry",
        "processed event ids",
        "delivered outbox",
        "outbox retry",
    }
    for job in jobs.values():
        assert job.trigger.interval == timedelta(seconds=2.5)
        assert job.coalesce and job.max_instances == 1
        # None: a run missed while the loop was busy still runs, late, rather than being dropped.
        assert job.misfire_grace_time is None


def test_timings_come_from_the_settings_and_the_warning_never_precedes_the_wait() -> None:
    settings = Settings(
        _env_file=None,
        grace_period_seconds=30,
        max_wait_seconds=45,
        wait_warning_seconds=60,
        unseen_reply_seconds=90,
    )
    timings = timings_from(settings)
    assert timings.grace == timedelta(seconds=30)
    assert timings.max_wait == timedelta(seconds=45)
    assert timings.warn_before == timedelta(seconds=45)
    assert timings.unseen_reply == timedelta(seconds=90)


async def test_stopping_lets_a_sweep_under_way_finish_its_transaction(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started, finished = asyncio.Event(), asyncio.Event()

    async def slow_sweep() -> None:
        started.set()
        await asyncio.sleep(0.3)  # mid-transaction when Ctrl-C arrives
        finished.set()

    running: set[asyncio.Task[object]] = set()
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(_logged("slow", slow_sweep, running), "interval", seconds=0.05)
    sweeps = Sweeps(scheduler, running)
    sweeps.start()
    await asyncio.wait_for(started.wait(), timeout=10)

    await sweeps.stop()

    assert finished.is_set()  # not cancelled half-way
    assert not scheduler.running
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
