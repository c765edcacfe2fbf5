"""The unit of work: one transaction, with every repository bound to it."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.engine import create_engine
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

    async def __aenter__(self) -> UnitOfWork:
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


class Database:
    """The engine and the way to open units of work on it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(create_engine(url))

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)

    async def dispose(self) -> None:
        await self.engine.dispose()
