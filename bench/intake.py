"""Opens N cases through the services as fast as it can and prints cases/s per database.

    .venv/bin/python bench/intake.py [--cases 500] [--concurrency 10] [--db sqlite,postgresql]

A figure to compare runs on the same machine, not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.core.routing import Mode
from bridge.services import agents, portals
from bridge.services.context import ServiceContext
from bridge.services.intake import NewCase, open_case
from storage import migrate
from storage.uow import Database

PG = "postgresql://postgres@127.0.0.1:5432"


async def measure(url: str, cases: int, concurrency: int) -> float:
    """Cases per second opened on the database at `url` (already migrated)."""
    ctx = ServiceContext(db=Database.from_url(url))
    await portals.create_portal(ctx, company="Bench", subdomain="bench", mode=Mode.QUEUE)
    for n in range(3):
        await agents.ensure_agent(ctx, f"UBENCH{n}", display_name=f"Agent {n}")
        await agents.set_availability(ctx, f"UBENCH{n}", True)
    request = NewCase(
        subdomain="bench",
        first_name="Ana",
        last_name="Lima",
        email="ana@example.com",
        question="My printer is on fire",
        device={"browser": "Firefox", "os": "Linux"},
    )
    remaining = iter(range(cases))

    async def worker() -> None:
        for _ in remaining:
            await open_case(ctx, request)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await ctx.db.dispose()
    return cases / elapsed


async def on_sqlite(cases: int, concurrency: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        await migrate.upgrade(url)
        return await measure(url, cases, concurrency)


async def on_postgresql(cases: int, concurrency: int) -> float | None:
    try:
        admin = await asyncpg.connect(f"{PG}/postgres", timeout=3)
    except Exception as exc:
        print(f"postgresql: skipped, server not answering at {PG} ({exc})")
        return None
    name = f"casebridge_bench_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
        await migrate.upgrade(url)
        return await measure(url, cases, concurrency)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"opening {args.cases} queue-mode cases, {args.concurrency} at a time")
    for backend in args.db.split(","):
        runner = on_sqlite if backend == "sqlite" else on_postgresql
        rate = await runner(args.cases, args.concurrency)
        if rate is not None:
            print(f"{backend:>10}: {rate:8.1f} cases/s")


if __name__ == "__main__":
    asyncio.run(main())
