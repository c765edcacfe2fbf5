"""The outbox: outgoing work recorded with the change that caused it, delivered later."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import aliased

from storage.models import CaseRow, DeliveryParkRow, OutboxRow

log = logging.getLogger(__name__)
PENDING, SENT, FAILED = "pending", "sent", "failed"
# What an erased item keeps: ids, and where in Slack its post is (to delete it there too).
_IDS = frozenset({"case_id", "message_id", "user", "agent", "template"})
_LOCATION = frozenset({"channel", "ts"})
NOTIFY_CHANNEL = "casebridge_outbox"  # PostgreSQL NOTIFY channel; the payload is the kind


@dataclass(frozen=True)
class OutboxItem:
    id: int
    kind: str
    ordering_key: str
    case_id: int | None
    operation: str
    payload: dict[str, Any]
    attempts: int
    status: str = PENDING
    last_error: str | None = None
    failures: int = 0
    parked_on: str | None = None


@dataclass(frozen=True)
class Park:
    """A lane held back: what is wrong, the one thing to do, and when to look again."""

    scope: str
    kind: str
    error: str
    fix: str
    since: datetime
    probes: int
    next_probe_at: datetime
    waiting: int = 0


def _to_item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(
        row.id,
        row.kind,
        row.ordering_key,
        row.case_id,
        row.operation,
        dict(row.payload),
        row.attempts,
        row.status,
        row.last_error,
        row.failures or 0,
        row.parked_on,
    )


def _heads(kind: str | None, now: datetime) -> Any:
    """Pending items of `kind` with no earlier pending item under their key, due by `now`."""
    earlier = aliased(OutboxRow)
    query = select(OutboxRow).where(
        OutboxRow.status == PENDING,
        OutboxRow.not_before <= now,
        ~exists().where(
            and_(
                earlier.ordering_key == OutboxRow.ordering_key,
                earlier.status == PENDING,
                earlier.id < OutboxRow.id,
            )
        ),
    )
    if kind is not None:
        query = query.where(OutboxRow.kind == kind)
    return query.order_by(OutboxRow.id)


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _postgresql(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    async def add(
        self,
        *,
        kind: str,
        ordering_key: str,
        operation: str,
        payload: dict[str, Any],
        now: datetime,
        case_id: int | None = None,
    ) -> int:
        """Record one piece of outgoing work; it goes out after this transaction commits."""
        row = OutboxRow(
            kind=kind,
            ordering_key=ordering_key,
            case_id=case_id,
            operation=operation,
            payload=payload,
            status=PENDING,
            attempts=0,
            failures=0,
            not_before=now,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        await self._notify(kind)
        return row.id

    async def _notify(self, kind: str) -> None:
        """On PostgreSQL, wake every worker's deliverer of `kind` when this transaction commits."""
        if not self._postgresql:
            return
        told: set[str] = self.session.info.setdefault("outbox_notified", set())
        if kind not in told:
            told.add(kind)
            await self.session.execute(
                text("SELECT pg_notify(:channel, :kind)"), {"channel": NOTIFY_CHANNEL, "kind": kind}
            )

    async def due(
        self, now: datetime, limit: int = 100, kind: str | None = None
    ) -> Sequence[OutboxItem]:
        """The oldest pending item of each ordering key, if its time has come.

        Only heads are due, so a later item never overtakes an earlier one of the same key.
        """
        rows = (await self.session.execute(_heads(kind, now).limit(limit))).scalars().all()
        return [_to_item(r) for r in rows]

    async def claim(
        self, kind: str, now: datetime, lease: timedelta, limit: int
    ) -> Sequence[OutboxItem]:
        """Take up to `limit` due heads of `kind` for delivery, leased until `now + lease`.

        On PostgreSQL rows another worker is claiming are skipped (`FOR UPDATE SKIP LOCKED`),
        so several workers take different heads; a key's next item only becomes a head once
        its predecessor is done, so order per key holds across workers.
        """
        heads = _heads(kind, now).limit(limit)
        if self._postgresql:
            heads = heads.with_for_update(skip_locked=True, of=OutboxRow)
        candidates = [r.id for r in (await self.session.execute(heads)).scalars().all()]
        if not candidates:
            return []
        rows = (
            (
                await self.session.execute(
                    update(OutboxRow)
                    .where(
                        OutboxRow.id.in_(candidates),
                        OutboxRow.status == PENDING,
                        OutboxRow.not_before <= now,
                    )
                    .values(attempts=OutboxRow.attempts + 1, not_before=now + lease)
                    .returning(OutboxRow),
                    execution_options={"synchronize_session": False},
                )
            )
            .scalars()
            .all()
        )
        return sorted((_to_item(r) for r in rows), key=lambda i: i.id)

    async def claim_next(
        self, ordering_key: str, now: datetime, lease: timedelta
    ) -> OutboxItem | None:
        """The next item of a key whose predecessor this transaction just finished, if due."""
        head = (
            select(OutboxRow.id)
            .where(OutboxRow.ordering_key == ordering_key, OutboxRow.status == PENDING)
            .order_by(OutboxRow.id)
            .limit(1)
            .scalar_subquery()
        )
        rows = (
            (
                await self.session.execute(
                    update(OutboxRow)
                    .where(
                        OutboxRow.id == head,
                        OutboxRow.status == PENDING,
                        OutboxRow.not_before <= now,
                    )
                    .values(attempts=OutboxRow.attempts + 1, not_before=now + lease)
                    .returning(OutboxRow),
                    execution_options={"synchronize_session": False},
                )
            )
            .scalars()
            .all()
        )
        return _to_item(rows[0]) if rows else None

    async def extend_lease(self, item_ids: Sequence[int], until: datetime) -> None:
        """Keep items this worker is still holding from being taken by another.

        Rows another transaction is writing (their outcome, most likely) are skipped rather
        than waited for, so renewing never deadlocks with recording.
        """
        for start in range(0, len(item_ids), 500):
            chunk = list(item_ids[start : start + 500])
            if self._postgresql:
                free = (
                    select(OutboxRow.id)
                    .where(OutboxRow.id.in_(chunk))
                    .order_by(OutboxRow.id)
                    .with_for_update(skip_locked=True)
                )
                chunk = list((await self.session.execute(free)).scalars().all())
            await self.session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id.in_(chunk),
                    OutboxRow.status == PENDING,
                    OutboxRow.parked_on.is_(None),
                )
                .values(not_before=until)
            )

    async def has_pending(self, ordering_key: str, operation: str) -> bool:
        """Whether such work is waiting and not yet started (so it need not be queued twice).

        Work already in flight does not count: it may have read the state this new request
        is about to change.
        """
        found = (
            await self.session.execute(
                select(OutboxRow.id)
                .where(
                    OutboxRow.ordering_key == ordering_key,
                    OutboxRow.operation == operation,
                    OutboxRow.status == PENDING,
                    OutboxRow.attempts == 0,
                )
                .limit(1)
            )
        ).first()
        return found is not None

    async def begin_attempt(self, item_id: int, now: datetime, lease: timedelta) -> bool:
        """Take the item for one delivery attempt, leased until `now + lease`.

        False when another worker holds it or it is no longer due. A worker that dies holding
        the lease leaves `attempts` raised, which tells the next one to check before re-posting.
        """
        result = await self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id == item_id, OutboxRow.status == PENDING, OutboxRow.not_before <= now
            )
            .values(attempts=OutboxRow.attempts + 1, not_before=now + lease)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def release(self, item_id: int, now: datetime) -> None:
        """Let a pending item be taken again at once instead of when its lease runs out."""
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == item_id, OutboxRow.status == PENDING)
            .values(not_before=now)
        )

    async def release_all(self, kind: str, now: datetime) -> int:
        """Make every claimed or waiting item of `kind` due now (parked ones stay parked);
        how many. For a process that knows it is the only one: what is leased was left by
        one that died."""
        result = await self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.kind == kind,
                OutboxRow.status == PENDING,
                OutboxRow.parked_on.is_(None),
                OutboxRow.attempts > 0,
                OutboxRow.not_before > now,
            )
            .values(not_before=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def following(
        self, item: OutboxItem, limit: int = 50, operation: str | None = None
    ) -> Sequence[OutboxItem]:
        """Pending items queued after `item` under the same ordering key, in order."""
        query = select(OutboxRow).where(
            OutboxRow.ordering_key == item.ordering_key,
            OutboxRow.id > item.id,
            OutboxRow.status == PENDING,
        )
        if operation is not None:
            query = query.where(OutboxRow.operation == operation)
        rows = (await self.session.execute(query.order_by(OutboxRow.id).limit(limit))).scalars()
        return [_to_item(r) for r in rows.all()]

    async def get(self, item_id: int) -> OutboxItem | None:
        row = await self.session.get(OutboxRow, item_id, populate_existing=True)
        return _to_item(row) if row else None

    async def mark_sent(self, item_id: int, result: dict[str, Any], now: datetime) -> None:
        await self._set(item_id, status=SENT, result=result, done_at=now, parked_on=None)

    async def mark_failed(self, item_id: int, error: str, now: datetime) -> None:
        """A permanent failure: never retried, kept with its reason for admins to see."""
        await self._set(item_id, status=FAILED, last_error=error, done_at=now)

    async def retry_later(
        self,
        item_id: int,
        not_before: datetime,
        error: str,
        *,
        counts: bool = True,
        maybe_done: bool = True,
    ) -> None:
        """Try again at `not_before`. `counts`: a real error (toward giving up); `maybe_done`:
        the attempt may have reached the other side, so the next one looks before repeating."""
        values: dict[str, Any] = {"not_before": not_before, "last_error": error}
        if counts:
            values["failures"] = OutboxRow.failures + 1
        if not maybe_done:
            values["attempts"] = OutboxRow.attempts - 1
        await self._set(item_id, **values)

    async def hold_for_park(
        self, item_id: int, scope: str, error: str, until: datetime, *, maybe_done: bool
    ) -> None:
        """The item waits on a parked lane; a probe or the lane's repair releases it."""
        values: dict[str, Any] = {"not_before": until, "last_error": error, "parked_on": scope}
        if not maybe_done:
            values["attempts"] = OutboxRow.attempts - 1
        await self._set(item_id, **values)

    async def failed(self, limit: int = 50) -> Sequence[OutboxItem]:
        rows = (
            (
                await self.session.execute(
                    select(OutboxRow)
                    .where(OutboxRow.status == FAILED)
                    .order_by(OutboxRow.id.desc())
                    .limit(limit)
                )
            )
            .scalars()
            .all()
        )
        return [_to_item(r) for r in rows]

    async def drop_pending_for_case(self, case_id: int) -> None:
        """Forget queued work that carries a deleted case's personal data."""
        await self.session.execute(
            delete(OutboxRow).where(OutboxRow.case_id == case_id, OutboxRow.status == PENDING)
        )

    async def erase_case(self, case_id: int) -> None:
        """Strip a deleted case's delivered work down to ids: no text, names or addresses.

        What is kept (the case, message and agent ids, the channel and ts of what was posted)
        is what deleting the posts from Slack afterwards needs, and names no customer.
        """
        rows = (
            (await self.session.execute(select(OutboxRow).where(OutboxRow.case_id == case_id)))
            .scalars()
            .all()
        )
        for row in rows:
            row.payload = {k: v for k, v in row.payload.items() if k in _IDS}
            row.result = {k: v for k, v in (row.result or {}).items() if k in _LOCATION}
            row.last_error = "erased" if row.last_error else None

    async def posted_for_case(
        self, case_id: int, operations: Sequence[str]
    ) -> list[tuple[str, str]]:
        """(channel, ts) of what these operations posted for the case."""
        results = (
            await self.session.execute(
                select(OutboxRow.result).where(
                    OutboxRow.case_id == case_id,
                    OutboxRow.status == SENT,
                    OutboxRow.operation.in_(operations),
                )
            )
        ).scalars()
        return [
            (str(r["channel"]), str(r["ts"]))
            for r in results
            if isinstance(r, dict) and r.get("channel") and r.get("ts")
        ]

    async def prune_done(
        self, older_than: datetime, keep: Sequence[str] = (), limit: int = 5000
    ) -> int:
        """Delete up to `limit` sent or failed items finished before `older_than`, except those
        of the `keep` operations whose case is still open for deletion; returns how many."""
        live_cases = select(CaseRow.id).where(CaseRow.deleted_at.is_(None))
        oldest = (
            select(OutboxRow.id)
            .where(
                OutboxRow.status.in_((SENT, FAILED)),
                OutboxRow.done_at < older_than,
                ~(OutboxRow.operation.in_(keep) & OutboxRow.case_id.in_(live_cases)),
            )
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        result = await self.session.execute(
            delete(OutboxRow).where(OutboxRow.id.in_(oldest.scalar_subquery()))
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def _set(self, item_id: int, **values: Any) -> None:
        await self.session.execute(
            update(OutboxRow).where(OutboxRow.id == item_id).values(**values)
        )

    # Parked lanes ------------------------------------------------------------------------

    async def park(
        self, *, scope: str, kind: str, error: str, fix: str, now: datetime, next_probe: datetime
    ) -> bool:
        """Hold a lane back; True when it was not parked already (so admins must be told)."""
        row = await self.session.get(DeliveryParkRow, scope, populate_existing=True)
        if row is not None:
            row.error, row.fix = error, fix
            row.next_probe_at = max(row.next_probe_at, next_probe)
            await self.session.flush()
            return False
        self.session.add(
            DeliveryParkRow(
                scope=scope,
                kind=kind,
                error=error,
                fix=fix,
                since=now,
                probes=0,
                next_probe_at=next_probe,
            )
        )
        await self.session.flush()
        return True

    async def parks(self, kind: str | None = None) -> Sequence[Park]:
        """Every parked lane (of `kind`), with how many items wait on it."""
        query = select(DeliveryParkRow).order_by(DeliveryParkRow.since)
        if kind is not None:
            query = query.where(DeliveryParkRow.kind == kind)
        rows = (await self.session.execute(query)).scalars().all()
        parks = []
        for row in rows:
            waiting = await self.session.scalar(
                select(func.count()).where(
                    OutboxRow.parked_on == row.scope, OutboxRow.status == PENDING
                )
            )
            parks.append(
                Park(
                    row.scope,
                    row.kind,
                    row.error,
                    row.fix,
                    row.since,
                    row.probes,
                    row.next_probe_at,
                    int(waiting or 0),
                )
            )
        return parks

    async def take_probe(self, scope: str, now: datetime, next_probe: datetime) -> bool:
        """Claim this round's probe of a parked lane (one worker wins it)."""
        result = await self.session.execute(
            update(DeliveryParkRow)
            .where(DeliveryParkRow.scope == scope, DeliveryParkRow.next_probe_at <= now)
            .values(next_probe_at=next_probe, probes=DeliveryParkRow.probes + 1)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def release_probe(self, scope: str, now: datetime) -> int | None:
        """Make the oldest item waiting on `scope` due now; None when nothing waits on it."""
        first = await self.session.scalar(
            select(func.min(OutboxRow.id)).where(
                OutboxRow.parked_on == scope, OutboxRow.status == PENDING
            )
        )
        if first is None:
            return None
        await self._set(int(first), not_before=now)
        return int(first)

    async def unpark(self, scope: str, now: datetime) -> int:
        """The lane works again: forget the park and release everything that waited on it."""
        await self.session.execute(delete(DeliveryParkRow).where(DeliveryParkRow.scope == scope))
        result = await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.parked_on == scope, OutboxRow.status == PENDING)
            .values(not_before=now, parked_on=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _set_on_close(event: asyncio.Event, _connection: Any) -> None:
    event.set()


async def listen_for_outbox(
    engine: AsyncEngine, on_kind: Callable[[str], None], on_listening: Callable[[], None]
) -> None:
    """PostgreSQL only: call `on_kind(kind)` whenever a transaction queues outbox work.

    Holds one connection with `LISTEN`; if it drops, it reconnects (the deliverer's poll
    covers the gap). `on_listening` is called each time listening (re)starts, so work queued
    while nobody listened is looked for then. Runs until cancelled.
    """

    def heard(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
        on_kind(payload)

    while True:
        try:
            async with engine.connect() as connection:
                raw: Any = (await connection.get_raw_connection()).driver_connection
                lost = asyncio.Event()
                raw.add_termination_listener(functools.partial(_set_on_close, lost))
                await raw.add_listener(NOTIFY_CHANNEL, heard)
                on_listening()
                try:
                    await lost.wait()
                finally:
                    with contextlib.suppress(Exception):
                        await raw.remove_listener(NOTIFY_CHANNEL, heard)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("outbox LISTEN connection lost (%s); polling meanwhile", exc)
        await asyncio.sleep(2)
