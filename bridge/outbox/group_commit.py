"""Group commit: the outcomes many lanes record at about the same time share one transaction.

Each lane's record is durable once its commit returns, as before; but 200 lanes finishing
together cost one commit instead of 200 (and on SQLite, one turn of the write lock instead of
200 writers queueing on it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from storage.uow import Database, UnitOfWork

log = logging.getLogger(__name__)

Write = Callable[[UnitOfWork], Awaitable[Any]]


class GroupCommit:
    """Runs writes in shared transactions, in the order they were asked for."""

    def __init__(self, db: Database, batch: int = 200) -> None:
        self.db = db
        self.batch = batch
        self._pending: list[tuple[Write, asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def run(self, write: Write) -> Any:
        """Carry out `write` in a transaction shared with others; returns once committed."""
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((write, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="outbox-group-commit")
        return await done

    async def drain(self) -> None:
        """Wait until every write asked for so far is committed (or has failed)."""
        if self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self.batch], self._pending[self.batch :]
            try:
                results = await self._together(batch)
            except Exception:  # one of them failed: each alone, so only it fails
                for write, done in batch:
                    await self._alone(write, done)
                continue
            for (_, done), result in zip(batch, results, strict=True):
                if not done.done():
                    done.set_result(result)

    async def _together(self, batch: list[tuple[Write, asyncio.Future[Any]]]) -> list[Any]:
        async with self.db.uow() as uow:
            results = [await write(uow) for write, _ in batch]
            await uow.commit()
        return results

    async def _alone(self, write: Write, done: asyncio.Future[Any]) -> None:
        try:
            async with self.db.uow() as uow:
                result = await write(uow)
                await uow.commit()
        except Exception as exc:
            if not done.done():
                done.set_exception(exc)
        else:
            if not done.done():
                done.set_result(result)
