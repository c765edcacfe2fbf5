"""What every benchmark shares: scratch databases, percentiles, repeats and the one JSON line."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from storage import migrate  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432"


@asynccontextmanager
async def scratch_database(kind: str) -> Any:
    """A migrated, empty database (`sqlite` or `postgresql`), removed afterwards; yields its URL."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/bench.db"
            await migrate.upgrade(url)
            yield url
        return
    admin = await asyncpg.connect(f"{PG}/postgres", timeout=5)
    name = f"casebridge_bench_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
        await migrate.upgrade(url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def percentile(samples: Sequence[float], q: int) -> float:
    """The q-th percentile (inclusive method), or NaN without samples."""
    if len(samples) < 2:
        return samples[0] if samples else float("nan")
    return statistics.quantiles(sorted(samples), n=100, method="inclusive")[q - 1]


def spread(values: Sequence[float]) -> str:
    """min / median / max of one figure over the repeats."""
    return (
        f"min {min(values):9.2f}  median {statistics.median(values):9.2f}  max {max(values):9.2f}"
    )


def report(label: str, runs: Sequence[dict[str, Any]], keys: Sequence[str]) -> dict[str, Any]:
    """Print each figure's min/median/max over the runs; return the medians."""
    print(f"{label}: {len(runs)} run(s)")
    medians: dict[str, Any] = {}
    for key in keys:
        values = [run[key] for run in runs if run.get(key) is not None]
        if not values:
            medians[key] = None
            continue
        print(f"  {key:>22}: {spread(values)}")
        medians[key] = round(statistics.median(values), 2)
    return medians


async def repeat(times: int, run: Callable[[], Awaitable[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Run one measurement `times` times, one after the other."""
    return [await run() for _ in range(times)]


def emit(figures: dict[str, Any]) -> None:
    """The benchmark's last line: its figures as one JSON object."""
    print(json.dumps(figures), flush=True)


def healthz_app() -> Any:
    """A bare aiohttp application answering /healthz: the floor a benchmark compares with."""
    from aiohttp import web

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    return app


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(main())
