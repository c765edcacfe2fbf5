"""Durable before acknowledged: every inbound Slack request (event, click, command, view
submission) is stored in the inbox before Slack gets its ack, then handled from there.

The edge stores the request and only then lets bolt answer Slack; if it cannot be stored,
Slack gets an error (HTTP 503, or no Socket Mode ack) and sends it again. A listener marks its
request handled when it returns; a crash, a failing database or an exception after the ack
leaves it pending, and `run()` hands it to bolt again (at start, and after `lease` seconds),
oldest first. Handling is idempotent by event id and message ts, so a second try after a
half-finished first does not repeat anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bridge.services import inbox as inbox_services
from bridge.services.context import ServiceContext
from bridge.slack.thread_turns import ThreadTurns, thread_of

log = logging.getLogger(__name__)

EVENTS, INTERACTIVE, COMMANDS = "events_api", "interactive", "slash_commands"


@dataclass(eq=False)
class Ticket:
    """One stored request on its way through bolt: how far it got."""

    inbox_id: int
    authorized: bool = False  # bolt authorised it (ours is the only authorize)
    passed: bool = False  # it got past bolt's built-in filters (e.g. the bot's own events)
    started: bool = False  # a listener took it


# Bolt runs listeners in tasks it creates inside dispatch; they inherit this.
current_ticket: ContextVar[Ticket | None] = ContextVar("slack_inbox_ticket", default=None)


def request_key(body: dict[str, Any]) -> tuple[str, str] | None:
    """(key, kind) naming this request for good, or None for Slack's handshakes."""
    kind_of = body.get("type")
    if kind_of in ("url_verification", "app_rate_limited") or body.get("ssl_check"):
        return None
    if kind_of == "event_callback" and body.get("event_id"):
        return f"event:{body['event_id']}", EVENTS
    trigger = body.get("trigger_id")
    if body.get("command"):
        kind = COMMANDS
    elif kind_of:
        kind = INTERACTIVE
    else:
        return None
    if trigger:
        return f"{kind}:{kind_of or 'command'}:{trigger}", kind
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return f"{kind}:sha256:{digest}", kind


def keepable(body: dict[str, Any]) -> dict[str, Any]:
    """What of a request is worth storing: a click carries the whole message or view it was
    made on (a case card: the customer's name, email, question), which no listener reads and
    an erased case must not leave behind in our inbox."""
    kept = dict(body)
    event = kept.get("event")
    if isinstance(event, dict):  # an edit or deletion carries the whole message, before too
        kept["event"] = {
            k: (_bare_message(v) if k in ("message", "previous_message") else v)
            for k, v in event.items()
        }
    message = kept.get("message")
    if isinstance(message, dict):
        kept["message"] = _bare_message(message)
    view = kept.get("view")
    if isinstance(view, dict):
        kept["view"] = {k: v for k, v in view.items() if k not in ("blocks", "title")}
    return kept


def _bare_message(message: Any) -> Any:
    if not isinstance(message, dict):
        return message
    return {k: message[k] for k in ("type", "subtype", "ts", "thread_ts", "user") if k in message}


def note_authorized() -> None:
    """Called by our authorize for every request bolt authorises."""
    ticket = current_ticket.get()
    if ticket is not None:
        ticket.authorized = True


