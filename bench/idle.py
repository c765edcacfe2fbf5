"""CPU casebridge uses while nothing happens, with many chats waiting for an agent.

    .venv/bin/python bench/idle.py [--waiting 10000] [--seconds 30] [--repeat 3] [--db sqlite]

casebridge (portal, scheduler with its sweeps every SWEEP_INTERVAL_SECONDS, no Slack) runs in
its own process over a database holding `--waiting` unclaimed live chats, none of them due;
after a warm-up of two sweep intervals its CPU time (user + system, from /proc) is read over
`--seconds`, as a share of one core. The floor is a bare aiohttp server idling as long.
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from common import ROOT, emit, healthz_app, report, scratch_database
from sockets import free_port, seed_cases, wait_healthy

TICKS = os.sysconf("SC_CLK_TCK")
SWEEP_INTERVAL = 5.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def serve_casebridge(url: str, port: int) -> None:
    import logging

    from aiohttp import web

    from bridge.bootstrap import bootstrap
    from bridge.settings import Settings
    from bridge.web import create_app

    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    settings = Settings(
        _env_file=None,
        database_url=url,
        public_url=f"http://127.0.0.1:{port}",
        sweep_interval_seconds=SWEEP_INTERVAL,
    )
    web.run_app(
        create_app(bootstrap(settings)), host="127.0.0.1", port=port, access_log=None, print=None
    )


def serve_bare(port: int) -> None:
    from aiohttp import web

    app = healthz_app()
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


async def one_run(kind: str, waiting: int, seconds: float, db: str) -> dict[str, Any]:
    port = free_port()
    async with scratch_database(db) as url:
        if kind == "casebridge":
            await seed_cases(url, waiting)
            argv = [sys.executable, __file__, "--serve", url, str(port)]
        else:
            argv = [sys.executable, __file__, "--serve-bare", "", str(port)]
        child = await asyncio.create_subprocess_exec(*argv, cwd=ROOT)
        try:
            await wait_healthy(port, child)
            await asyncio.sleep(2 * SWEEP_INTERVAL)
            before = cpu_seconds(child.pid)
            await asyncio.sleep(seconds)
            used = cpu_seconds(child.pid) - before
        finally:
            child.terminate()
            try:
                await asyncio.wait_for(child.wait(), 15)
            except TimeoutError:
                child.kill()
                await child.wait()
    return {"cpu_pct": 100 * used / seconds}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    print(f"idle with {args.waiting} waiting chats, {args.seconds:g} s, on {args.db}")
    bare = [await one_run("bare", 0, args.seconds, args.db) for _ in range(args.repeat)]
    floor = report("bare aiohttp server", bare, ["cpu_pct"])
    ours = [
        await one_run("casebridge", args.waiting, args.seconds, args.db) for _ in range(args.repeat)
    ]
    figures = report("casebridge", ours, ["cpu_pct"])
    emit(
        {
            "bench": "idle",
            "db": args.db,
            "waiting": args.waiting,
            "cpu_pct": figures["cpu_pct"],
            "bare_cpu_pct": floor["cpu_pct"],
            "sweep_interval_s": SWEEP_INTERVAL,
            "repeats": args.repeat,
        }
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve_casebridge(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[3]))
    else:
        asyncio.run(main())
