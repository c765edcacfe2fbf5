"""Bolt listeners, one module per area; each only translates and calls a service."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from bridge.ports import FileSource
from bridge.services import notices
from bridge.services.context import ServiceContext
from bridge.slack.delivering import SlackDeliverer
from bridge.slack.file_fetch import SlackFileFetcher
from bridge.slack.inbox import SlackInbox
from bridge.slack.people import People
from bridge.slack.thread_turns import ThreadTurns

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


@dataclass
class Deps:
    """What listeners need: the services, who people are, and a way to answer privately."""

    services: ServiceContext
    people: People
    deliverer: SlackDeliverer
    public_url: str = "http://localhost:8080"
    inbox: SlackInbox | None = None
    turns: ThreadTurns = field(default_factory=ThreadTurns)
    # Where agents' shared files are downloaded from (Slack, with the bot token).
    files: FileSource = field(default_factory=lambda: SlackFileFetcher(None, frozenset()))
    _busy: int = 0
    _idle: asyncio.Event = field(default_factory=asyncio.Event)

    def tracked(self, listener: F) -> F:
        """Count the listener as work in flight, so shutdown can wait for it, and report to
        the inbox whether its request was handled (else it is handled again later).

        bolt runs listeners after the ack, outside the request; without this a shutdown
        could close the database under a listener's transaction.
        """

        @functools.wraps(listener)
        async def run(*args: Any, **kwargs: Any) -> Any:
            ticket = self.inbox.listener_started() if self.inbox is not None else None
            self._busy += 1
            self._idle.clear()
            try:
                result = await listener(*args, **kwargs)
            except Exception as error:
                if ticket is not None and self.inbox is not None:
                    await self.inbox.listener_failed(ticket, error)
                raise
            else:
                if ticket is not None and self.inbox is not None:
                    await self.inbox.listener_finished(ticket)
                return result
            finally:
                self._busy -= 1
                if not self._busy:
                    self._idle.set()

        return cast(F, run)

    async def drain(self, grace: float = 5.0) -> None:
        """Wait (a while) for listeners still at work."""
        if self._busy:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), grace)

    async def tell(
        self,
        channel: str,
        user: str,
        text: str,
        case_id: int | None = None,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        response_url: str | None = None,
    ) -> None:
        """An ephemeral answer to `user` (in a thread if given), sent through the outbox."""
        await notices.answer_agent(
            self.services, channel, user, text, case_id, blocks, thread_ts, response_url
        )
