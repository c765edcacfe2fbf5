"""The outbox deliverer for Slack work: the generic one, plus paced calls and shared lookups."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bridge.clock import Clock
from bridge.core.events import Event
from bridge.core.text import escape_mrkdwn
from bridge.files.store import FileStore
from bridge.outbox.deliverer import DeliveryPolicy, Handler, OutboxDeliverer
from bridge.outbox.parks import WORKSPACE
from bridge.slack import operations as op
from bridge.slack.calls import SlackCalls
from storage.repositories.outbox import OutboxItem, Park
from storage.uow import Database, UnitOfWork

SLACK = "slack"
METADATA_TYPE = "casebridge_outbox"
LOOKUP_KEEP = 300.0  # seconds a lookup stays useful for items in doubt before it


class PostedLookups:
    """Finds what earlier, interrupted attempts already posted: one read per thread, shared.

    An attempt that may have got through (a timeout, Slack's `internal_error`, a crash) leaves
    its item "in doubt". Rather than one `conversations.replies` (Tier 3) per retried item, a
    read of a thread (or a channel's recent history) made after an item fell in doubt answers
    for every item of that thread, by the outbox ids in the posts' metadata.
    """

    def __init__(self, calls: SlackCalls) -> None:
        self.calls = calls
        self._seen: dict[tuple[str, str], tuple[float, dict[int, dict[str, Any]]]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def find(
        self, channel: str, thread_ts: str | None, item: OutboxItem, since: float
    ) -> dict[str, Any] | None:
        """The message carrying `item` in that thread (or channel), if any got through."""
        key = (channel, thread_ts or "")
        async with self._locks.setdefault(key, asyncio.Lock()):
            seen = self._seen.get(key)
            if seen is None or seen[0] < since:
                read_at = time.monotonic()
                if thread_ts:
                    answer = await self.calls(
                        "conversations_replies",
                        channel=channel,
                        ts=thread_ts,
                        limit=1000,
                        include_all_metadata=True,
                    )
                else:
                    answer = await self.calls(
                        "conversations_history",
                        channel=channel,
                        limit=200,
                        include_all_metadata=True,
                    )
                seen = (read_at, _by_outbox_id(answer.get("messages", [])))
                self._forget_old(read_at)
                self._seen[key] = seen
        return seen[1].get(item.id)

    def _forget_old(self, now: float) -> None:
        for key in [k for k, (at, _) in self._seen.items() if now - at > LOOKUP_KEEP]:
            self._seen.pop(key, None)
            self._locks.pop(key, None)


def _by_outbox_id(messages: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for message in messages:
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") != METADATA_TYPE:
            continue
        payload = metadata.get("event_payload") or {}
        for carried in (payload.get("outbox_id"), *(payload.get("also") or [])):
            if isinstance(carried, int):
                found[carried] = message
    return found


async def _nobody(_events: Sequence[Event]) -> None:
    """Until the composition root wires the event bus in: nobody listens."""


class SlackDeliverer(OutboxDeliverer):
    """Delivers Slack work in order per case, paced per channel."""

    kind = SLACK

    def __init__(
        self,
        db: Database,
        calls: SlackCalls,
        clock: Clock,
        handlers: dict[str, Handler],
        policy: DeliveryPolicy | None = None,
    ) -> None:
        super().__init__(db, clock, handlers, policy)
        self.calls = calls
        # Set by the composition root: publishes what delivery made happen (after commit).
        self.announce: Callable[[Sequence[Event]], Awaitable[None]] = _nobody
        self.files: FileStore | None = None  # set by the composition root: attachments' bytes
        calls.board = self.board  # calls into a parked lane stop before Slack
        self.lookups = PostedLookups(calls)

    async def posted_before(
        self, item: OutboxItem, channel: str, thread_ts: str | None = None
    ) -> dict[str, Any] | None:
        """What an earlier attempt of `item` posted there, if one may have got through."""
        since = self.doubt_since(item)
        if since is None:
            return None
        return await self.lookups.find(channel, thread_ts, item, since)

    async def announce_park(self, uow: UnitOfWork, park: Park) -> None:
        """Admins get a DM (unless Slack itself is what fails) and a banner in App Home."""
        text = (
            f":warning: *casebridge cannot deliver to Slack* ({escape_mrkdwn(park.scope)}: "
            f"`{escape_mrkdwn(park.error)}`). Nothing is lost: it waits and goes out by itself "
            f"once this is fixed.\n*To fix:* {park.fix}"
        )
        await self._tell_admins(uow, text if park.scope != WORKSPACE else None)

    async def announce_resume(self, uow: UnitOfWork, park: Park) -> None:
        """Admins learn the lane works again; the banner goes."""
        text = (
            f":white_check_mark: Delivery to Slack works again ({escape_mrkdwn(park.scope)}); "
            "what waited is going out now, in order."
        )
        await self._tell_admins(uow, text if park.scope != WORKSPACE else None)

    async def _tell_admins(self, uow: UnitOfWork, text: str | None) -> None:
        now = self.clock.now()
        for agent in await uow.agents.all():
            if not agent.is_admin:
                continue
            if text is not None:
                await uow.outbox.add(
                    kind=SLACK,
                    ordering_key=f"notice:{agent.slack_user_id}",
                    operation=op.NOTICE_DM,
                    payload={"user": agent.slack_user_id, "text": text},
                    now=now,
                )
            if not await uow.outbox.has_pending(f"home:{agent.slack_user_id}", op.HOME_PUBLISH):
                await uow.outbox.add(
                    kind=SLACK,
                    ordering_key=f"home:{agent.slack_user_id}",
                    operation=op.HOME_PUBLISH,
                    payload={"user": agent.slack_user_id},
                    now=now,
                )
