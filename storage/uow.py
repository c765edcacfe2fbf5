"""The unit of work: one transaction, with every repository bound to it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.engine import READ_ONLY, PoolSize, create_engine
from storage.repositories.agents import AgentRepository
from storage.repositories.cases import CaseRepository
from storage.repositories.codes import CodeRepository
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

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.cases = CaseRepository(self.session)
        self.portals = PortalRepository(self.session)
        self.agents = AgentRepository(self.session)
        self.codes = CodeRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.processed = ProcessedEventRepository(self.session)
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
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()


class ReadUnitOfWork(UnitOfWork):
    """A transaction that only reads: it cannot commit, and on SQLite it never takes the
    write lock, so pages, lookups and sweeps' searches do not queue behind writers."""

    async def commit(self) -> None:
        raise TypeError("a read unit of work cannot commit; open db.uow() to write")


class Database:
    """The engine and the way to open units of work on it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.read_sessions = async_sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )

    @classmethod
    def from_url(cls, url: str, pool: PoolSize | None = None) -> Database:
        return cls(create_engine(url, pool))

    def uow(self) -> UnitOfWork:
        """A unit of work that may write (on SQLite it holds the write lock from its start)."""
        return UnitOfWork(self.sessions)

    def read(self) -> ReadUnitOfWork:
        """A unit of work that only reads (`async with db.read() as uow:`)."""
        return ReadUnitOfWork(self.read_sessions)

    async def dispose(self) -> None:
        await self.engine.dispose()
