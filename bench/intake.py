"""Cases opened per second through the intake service, beside the database's own floor.

    .venv/bin/python bench/intake.py [--cases 1000] [--concurrency 20] [--repeat 3]
                                     [--db sqlite,postgresql]

Queue mode (the one with a shared cursor), three available agents. The floor is what the
same database does with the same concurrency when each "case" is only its two INSERTs (the
case row and its first message) in one transaction: the rate no intake could beat. Ends with
one JSON line per database.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from common import emit, report, scratch_database

from bridge.core.routing import Mode
from bridge.services import agents, portals
from bridge.services.context import ServiceContext
from bridge.services.intake import NewCase, open_case
from storage.uow import Database


async def measure(url: str, cases: int, concurrency: int) -> float:
    """Cases per second opened through the service on the database at `url`."""
    ctx = ServiceContext(db=Database.from_url(url))
    try:
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
        return cases / (time.perf_counter() - started)
    finally:
        await ctx.db.dispose()


async def floor(url: str, cases: int, concurrency: int) -> float:
    """The same number of bare two-INSERT transactions per second."""
    from sqlalchemy import insert

    from storage.models import CaseRow, CompanyRow, MessageRow, PortalRow

    db = Database.from_url(url)
    now = datetime.now(UTC)
    try:
        async with db.uow() as uow:
            company = CompanyRow(name="Floor", created_at=now)
            uow.session.add(company)
            await uow.session.flush()
            portal = PortalRow(
                company_id=company.id, subdomain="floor", mode="queue", created_at=now
            )
            uow.session.add(portal)
            await uow.session.flush()
            portal_id = portal.id
            await uow.commit()
        remaining = iter(range(cases))

        async def worker() -> None:
            for n in remaining:
                async with db.uow() as uow:
                    row: dict[str, Any] = {
                        "portal_id": portal_id,
                        "token_hash": f"floor-{n}-{time.perf_counter_ns()}",
                        "type": "live_chat",
                        "status": "unassigned",
                        "first_name": "Ana",
                        "last_name": "Lima",
                        "email": "ana@example.com",
                        "question": "My printer is on fire",
                        "device": {"browser": "Firefox"},
                        "language": "en",
                        "created_at": now,
                    }
                    case_id = (
                        await uow.session.execute(insert(CaseRow).returning(CaseRow.id), row)
                    ).scalar_one()
                    await uow.session.execute(
                        insert(MessageRow),
                        {
                            "case_id": case_id,
                            "direction": "customer",
                            "author": "Ana Lima",
                            "text": "My printer is on fire",
                            "created_at": now,
                        },
                    )
                    await uow.commit()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return cases / (time.perf_counter() - started)
    finally:
        await db.dispose()


async def one_run(kind: str, cases: int, concurrency: int) -> dict[str, Any]:
    async with scratch_database(kind) as url:
        per_s = await measure(url, cases, concurrency)
    async with scratch_database(kind) as url:
        floor_per_s = await floor(url, cases, concurrency)
    return {"per_s": per_s, "floor_per_s": floor_per_s}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"opening {args.cases} queue-mode cases, {args.concurrency} at a time")
    for kind in args.db.split(","):
        try:
            runs = [await one_run(kind, args.cases, args.concurrency) for _ in range(args.repeat)]
        except OSError as exc:
            print(f"{kind}: skipped, server not answering ({exc})")
            continue
        figures = report(kind, runs, ["per_s", "floor_per_s"])
        emit(
            {
                "bench": "intake",
                "db": kind,
                "per_s": figures["per_s"],
                "concurrency": args.concurrency,
                "cases": args.cases,
                "floor_per_s": figures["floor_per_s"],
                "repeats": args.repeat,
            }
        )


if __name__ == "__main__":
    asyncio.run(main())
