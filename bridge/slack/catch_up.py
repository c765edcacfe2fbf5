"""Catching up from Slack itself: after a gap, read each open case's thread and relay what
we missed.

Slack stops redelivering an event after three tries within about six minutes; an outage of
ours can outlast that, and Slack sends nothing at all from a channel the bot is not in. So at
start, when the database comes back and when Socket Mode reconnects, every open case's thread
(after a channel is repaired or joined again, that channel's threads) is read with
`conversations.replies` from the newest agent reply we know of, and each later reply is handed
to the inbox as if Slack had sent it again: the same listener decides what it is, in thread
order, and the relay's memory of message ts makes a reply that did arrive meanwhile a no-op.
Calls are paced within the method's tier (Tier 3: about 50 a minute) and a 429 waits for its
Retry-After.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bridge import views
from bridge.outbox.parks import WORKSPACE, channel_scope
from bridge.rate_limits import Limiter, limit
from bridge.services.context import ServiceContext
from bridge.slack.inbox import SlackInbox
from storage.repositories.cases import OpenThread

log = logging.getLogger(__name__)
NOTE_REACTION = "lock"


EVERY_THREAD = ""  # a request for all open threads, not one channel's


class TierPacing:
    """`conversations.replies` calls kept within Tier 3 (50 a minute), five at most at once."""

    def __init__(self, tier: str = "5 per 6 seconds", storage_uri: str = "memory://") -> None:
        self.tier = limit(tier)
        self.limiter = Limiter(storage_uri)

    async def wait_turn(self) -> None:
        """Sleep until one more call fits the tier (and count it)."""
        while True:
            wait = await self.limiter.wait(self.tier, "slack-method", "replies")
            if wait <= 0:
                return
            await asyncio.sleep(wait)


@dataclass
class CatchUpReport:
    threads: int = 0
    replayed: int = 0
    seconds: float = 0.0


class ThreadCatchUp:
    """Reads open case threads from Slack and hands what we may have missed to the inbox."""

    def __init__(
        self,
        services: ServiceContext,
        client: AsyncWebClient,
        inbox: SlackInbox,
        pacing: TierPacing | None = None,
    ) -> None:
        self.services, self.client, self.inbox = services, client, inbox
        self.pacing = pacing or TierPacing()
        self.bot: tuple[str | None, str | None] = (None, None)  # (bot_id, bot user id)
        self.last: CatchUpReport | None = None
        self._running: asyncio.Task[CatchUpReport] | None = None
        self._wanted: set[str] = set()  # channels asked for, or EVERY_THREAD
        self._stopping = False

    async def request(self, channel: str | None = None) -> None:
        """Start a catch-up of every open thread, or of `channel`'s (or, if one is under way,
        one more right after it)."""
        if self._stopping:
            return
        self._wanted.add(channel or EVERY_THREAD)
        if self._running is not None and not self._running.done():
            return
        self._running = asyncio.get_running_loop().create_task(self._loop(), name="catch-up")

    async def after_repair(self, scope: str) -> None:
        """A parked lane works again: what Slack did not send us meanwhile is read back.

        A channel the bot was not in sent no events; a revoked token, none at all."""
        if scope == WORKSPACE:
            await self.request()
        elif scope.startswith(channel_scope("")):
            await self.request(scope.removeprefix(channel_scope("")))

    async def wait(self) -> None:
        """Until the catch-up under way (if any) has finished."""
        while self._running is not None and not self._running.done():
            await asyncio.shield(self._running)

    async def stop(self, grace: float = 5.0) -> None:
        """Finish the thread under way (a query cut off mid-way leaks its connection)."""
        self._stopping = True
        task = self._running
        if task is None or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
        except Exception:
            log.exception("the last catch-up failed")

    async def _loop(self) -> CatchUpReport:
        report = CatchUpReport()
        while self._wanted:  # requests made during a pass are served by the next one
            wanted, self._wanted = self._wanted, set()
            report = await self.run_once(None if EVERY_THREAD in wanted else wanted)
        return report

    async def run_once(self, channels: set[str] | None = None) -> CatchUpReport:
        """One pass over every open thread (or those in `channels`); never raises (a failed
        pass is logged)."""
        started = time.monotonic()
        report = CatchUpReport()
        try:
            threads = await views.open_threads(self.services)
        except Exception as exc:
            log.info("catch-up: database unreachable (%s); the next gap will retry", exc)
            return report
        if channels is not None:
            threads = [t for t in threads if t.channel in channels]
        for thread in threads:
            if self._stopping:
                break
            try:
                report.replayed += await self._catch_up(thread)
                report.threads += 1
            except Exception:
                log.exception("catch-up of case %s's thread failed", thread.case_id)
        report.seconds = time.monotonic() - started
        self.last = report
        if report.replayed:
            log.info(
                "catch-up: %d missed message(s) in %d thread(s), %.1f s",
                report.replayed,
                report.threads,
                report.seconds,
            )
        return report

    async def _catch_up(self, thread: OpenThread) -> int:
        replayed = 0
        for message in await self._replies_after(thread):
            envelope = _as_event(thread, message)
            if envelope is None:
                continue
            request = AsyncBoltRequest(body=envelope, mode="socket_mode")
            await self.inbox.handle_and_wait(request)
            replayed += 1
        return replayed

    async def _replies_after(self, thread: OpenThread) -> list[dict[str, Any]]:
        """The thread's replies newer than the last agent reply we know, oldest first."""
        oldest = thread.last_agent_ts or thread.thread_ts
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = await self._call(
                channel=thread.channel,
                ts=thread.thread_ts,
                oldest=oldest,
                inclusive=False,
                limit=200,
                **({"cursor": cursor} if cursor else {}),
            )
            found.extend(m for m in page.get("messages", []) if isinstance(m, dict))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor or not page.get("has_more", cursor is not None):
                break
        later = [
            m for m in found if m.get("ts") != thread.thread_ts and _after(m.get("ts"), oldest)
        ]
        return sorted(later, key=lambda m: _ts_key(str(m.get("ts"))))

    async def _call(self, **kwargs: Any) -> dict[str, Any]:
        while True:
            await self.pacing.wait_turn()
            try:
                response = await self.client.conversations_replies(**kwargs)
            except SlackApiError as exc:
                if exc.response.status_code == 429:
                    await asyncio.sleep(float(exc.response.headers.get("Retry-After", 1)))
                    continue
                raise
            return dict(response.data) if isinstance(response.data, dict) else {}


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, fraction = ts.partition(".")
    return int(seconds or 0), int(fraction or 0)


def _after(ts: Any, oldest: str) -> bool:
    return isinstance(ts, str) and _ts_key(ts) > _ts_key(oldest)


def _as_event(thread: OpenThread, message: dict[str, Any]) -> dict[str, Any] | None:
    """The message as the event Slack would have sent for it, or None if it is not worth one."""
    if message.get("bot_id") or not message.get("user"):
        return None  # our own posts (the customer's words) and other bots'
    reactions = message.get("reactions") or []
    if any(r.get("name") == NOTE_REACTION for r in reactions if isinstance(r, dict)):
        return None  # an internal note we have already marked
    event: dict[str, Any] = {
        key: message[key]
        for key in ("type", "subtype", "user", "text", "ts", "thread_ts", "files", "blocks")
        if key in message
    }
    event.update(type="message", channel=thread.channel, channel_type="channel")
    event.setdefault("thread_ts", thread.thread_ts)
    return {
        "type": "event_callback",
        # Not Slack's id (that one is lost): the relay knows the message by its ts anyway.
        "event_id": f"catch-up:{thread.channel}:{message['ts']}",
        "event": event,
    }
