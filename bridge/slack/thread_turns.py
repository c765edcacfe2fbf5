"""Slack events of one thread are handled one at a time, in the order they arrived.

Slack (and a reconnecting Socket Mode) can hand us several replies of a thread at once; each
becomes its own task, and their database writes finish in any order. An agent's replies must
reach the customer in the order they were written, so every event of a thread takes its turn:
`asyncio.Lock` queues waiters first come, first served, and a turn is asked for before the
handler's first await, so the queue's order is the order of arrival.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any


def thread_of(body: dict[str, Any]) -> str | None:
    """The thread a message event belongs to ("channel:thread ts"), or None for anything else."""
    event = body.get("event") if isinstance(body, dict) else None
    if not isinstance(event, dict) or event.get("type") != "message":
        return None
    changed = event.get("message")
    inner: dict[str, Any] = changed if isinstance(changed, dict) else event
    channel = event.get("channel")
    root = inner.get("thread_ts") or inner.get("ts") or event.get("ts")
    return f"{channel}:{root}" if channel and root else None


class ThreadTurns:
    """One queue per thread, dropped when nobody waits on it any more."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._holders: Counter[str] = Counter()

    @contextlib.asynccontextmanager
    async def of(self, thread: str | None) -> AsyncIterator[None]:
        """`async with turns.of(key):` — wait for the thread's earlier events to be done."""
        if thread is None:
            yield
            return
        lock = self._locks.setdefault(thread, asyncio.Lock())
        self._holders[thread] += 1
        try:
            async with lock:
                yield
        finally:
            self._holders[thread] -= 1
            if not self._holders[thread]:
                del self._holders[thread]
                self._locks.pop(thread, None)
