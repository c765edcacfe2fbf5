"""One installation, several workers — or exactly one, when nothing is shared between them.

SQLite serves one process: a second `casebridge run` on the same file is refused (a lock
file beside it). On PostgreSQL, workers that share state through Redis hold a shared
advisory lock for their lifetime; a worker without Redis (in-process state) needs it
exclusively. So mixing them, or running two without Redis, is refused at start, in one line,
instead of silently losing pushes and limits. A worker killed with -9 releases its lock with
its connection.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.uow import Database

_INSTALLATION_KEY = 0x6361_7365_6272_6467  # "casebrdg": one key for every worker


class WorkerSlotTaken(Exception):
    """Another process holds what this one needs; the message says what to do."""


class WorkerSlot:
    """Held from start to stop of one `casebridge run` process."""

    def __init__(self) -> None:
        self._file: IO[str] | None = None
        self._connection: AsyncConnection | None = None

    async def acquire(self, db: Database, shares_state: bool) -> None:
        """Take this worker's place, or raise WorkerSlotTaken with the one line to show."""
        if db.engine.dialect.name == "sqlite":
            self._lock_sqlite_file(str(db.engine.url))
            return
        connection = await db.engine.connect()
        function = "pg_try_advisory_lock_shared" if shares_state else "pg_try_advisory_lock"
        won = (
            await connection.execute(text(f"SELECT {function}(:key)"), {"key": _INSTALLATION_KEY})
        ).scalar()
        await connection.commit()
        if not won:
            await connection.close()
            raise WorkerSlotTaken(
                "another casebridge worker without REDIS_URL is running on this database"
                if shares_state
                else "other casebridge workers are running on this database: set the same "
                "REDIS_URL on every worker (pushes and limits are shared through it)"
            )
        self._connection = connection

    def _lock_sqlite_file(self, url: str) -> None:
        database = make_url(url).database
        if not database or database == ":memory:":
            return
        lock_path = Path(database).with_name(Path(database).name + ".lock")
        handle = lock_path.open("w")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise WorkerSlotTaken(
                f"another casebridge process is serving {database}: SQLite serves one process "
                "(for several workers use PostgreSQL and REDIS_URL)"
            ) from None
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    async def release(self) -> None:
        """Give the place back (a crash gives it back too)."""
        if self._connection is not None:
            await self._connection.close()
            self._connection = None
        if self._file is not None:
            self._file.close()
            self._file = None
