"""The outbox deliverer: takes due work of one kind, carries it out, records how it went."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bridge.clock import Clock
from bridge.core.events import Event
from bridge.outbox.errors import Permanent, RateLimited, Transient
from storage.repositories.outbox import OutboxItem
from storage.uow import Database

log = logging.getLogger(__name__)

# A handler carries out one outbox item and returns what to record (ts, channel…).
Handler = Callable[[Any, OutboxItem], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class DeliveryPolicy:
    lease: timedelta = timedelta(seconds=30)  # how long one attempt holds an item
    backoff_base: float = 1.0  # seconds before the first retry, doubled each time
    backoff_cap: float = 60.0
    max_attempts: int = 50  # transient failures this many times in a row → failed
    poll_interval: float = 1.0  # look for due work at least this often
    concurrency: int = 8


class OutboxDeliverer:
    """Delivers pending work of one kind in order per ordering key; subclasses add their tools."""

    kind = ""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        handlers: dict[str, Handler],
        policy: DeliveryPolicy | None = None,
    ) -> None:
        self.db, self.clock = db, clock
        self.handlers = handlers
        self.policy = policy or DeliveryPolicy()
        self._wake = asyncio.Event()
        self._gate = asyncio.Semaphore(self.policy.concurrency)
        self._stopping = False

    def wake(self) -> None:
        """Something new is in the outbox: look now rather than at the next poll."""
        self._wake.set()

    async def on_events(self, events: Sequence[Event]) -> None:
        """After-commit handler: the events just staged work, so go and deliver it."""
        self.wake()

    async def run(self) -> None:
        """Deliver until stopped."""
        self._stopping = False
        while not self._stopping:
            try:
                delivered = await self.deliver_due()
            except Exception:
                log.exception("outbox delivery round failed; trying again shortly")
                delivered = 0
            if delivered or self._stopping:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.policy.poll_interval)

    async def stop(self, task: asyncio.Task[None], grace: float = 5.0) -> None:
        """Let the round in progress finish (no transaction is cut in half), then end."""
        self._stopping = True
        self.wake()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def deliver_due(self) -> int:
        """One round: every item whose turn has come. Returns how many were attempted."""
        async with self.db.uow() as uow:
            items = [
                i for i in await uow.outbox.due(self.clock.now(), limit=200) if i.kind == self.kind
            ]
        results = await asyncio.gather(*(self._guarded(item) for item in items))
        return sum(results)

    async def _guarded(self, item: OutboxItem) -> int:
        async with self._gate:
            return await self.deliver(item)

    async def deliver(self, item: OutboxItem) -> int:
        """Carry out one item: 1 if an attempt was made, 0 if another worker had it."""
        now = self.clock.now()
        async with self.db.uow() as uow:
            if not await uow.outbox.begin_attempt(item.id, now, self.policy.lease):
                await uow.commit()
                return 0
            await uow.commit()
        attempt = OutboxItem(**{**item.__dict__, "attempts": item.attempts + 1})
        handler = self.handlers.get(item.operation)
        try:
            if handler is None:
                raise Permanent(f"unknown operation {item.operation}")
            result = await handler(self, attempt)
        except RateLimited as limited:
            await self._later(item, limited.retry_after, str(limited))
        except Transient as trouble:
            if attempt.attempts >= self.policy.max_attempts:
                await self._fail(item, f"gave up after {attempt.attempts} attempts: {trouble}")
            else:
                await self._later(item, self._backoff(attempt.attempts), str(trouble))
        except Permanent as refusal:
            await self._fail(item, str(refusal))
        except Exception as bug:  # our own bug: retry with back-off, loudly, but not forever
            log.exception("outbox item %s (%s) raised", item.id, item.operation)
            if attempt.attempts >= self.policy.max_attempts:
                await self._fail(item, f"{type(bug).__name__}: {bug}")
            else:
                await self._later(item, self._backoff(attempt.attempts), repr(bug))
        else:
            async with self.db.uow() as uow:
                await uow.outbox.mark_sent(item.id, result, self.clock.now())
                for other in result.get("coalesced", []):
                    await uow.outbox.mark_sent(other, {"coalesced_into": item.id}, self.clock.now())
                await uow.commit()
        return 1

    def _backoff(self, attempts: int) -> float:
        ceiling = min(self.policy.backoff_cap, self.policy.backoff_base * 2 ** (attempts - 1))
        return float(ceiling * (0.5 + random.random() / 2))  # jitter: workers do not retry in step

    async def _later(self, item: OutboxItem, seconds: float, why: str) -> None:
        log.info("outbox %s %s: %s; retrying in %.1fs", item.id, item.operation, why, seconds)
        async with self.db.uow() as uow:
            await uow.outbox.retry_later(
                item.id, self.clock.now() + timedelta(seconds=seconds), why
            )
            await uow.commit()

    async def _fail(self, item: OutboxItem, why: str) -> None:
        log.warning("outbox %s %s failed for good: %s", item.id, item.operation, why)
        async with self.db.uow() as uow:
            await uow.outbox.mark_failed(item.id, why, self.clock.now())
            await uow.commit()
