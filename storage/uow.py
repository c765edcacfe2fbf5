"""The unit of work: one transaction, with every repository bound to it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Self

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.engine import NO_TRANSACTION, READ_ONLY, PoolSize, create_engine
from storage.repositories.agents import AgentRepository
from storage.repositories.attachments import AttachmentRepository
from storage.repositories.cases import CaseRepository
from storage.repositories.codes import CodeRepository
from storage.repositories.inbox import InboxRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.portals import PortalRepository
from storage.repositories.processed import ProcessedEventRepository


class UnitOfWork:
    """`async with db.uow() as uow: …; await uow.commit()`; leaving without commit rolls back."""

    cases: CaseRepository
    portals: PortalRepository
    agents: AgentRepository
    codes: CodeRepository
    outbox: OutboxRepository
    processed: ProcessedEventRepository
    inbox: InboxRepository
    attachments: AttachmentRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: asyncio.Lock | asyncio.Semaphore | None = None,
        wait: float | None = 30.0,
    ) -> None:
        self._sessions = sessions
        self._writer = writer
        self._wait = wait
        self._holding = False

    async def __aenter__(self) -> Self:
        if self._writer is not None:
            try:
                await asyncio.wait_for(self._writer.acquire(), self._wait)
            except TimeoutError:
                raise TimeoutError(f"no turn for this unit of work within {self._wait} s") from None
            self._holding = True
        self.session = self._sessions()
        self.cases = CaseRepository(self.session)
        self.portals = PortalRepository(self.session)
        self.agents = AgentRepository(self.session)
        self.codes = CodeRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.processed = ProcessedEventRepository(self.session)
        self.inbox = InboxRepository(self.session)
        self.attachments = AttachmentRepository(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.session.rollback()
        finally:
            try:
                await self.session.close()
            finally:
                self._release()

    def _release(self) -> None:
        if self._holding and self._writer is not None:
            self._holding = False
            self._writer.release()

    async def commit(self) -> None:
        await self.session.commit()
        # Committed: what follows (publishing, pushes) no longer keeps other writers waiting.
        self._release()


class ReadUnitOfWork(UnitOfWork):
    """A transaction that only reads: it cannot commit, and on SQLite it never takes the
    write lock, so pages, lookups and sweeps' searches do not queue behind writers."""

    async def commit(self) -> None:
        raise TypeError("a read unit of work cannot commit; open db.uow() to write")


class Database:
    """The engine and the way to open units of work on it."""

    def __init__(
        self, engine: AsyncEngine, write_wait: float = 30.0, pool_capacity: int = 40
    ) -> None:
        self.engine = engine
        self.write_wait = write_wait
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        # SQLite has one writer at a time. Writers of this process wait their turn here, in
        # order, instead of in SQLite's busy handler, which sleeps in steps of up to 100 ms
        # and let 20 concurrent intakes run at a fraction of what one would.
        self.writer = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        # Reads queue here, in memory, for a share of the pool: a storm of them (10,000
        # sockets connecting) can then never take every connection a writer needs, nor fail
        # on the pool's timeout while they wait.
        self.read_turns = asyncio.Semaphore(max(1, pool_capacity - 2))
        self.read_sessions = async_sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )

    @classmethod
    def from_url(cls, url: str, pool: PoolSize | None = None) -> Database:
        pool = pool or PoolSize()
        return cls(create_engine(url, pool), pool.write_turn_timeout, pool.size + pool.overflow)

    @property
    def writers_in_parallel(self) -> bool:
        """Whether several units of work of this process write at once (not on SQLite)."""
        return self.writer is None

    def uow(self) -> UnitOfWork:
        """A unit of work that may write (on SQLite it holds the write lock from its start)."""
        return UnitOfWork(self.sessions, self.writer, self.write_wait)

    def read(self) -> ReadUnitOfWork:
        """A unit of work that only reads (`async with db.read() as uow:`)."""
        return ReadUnitOfWork(self.read_sessions, self.read_turns, wait=None)

    async def flush_erasures(self, attempts: int = 3) -> bool:
        """SQLite: move the write-ahead log into the database file and empty it, so what an
        erasure overwrote is not left in the log. False if readers kept it from finishing."""
        if self.engine.dialect.name != "sqlite":
            return True  # PostgreSQL: VACUUM (autovacuum) reclaims dead rows
        for attempt in range(attempts):
            async with self.engine.connect() as connection:
                quiet = await connection.execution_options(**{NO_TRANSACTION: True})
                busy = (await quiet.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).first()
            if busy is not None and busy[0] == 0:
                return True
            await asyncio.sleep(0.05 * (attempt + 1))
        return False

    @contextlib.asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[bool]:
        """`async with db.exclusive("sweep:x") as mine:` — True for one holder across workers.

        PostgreSQL: a session advisory lock, held on its own connection for the block and
        released even if the holder's work fails; a worker killed with -9 loses it with its
        connection. SQLite serves one process, which always holds it.
        """
        if self.engine.dialect.name != "postgresql":
            yield True
            return
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        async with self.engine.connect() as connection:
            won = bool(
                (
                    await connection.execute(
                        text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
                    )
                ).scalar()
            )
            await connection.commit()
            try:
                yield won
            finally:
                if won:
                    await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    await connection.commit()

    async def dispose(self) -> None:
        await self.engine.dispose()