class SlackInbox:
    """Stores each inbound request before bolt acknowledges it, and re-runs the unfinished."""

    def __init__(
        self,
        services: ServiceContext,
        app: AsyncApp,
        *,
        lease: float = 10.0,
        interval: float = 2.0,
        stuck_after: float = 300.0,
    ) -> None:
        self.services = services
        self.app = app
        self.lease = lease  # a pending request younger than this may still be under way
        self.interval = interval
        self.stuck_after = stuck_after  # a listener this late is presumed lost
        self.in_flight: dict[int, float] = {}  # inbox id -> when it was handed to bolt
        self.turns = ThreadTurns()  # shared with the message listener
        self._settled: dict[int, asyncio.Event] = {}  # set when an in-flight id is released
        self.first_seen: dict[int, float] = {}  # pending ids seen by this process
        self.started_at = services.clock.now()
        self.gap_listeners: list[Callable[[], Awaitable[None]]] = []
        self._wake = asyncio.Event()
        self._edge_busy = 0
        self._edge_idle = asyncio.Event()
        self._stopping = False
        self.database_up = True
        # Tells the bot's own events (known once authorised); they are not worth storing.
        self.is_own_event: Callable[[dict[str, Any]], bool] | None = None

        async def mark_passed(next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
            ticket = current_ticket.get()
            if ticket is not None:
                ticket.passed = True
            return await next()

        app.middleware(mark_passed)

    # --- the edge -----------------------------------------------------------------------
    async def handle(self, request: AsyncBoltRequest) -> BoltResponse:
        """Store, then let bolt answer; a request that cannot be stored is refused (503)."""
        self._edge_busy += 1
        self._edge_idle.clear()
        try:
            return await self._handle(request)
        finally:
            self._edge_busy -= 1
            if not self._edge_busy:
                self._edge_idle.set()

    async def drain(self, grace: float = 5.0) -> None:
        """Wait (a while) for requests still being stored or handed to bolt.

        Socket Mode runs each request in a task of its own that nobody else waits for; the
        database must not be closed under it."""
        if self._edge_busy:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._edge_idle.wait(), grace)

    async def _handle(self, request: AsyncBoltRequest) -> BoltResponse:
        # The thread's turn is taken before the first await: arrival order is kept through the
        # store and the hand-over to bolt (which starts the listener in that order too).
        async with self.turns.of(thread_of(request.body)):
            return await self._store_and_dispatch(request)

    async def _store_and_dispatch(self, request: AsyncBoltRequest) -> BoltResponse:
        keyed = request_key(request.body)
        if keyed is None:
            return await self.app.async_dispatch(request)
        if self.is_own_event is not None and self.is_own_event(request.body):
            # Slack echoes every post of ours as an event; there is nothing to keep or do.
            return BoltResponse(status=200, body="")
        key, kind = keyed
        try:
            stored = await inbox_services.receive(self.services, key, kind, keepable(request.body))
        except Exception as exc:  # the database is down: Slack must try again later
            log.warning("could not store inbound %s %s, refusing it: %s", kind, key, exc)
            self._database_lost()
            return BoltResponse(status=503, body={"error": "not_stored_try_again"})
        self._database_back()
        if stored.status != "pending" or stored.id in self.in_flight:
            return BoltResponse(status=200, body="")  # a retry of something handled or under way
        return await self.dispatch(stored.id, request)

    async def dispatch(self, inbox_id: int, request: AsyncBoltRequest) -> BoltResponse:
        """Hand a stored request to bolt, remembering how far it got."""
        ticket = Ticket(inbox_id)
        self.in_flight[inbox_id] = time.monotonic()
        token = current_ticket.set(ticket)
        try:
            response = await self.app.async_dispatch(request)
        except Exception:
            self._release(inbox_id)
            raise
        finally:
            current_ticket.reset(token)
        if not ticket.started and ticket.authorized:
            if not ticket.passed or response.status == 404:
                # bolt had nothing to run for it (our own message, an event we do not handle).
                await self._finish(inbox_id)
        elif not ticket.authorized:
            self._release(inbox_id)  # authorisation failed: try again later
        return response

    async def handle_and_wait(self, request: AsyncBoltRequest, patience: float = 30.0) -> None:
        """Store and handle a request, and wait until its listener is done (keeps order)."""
        keyed = request_key(request.body)
        if keyed is None:
            return
        key, kind = keyed
        stored = await inbox_services.receive(self.services, key, kind, keepable(request.body))
        if stored.status != "pending":
            return
        if stored.id not in self.in_flight:
            await self.dispatch(stored.id, request)
        if stored.id in self.in_flight:
            settled = self._settled.setdefault(stored.id, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(settled.wait(), patience)

    # --- what listeners report (through Deps.tracked) -------------------------------------
    def listener_started(self) -> Ticket | None:
        ticket = current_ticket.get()
        if ticket is not None:
            ticket.started = True
        return ticket

    async def listener_finished(self, ticket: Ticket) -> None:
        await self._finish(ticket.inbox_id)

    async def listener_failed(self, ticket: Ticket, error: BaseException) -> None:
        self._release(ticket.inbox_id)
        try:
            parked = await inbox_services.note_failure(
                self.services, ticket.inbox_id, f"{type(error).__name__}: {error}"
            )
        except Exception as exc:
            log.warning("could not record a failed inbound request (%s); it stays pending", exc)
            self._database_lost()
            return
        if parked:
            log.error("inbound request %d failed too often; parked: %s", ticket.inbox_id, error)
        self._wake.set()

    def _release(self, inbox_id: int) -> None:
        """No longer in flight here; whoever waits for it may go on."""
        self.in_flight.pop(inbox_id, None)
        settled = self._settled.pop(inbox_id, None)
        if settled is not None:
            settled.set()

    async def _finish(self, inbox_id: int) -> None:
        try:
            await inbox_services.finish(self.services, inbox_id)
        except Exception as exc:  # handled, but not marked: a second try will be a no-op
            log.warning("could not mark inbound request %d handled: %s", inbox_id, exc)
            self._database_lost()
        finally:
            self._release(inbox_id)
            self.first_seen.pop(inbox_id, None)

    # --- catching up ----------------------------------------------------------------------
    async def replay_due(self) -> int:
        """Hand bolt again every pending request nobody here is working on; how many."""
        try:
            waiting = await inbox_services.pending(self.services)
        except Exception as exc:
            log.info("inbox unreadable (%s); trying again shortly", exc)
            self._database_lost()
            return 0
        came_back = self._database_back()
        now = time.monotonic()
        replayed = 0
        for stored in waiting:
            since = self.in_flight.get(stored.id)
            if since is not None and now - since < self.stuck_after:
                continue
            seen = self.first_seen.setdefault(stored.id, now)
            # Left by a previous run: at once; else after the lease (its edge may be at work).
            if stored.received_at >= self.started_at and now - seen < self.lease:
                continue
            request = AsyncBoltRequest(body=stored.payload, mode="socket_mode")
            try:
                await self.dispatch(stored.id, request)
            except Exception as exc:
                log.warning("replaying inbound request %d failed: %s", stored.id, exc)
            replayed += 1
        if came_back:
            await self._gap_closed()
        return replayed

    async def run(self) -> None:
        """Replay pending requests at start and then every `interval` seconds."""
        await self._gap_closed()  # at start: whatever Slack sent while we were away
        while not self._stopping:
            await self.replay_due()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()

    async def stop(self, task: asyncio.Task[None], grace: float = 5.0) -> None:
        """Let the round under way finish (cancelling a query mid-way leaks its connection)."""
        self._stopping = True
        self._wake.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), grace)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    def _database_lost(self) -> None:
        self.database_up = False

    def _database_back(self) -> bool:
        """True when the database has just come back after we saw it fail."""
        came_back = not self.database_up
        self.database_up = True
        return came_back

    async def gap(self) -> None:
        """Something may have been missed (e.g. Socket Mode reconnected): catch up now."""
        await self._gap_closed()

    async def _gap_closed(self) -> None:
        """Tell whoever reconciles with Slack that we may have missed something."""
        for listener in self.gap_listeners:
            try:
                await listener()
            except Exception:
                log.exception("catching up after a gap failed")
