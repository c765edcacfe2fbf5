"""The scheduler's sweeps: idempotent passes over database state, safe to run concurrently.

Each acts only on rows it wins with a conditional UPDATE, so two sweeps (or two workers) never
act twice, and a case that fell due while the service was down is handled on the next pass.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bridge.core.events import CustomerWarnedOfWait, Event, UnseenReplyQueued
from bridge.services.context import ServiceContext, commit
from bridge.services.customer import convert_to_support_request

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Timings:
    grace: timedelta = timedelta(seconds=60)  # customer gone this long → support request
    max_wait: timedelta = timedelta(minutes=10)  # unclaimed this long → support request
    warn_before: timedelta = timedelta(minutes=1)  # tell the customer this long before
    # Slack retries an event for minutes and Socket Mode redelivers after a reconnect; a week
    # covers any outage we would still reconcile, and keeps the table from growing forever.
    processed_retention: timedelta = timedelta(days=7)
    # Delivered outgoing work holds customers' words and names: kept only this long.
    outbox_retention: timedelta = timedelta(days=7)
    unseen_reply: timedelta = timedelta(minutes=5)  # unseen agent reply → email


async def sweep_abandoned(ctx: ServiceContext, timings: Timings) -> list[Event]:
    """Unclaimed live chats whose customer left, or that waited too long, become requests."""
    now = ctx.clock.now()
    async with ctx.db.read() as uow:
        due = await uow.cases.due_conversions(
            left_before=now - timings.grace, opened_before=now - timings.max_wait
        )
    events: list[Event] = []
    for case, reason in due:
        converted = await convert_to_support_request(ctx, case.id, reason)
        if converted:
            log.info("sweep: %s became a support request (%s)", case.reference, reason)
        events += converted
    return events


async def sweep_wait_warnings(ctx: ServiceContext, timings: Timings) -> list[Event]:
    """Tell customers, once, that their wait is nearly over the portal's maximum."""
    now = ctx.clock.now()
    async with ctx.db.read() as reader:
        due = await reader.cases.due_wait_warnings(
            opened_before=now - (timings.max_wait - timings.warn_before)
        )
    if not due:
        return []
    async with ctx.db.uow() as uow:
        won = await uow.cases.mark_warned_all([case.id for case in due], now)
        events: list[Event] = []
        for case in due:
            if case.id in won and case.created_at is not None:
                left = timings.max_wait - (now - case.created_at)
                log.info("sweep: warned %s of a long wait", case.reference)
                events.append(CustomerWarnedOfWait(case.id, max(0, int(left.total_seconds()))))
        await commit(ctx, uow, events)
    return events


async def sweep_unseen_replies(ctx: ServiceContext, timings: Timings) -> list[Event]:
    """Agent replies a departed customer never saw go out by email, once each."""
    now = ctx.clock.now()
    async with ctx.db.read() as reader:
        unseen = await reader.cases.unseen_agent_messages(now - timings.unseen_reply)
    if not unseen:
        return []
    async with ctx.db.uow() as uow:
        won = await uow.cases.mark_emailed_all([message.id for message in unseen], now)
        events: list[Event] = []
        for message in unseen:
            if message.id in won:
                log.info("sweep: emailing unseen reply %s of case %s", message.id, message.case_id)
                events.append(UnseenReplyQueued(message.case_id, message.id))
        await commit(ctx, uow, events)
    return events


async def prune_processed(ctx: ServiceContext, timings: Timings) -> int:
    """Forget inbound event ids older than the retention (in batches); returns how many."""
    async with ctx.db.uow() as uow:
        pruned = await uow.processed.prune(ctx.clock.now() - timings.processed_retention)
        await uow.commit()
    if pruned:
        log.info("forgot %d processed event ids older than %s", pruned, timings.processed_retention)
    return pruned


async def prune_outbox(ctx: ServiceContext, timings: Timings, keep: Sequence[str] = ()) -> int:
    """Delete delivered (or failed) outgoing work older than the retention, in batches; the
    `keep` operations stay while their case exists (deleting the case deletes their posts)."""
    async with ctx.db.uow() as uow:
        pruned = await uow.outbox.prune_done(ctx.clock.now() - timings.outbox_retention, keep)
        await uow.commit()
    if pruned:
        log.info(
            "deleted %d delivered outbox items older than %s", pruned, timings.outbox_retention
        )
    return pruned
