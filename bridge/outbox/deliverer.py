"""The outbox deliverer: a continuous pipeline with one lane per ordering key.

A feeder claims due heads of its own kind and gives each ordering key its own lane (a task);
a lane delivers its item, records the outcome and claims the key's next item in the same
commit, and goes on until the key has nothing due. No lane waits for another: a rate-limited
channel or a slow call only holds back its own lane. Items a lane holds stay leased (a keeper
renews the lease), so another worker never takes them, and a worker that dies loses its leases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bridge.clock import Clock
from bridge.core.events import Event
from bridge.outbox.errors import Parked, Permanent, RateLimited, Transient
from bridge.outbox.group_commit import GroupCommit
from bridge.outbox.parks import PROBING, ParkBoard, item_scope
from storage.repositories.outbox import OutboxItem, Park, listen_for_outbox
from storage.uow import Database, UnitOfWork

log = logging.getLogger(__name__)

# What a handler may record in the same commit that marks its item sent.
Record = Callable[[UnitOfWork], Awaitable[None]]


@dataclass
class Outcome:
    """What a delivered item leaves behind: its result, what to record, what it covered too."""

    result: dict[str, Any]
    record: Record | None = None
    coalesced: Sequence[int] = field(default_factory=tuple)
    after: Callable[[], Awaitable[None]] | None = None  # once recorded (tell who waits on it)


# A handler carries out one outbox item and returns what to record (ts, channel…).
Handler = Callable[[Any, OutboxItem], Awaitable[dict[str, Any] | Outcome]]

HOLD = timedelta(days=7)  # a parked item waits for its lane's probe or repair, not the clock


@dataclass(frozen=True)
class DeliveryPolicy:
    lease: timedelta = timedelta(seconds=30)  # how long an unattended claim holds an item
    backoff_base: float = 1.0  # seconds before the first retry, doubled each time
    backoff_cap: float = 60.0
    max_attempts: int = 50  # real errors (never 429s) in a row before the item is parked
    poll_interval: float = 1.0  # look for due work at least this often (NOTIFY wakes sooner)
    claim_batch: int = 200  # heads taken per claim
    max_held: int = 5000  # items one worker holds at once
    park_probe: float = 30.0  # first look at a parked lane after this long, then doubling
    park_probe_cap: float = 300.0
    stuck_probe: float = 600.0  # a parked item (given up on) is tried again this often


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
        self.board = ParkBoard()
        self.started = time.monotonic()
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._stopping = False
        self._held: dict[int, str] = {}  # item id -> ordering key, claimed by this worker
        self._lanes: dict[str, asyncio.Task[None]] = {}
        self._handoff: dict[str, OutboxItem] = {}
        self._doubt: dict[int, float] = {}  # item id -> when an attempt ended in doubt
        self._parks_read = 0.0
        self._writes = GroupCommit(db)
        # Told the scope of a parked lane that works again (after its commit), e.g. to read
        # back from the other side what it could not send us meanwhile.
        self.resumed_listeners: list[Callable[[str], Awaitable[None]]] = []
        self._releases: set[asyncio.Task[None]] = set()
        self._postgresql = db.engine.dialect.name == "postgresql"

    # Running -------------------------------------------------------------------------------

    def wake(self) -> None:
        """Something new is in the outbox: look now rather than at the next poll."""
        self._wake.set()

    async def on_events(self, events: Sequence[Event]) -> None:
        """After-commit handler: the events just staged work, so go and deliver it."""
        self.wake()

    def _on_notify(self, kind: str) -> None:
        if kind == self.kind:
            self.wake()

    async def run(self) -> None:
        """Deliver until stopped."""
        self._stopping = False
        self._stopped.clear()
        if not self._postgresql:
            await self._take_back_leases()
        helpers = [asyncio.create_task(self._keep_leases(), name=f"{self.kind}-leases")]
        if self._postgresql:
            helpers.append(
                asyncio.create_task(
                    listen_for_outbox(self.db.engine, self._on_notify, self.wake),
                    name=f"{self.kind}-listen",
                )
            )
        try:
            while not self._stopping:
                try:
                    claimed = await self.feed()
                except Exception:
                    log.exception("outbox %s: claiming failed; trying again shortly", self.kind)
                    claimed = 0
                if claimed >= self.policy.claim_batch and not self._stopping:
                    continue
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.policy.poll_interval)
            if self._lanes:
                await asyncio.gather(*self._lanes.values(), return_exceptions=True)
            await self._writes.drain()
        finally:
            self._stopped.set()  # the lease keeper ends between two renewals
            for lane in list(self._lanes.values()):
                lane.cancel()
            for helper in helpers[1:]:  # the listener, idle in its wait
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)

    async def _take_back_leases(self) -> None:
        """SQLite serves one process: whatever is leased was left by the one before, killed
        mid-delivery, so it goes out now rather than when its lease runs out (the attempt
        it counted makes this one look for an earlier post first). A pause some item was
        told to take (a 429, a back-off) ends too: a restart is a fresh start."""
        try:
            async with self.db.uow() as uow:
                released = await uow.outbox.release_all(self.kind, self.clock.now())
                await uow.commit()
        except Exception:  # the leases run out by themselves
            log.exception("outbox %s: taking back a previous run's leases failed", self.kind)
            return
        if released:
            log.info("outbox %s: %d item(s) a previous run held are due now", self.kind, released)

    async def stop(self, task: asyncio.Task[None], grace: float = 5.0) -> None:
        """Let the items under way finish (none is cut in half if it can help it), then end."""
        self._stopping = True
        self.wake()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._releases:  # each sees `_stopping` after its pause; the lease covers the rest
            _, late = await asyncio.wait(self._releases, timeout=grace)
            for release in late:
                release.cancel()

    async def idle(self) -> bool:
        """Whether this worker holds nothing (for tests and shutdown)."""
        return not self._held and not self._lanes and not self._releases

    # Feeding lanes -------------------------------------------------------------------------

    async def feed(self) -> int:
        """Claim due heads of our kind and start a lane for each; returns how many."""
        now = self.clock.now()
        await self._look_at_parks(now)
        room = min(self.policy.claim_batch, self.policy.max_held - len(self._held))
        if room <= 0 or self._stopping:
            return 0
        if not self._postgresql:  # a read first: SQLite's write lock only when there is work
            async with self.db.read() as uow:
                if not await uow.outbox.due(now, limit=1, kind=self.kind):
                    return 0
        async with self.db.uow() as uow:
            items = await uow.outbox.claim(self.kind, now, self.policy.lease, room)
            await uow.commit()
        for item in items:
            self._start(item)
        return len(items)

    def _start(self, item: OutboxItem) -> None:
        self._held[item.id] = item.ordering_key
        key = item.ordering_key
        if key in self._lanes:  # the lane is finishing; it picks this up before it ends
            self._handoff[key] = item
            return
        self._lanes[key] = asyncio.create_task(self._lane(item), name=f"lane {key}")

    async def _lane(self, first: OutboxItem) -> None:
        key = first.ordering_key
        item: OutboxItem | None = first
        try:
            while item is not None:
                item = await self._attempt(item)
                if item is None:
                    item = self._handoff.pop(key, None)
        finally:
            self._lanes.pop(key, None)

    async def _keep_leases(self) -> None:
        every = max(0.05, self.policy.lease.total_seconds() / 3)
        while not self._stopped.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), every)
            held = list(self._held)
            if not held or self._stopped.is_set():
                continue
            try:
                async with self.db.uow() as uow:
                    await uow.outbox.extend_lease(held, self.clock.now() + self.policy.lease)
                    await uow.commit()
            except Exception:
                log.exception("outbox %s: renewing leases failed", self.kind)

    # One attempt ---------------------------------------------------------------------------

    async def deliver(self, item: OutboxItem) -> int:
        """Claim and carry out one item by hand: 1 if an attempt was made, 0 if it was taken."""
        async with self.db.uow() as uow:
            if not await uow.outbox.begin_attempt(item.id, self.clock.now(), self.policy.lease):
                await uow.commit()
                return 0
            await uow.commit()
        self._held[item.id] = item.ordering_key
        await self._attempt(OutboxItem(**{**item.__dict__, "attempts": item.attempts + 1}))
        return 1

    def doubt_since(self, item: OutboxItem) -> float | None:
        """When an earlier attempt of `item` may have got through (None: none can have)."""
        if item.attempts <= 1:
            return None
        return self._doubt.get(item.id, self.started)

    async def _attempt(self, item: OutboxItem) -> OutboxItem | None:
        """Carry out a claimed item and record how it went; returns its key's next item."""
        handler = self.handlers.get(item.operation)
        probing = PROBING.set(item.parked_on)
        try:
            if handler is None:
                raise Permanent(f"unknown operation {item.operation}")
            outcome = await handler(self, item)
        except RateLimited as limited:
            await self._settle(
                item, self._later(item, limited.retry_after, str(limited), False, False)
            )
        except Parked as parked:
            await self._settle(item, self._park(item, parked, maybe_done=False))
        except Permanent as refusal:
            await self._settle(item, self._fail(item, str(refusal)))
        except Transient as trouble:
            await self._settle(item, self._trouble(item, str(trouble), trouble.maybe_done))
        except asyncio.CancelledError:
            self._held.pop(item.id, None)  # the lease runs out; the next attempt looks first
            raise
        except Exception as bug:  # our own bug: retry with back-off, loudly
            log.exception("outbox item %s (%s) raised", item.id, item.operation)
            await self._settle(item, self._trouble(item, f"{type(bug).__name__}: {bug}", True))
        else:
            try:
                return await self._finish(item, outcome)
            except Exception:
                log.exception("outbox item %s: recording delivery failed", item.id)
                self._doubt[item.id] = time.monotonic()
                self._held.pop(item.id, None)
                self._release_soon(item.id)
        finally:
            PROBING.reset(probing)
        return None

    async def _settle(self, item: OutboxItem, recording: Awaitable[None]) -> None:
        self._held.pop(item.id, None)
        try:
            await recording
        except Exception:
            log.exception("outbox item %s: recording the outcome failed", item.id)
            self._release_soon(item.id)

    def _release_soon(self, item_id: int) -> None:
        """An item whose outcome could not be recorded (the database went away) is tried again
        as soon as the database is back, rather than when its lease runs out; the attempt
        counted at its claim makes the next one look before it repeats anything."""
        task = asyncio.get_running_loop().create_task(
            self._release(item_id), name=f"release {item_id}"
        )
        self._releases.add(task)
        task.add_done_callback(self._releases.discard)

    async def _release(self, item_id: int) -> None:
        pause = 0.2
        while not self._stopping:
            try:
                async with self.db.uow() as uow:
                    await uow.outbox.release(item_id, self.clock.now())
                    await uow.commit()
            except Exception:  # still away: the lease is the fallback if we stop meanwhile
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
                continue
            self.wake()
            return

    async def _finish(
        self, item: OutboxItem, outcome: dict[str, Any] | Outcome
    ) -> OutboxItem | None:
        done = outcome if isinstance(outcome, Outcome) else Outcome(outcome)
        coalesced = list(done.coalesced) or list(done.result.get("coalesced", []))
        resumed = self.board.get(item.parked_on) if item.parked_on else None
        stopping = self._stopping

        async def write(uow: UnitOfWork) -> tuple[OutboxItem | None, int]:
            now = self.clock.now()
            if done.record is not None:
                await done.record(uow)
            await uow.outbox.mark_sent(item.id, done.result, now)
            for other in coalesced:
                await uow.outbox.mark_sent(other, {"coalesced_into": item.id}, now)
            released = 0
            if item.parked_on:
                released = await uow.outbox.unpark(item.parked_on, now)
                if resumed is not None:
                    await self.announce_resume(uow, resumed)
            following = (
                None
                if stopping
                else await uow.outbox.claim_next(item.ordering_key, now, self.policy.lease)
            )
            return following, released

        following, released = await self._writes.run(write)
        if done.after is not None:
            try:
                await done.after()
            except Exception:  # recorded already: a lost notice must not redo the delivery
                log.exception("outbox item %s: the after-delivery notice failed", item.id)
        self._held.pop(item.id, None)
        self._doubt.pop(item.id, None)
        if following is not None:
            self._held[following.id] = following.ordering_key
        if item.parked_on:
            self.board.remove(item.parked_on)
            log.warning(
                "delivery resumed: %s works again; %d waiting item(s) released",
                item.parked_on,
                released,
            )
            self.wake()
            for listener in self.resumed_listeners:
                try:
                    await listener(item.parked_on)
                except Exception:
                    log.exception("after %s resumed: a listener failed", item.parked_on)
        return following  # type: ignore[no-any-return]

    # Outcomes ------------------------------------------------------------------------------

    def _backoff(self, failures: int) -> float:
        ceiling = min(self.policy.backoff_cap, self.policy.backoff_base * 2 ** (failures - 1))
        return float(ceiling * (0.5 + random.random() / 2))  # jitter: workers do not retry in step

    async def _trouble(self, item: OutboxItem, why: str, maybe_done: bool) -> None:
        """A real error: back off, and after too many park the item visibly (never drop it)."""
        if maybe_done:
            self._doubt[item.id] = time.monotonic()
        failures = item.failures + 1
        if failures >= self.policy.max_attempts:
            gave_up = Parked(
                item_scope(item.id),
                f"{item.operation} gave up after {failures} failed attempts: {why}",
                "Check the log for the cause; it is tried again every "
                f"{self.policy.stuck_probe:g}s and goes out once it works.",
            )
            await self._park(item, gave_up, maybe_done=maybe_done, counts=True)
            return
        await self._later(item, self._backoff(failures), why, True, maybe_done)

    async def _later(
        self, item: OutboxItem, seconds: float, why: str, counts: bool, maybe_done: bool
    ) -> None:
        log.info("outbox %s %s: %s; retrying in %.1fs", item.id, item.operation, why, seconds)

        async def write(uow: UnitOfWork) -> None:
            await uow.outbox.retry_later(
                item.id,
                self.clock.now() + timedelta(seconds=seconds),
                why,
                counts=counts,
                maybe_done=maybe_done,
            )

        await self._writes.run(write)

    async def _fail(self, item: OutboxItem, why: str) -> None:
        log.warning("outbox %s %s failed for good: %s", item.id, item.operation, why)

        async def write(uow: UnitOfWork) -> None:
            await uow.outbox.mark_failed(item.id, why, self.clock.now())

        await self._writes.run(write)

    # Parked lanes --------------------------------------------------------------------------

    def _probe_after(self, scope: str, probes: int) -> timedelta:
        if scope.startswith("item:"):
            return timedelta(seconds=self.policy.stuck_probe)
        seconds = min(self.policy.park_probe_cap, self.policy.park_probe * 2**probes)
        return timedelta(seconds=seconds)

    async def _park(
        self, item: OutboxItem, parked: Parked, maybe_done: bool, counts: bool = False
    ) -> None:
        now = self.clock.now()
        park = Park(
            parked.scope,
            self.kind,
            parked.error,
            parked.fix,
            now,
            0,
            now + self._probe_after(parked.scope, 0),
        )

        async def write(uow: UnitOfWork) -> bool:
            new = await uow.outbox.park(
                scope=parked.scope,
                kind=self.kind,
                error=parked.error,
                fix=parked.fix,
                now=now,
                next_probe=park.next_probe_at,
            )
            await uow.outbox.hold_for_park(
                item.id, parked.scope, parked.error, now + HOLD, maybe_done=maybe_done
            )
            if counts:
                await uow.outbox.retry_later(
                    item.id, now + HOLD, parked.error, counts=True, maybe_done=True
                )
            if new:
                await self.announce_park(uow, park)
            return new

        new = await self._writes.run(write)
        if self.board.get(parked.scope) is None:
            self.board.add(park)
        if new:
            log.warning(
                "delivery parked: %s: %s. To fix: %s", parked.scope, parked.error, parked.fix
            )

    async def _look_at_parks(self, now: datetime) -> None:
        """Mirror the parked lanes (other workers park too) and probe those whose time has come."""
        if time.monotonic() - self._parks_read < self.policy.poll_interval:
            return
        self._parks_read = time.monotonic()
        async with self.db.read() as uow:
            parks = await uow.outbox.parks(self.kind)
        self.board.replace(parks)
        for park in parks:
            if park.next_probe_at > now:
                continue
            async with self.db.uow() as uow:
                if not await uow.outbox.take_probe(
                    park.scope, now, now + self._probe_after(park.scope, park.probes + 1)
                ):
                    continue
                probe = await uow.outbox.release_probe(park.scope, now)
                if probe is None:  # nothing waits on it any more
                    await uow.outbox.unpark(park.scope, now)
                    self.board.remove(park.scope)
                await uow.commit()
            if probe is not None:
                log.info("delivery parked on %s: probing with item %s", park.scope, probe)

    async def announce_park(self, uow: UnitOfWork, park: Park) -> None:
        """Tell admins a lane is parked (in the same transaction); subclasses add their ways."""

    async def announce_resume(self, uow: UnitOfWork, park: Park) -> None:
        """Tell admins a parked lane works again (in the same transaction)."""
