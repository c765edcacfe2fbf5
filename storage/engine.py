"""Engine set-up for SQLite (file, WAL) and PostgreSQL (asyncpg)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# Execution option marking a connection whose transactions only read (see _on_begin).
READ_ONLY = "casebridge_read_only"
NO_TRANSACTION = "casebridge_no_transaction"


@dataclass(frozen=True)
class PoolSize:
    """How many connections one process keeps (size) and may add under load (overflow)."""

    size: int = 20
    overflow: int = 20
    timeout: float = 30.0  # seconds a unit of work waits for a free connection
    busy_timeout: float = 30.0  # SQLite: seconds a writer waits for another process's lock
    # SQLite: seconds a writer waits for its turn among this process's writers. Long: under
    # overload a write that waits is slow, one that gives up may be work Slack was told we have.
    write_turn_timeout: float = 300.0


def create_engine(url: str, pool: PoolSize | None = None, **kwargs: Any) -> AsyncEngine:
    """An async engine tuned for the backend named by `url`, its pool sized by `pool`."""
    pool = pool or PoolSize()
    sizing = {"pool_size": pool.size, "max_overflow": pool.overflow, "pool_timeout": pool.timeout}
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        engine = create_async_engine(
            url,
            connect_args={"timeout": pool.busy_timeout},
            **({} if memory else sizing),
            **kwargs,
        )
        _tune_sqlite(engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True, **sizing, **kwargs)


def _tune_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten with zeros, not left readable in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(NO_TRANSACTION):
            return  # a statement SQLite refuses inside a transaction (a checkpoint)
        if conn.get_execution_options().get(READ_ONLY):
            # Under WAL a deferred transaction that only reads sees a snapshot and never
            # waits for, nor holds up, the one writer.
            conn.exec_driver_sql("BEGIN")
            return
        # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY
        # when another writer got in between; taking the write lock up front makes
        # concurrent writers queue on busy_timeout instead.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
