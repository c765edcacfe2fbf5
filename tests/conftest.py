"""Shared fixtures: databases on SQLite and PostgreSQL, a hand-wound clock, a recording bus."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text

from bridge.clock import FakeClock
from bridge.core.events import Event
from bridge.services.context import EventBus, Policies, ServiceContext
from storage import migrate
from storage.models import Base
from storage.uow import Database, UnitOfWork

pytest_plugins = ["tests.browser", "tests.imap_server"]

PG_HOST = os.environ.get("CASEBRIDGE_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
BACKENDS = ("sqlite", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default=os.environ.get("CASEBRIDGE_TEST_DATABASES", "sqlite,postgresql"),
        help="comma-separated database backends to run storage tests on (sqlite,postgresql)",
    )


def _selected(config: pytest.Config) -> list[str]:
    chosen = [b.strip() for b in str(config.getoption("--db")).split(",") if b.strip()]
    unknown = set(chosen) - set(BACKENDS)
    if unknown:
        raise pytest.UsageError(f"--db: unknown backend(s) {sorted(unknown)}; use {BACKENDS}")
    return chosen


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", _selected(metafunc.config), scope="session")


async def _postgres_answers() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        connection = await asyncpg.connect(f"{PG_HOST}/postgres", timeout=3)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    await connection.close()
    return None


@pytest.fixture(scope="session")
async def database_url(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated, empty database of the backend under test, dropped at the end."""
    if backend == "sqlite":
        path = Path(tmp_path_factory.mktemp("sqlite")) / "casebridge.db"
        url = f"sqlite+aiosqlite:///{path}"
        await migrate.upgrade(url)
        yield url
        return
    why = await _postgres_answers()
    if why is not None:
        pytest.skip(f"PostgreSQL is not answering at {PG_HOST} ({why}): PostgreSQL run skipped")
    async with new_postgres_database("casebridge_test") as url:
        yield url


@asynccontextmanager
async def new_postgres_database(prefix: str) -> AsyncIterator[str]:
    """A migrated, empty PostgreSQL database of its own, dropped when the block ends."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(f"{PG_HOST}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_HOST.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    try:
        await migrate.upgrade(url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _empty(database: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY"))
        else:
            for table in tables:
                await connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The backend's database, emptied before the test."""
    database = Database.from_url(database_url)
    await _empty(database)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@dataclass
class RecordingBus:
    """Records what the services staged (inside the transaction) and published (after it)."""

    staged: list[Event] = field(default_factory=list)
    published: list[Event] = field(default_factory=list)

    async def stage(self, _uow: UnitOfWork, events: Sequence[Event]) -> None:
        self.staged.extend(events)

    async def publish(self, events: Sequence[Event]) -> None:
        self.published.extend(events)

    def of_type(self, kind: type[Event]) -> list[Event]:
        return [e for e in self.published if isinstance(e, kind)]


@pytest.fixture
def recorder() -> RecordingBus:
    return RecordingBus()


@pytest.fixture
def ctx(db: Database, clock: FakeClock, recorder: RecordingBus) -> ServiceContext:
    """Services wired to the test database, the fake clock and the recording bus."""
    bus = EventBus(staging=[recorder.stage], published=[recorder.publish])
    return ServiceContext(
        db=db,
        clock=clock,
        bus=bus,
        policies=Policies(max_codes_per_agent=8, admins=frozenset({"UADMIN"})),
    )
