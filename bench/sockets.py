"""Idle customer sockets: how many connect, how fast, and the server memory each one costs.

    .venv/bin/python bench/sockets.py [--sockets 10000] [--clients 4] [--repeat 3] [--db sqlite]

Real `socket.io-client` connections (the portal's own client package) opened from several
node processes against casebridge's portal running in its own process, each with its own
case's token, beside the same connections to a bare python-socketio server on aiohttp (the
floor). RSS is the server process's resident memory: before, with every socket connected, and
after every socket has gone again: `returned_pct` is the share of the growth given back to
the system, `reused_pct` the share a second wave of the same customers finds free again
inside the process (CPython keeps freed memory for reuse rather than returning it). Ends with
one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from common import ROOT, emit, healthz_app, report, scratch_database

CLIENT = ROOT / "bench" / "socket_clients.js"
NODE_PATH = ROOT / "portal" / "node_modules"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


# --- the servers (run as this script's child process) -----------------------------------


def serve_casebridge(url: str, port: int) -> None:
    import logging

    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # "skipped" sweeps are figures too
    from aiohttp import web

    from bridge.bootstrap import bootstrap
    from bridge.settings import Settings
    from bridge.web import create_app

    settings = Settings(
        _env_file=None,
        database_url=url,
        public_url=f"http://127.0.0.1:{port}",
        trusted_proxies="127.0.0.1",
    )
    web.run_app(
        create_app(bootstrap(settings)),
        host="127.0.0.1",
        port=port,
        access_log=None,
        print=None,
        backlog=4096,
    )


def serve_bare(port: int) -> None:
    import socketio
    from aiohttp import web

    server = socketio.AsyncServer(async_mode="aiohttp")

    @server.on("connect", namespace="/chat")  # type: ignore[untyped-decorator]
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await server.enter_room(sid, f"case:{sid}", namespace="/chat")

    app = healthz_app()
    server.attach(app)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, backlog=4096)


# --- the measurement ---------------------------------------------------------------------


async def seed_cases(url: str, count: int) -> list[str]:
    """`count` waiting live chats on one portal, inserted in bulk; returns their tokens."""
    from sqlalchemy import insert

    from bridge.core.routing import Mode
    from bridge.core.tokens import hash_token
    from bridge.services import portals
    from bridge.services.context import ServiceContext
    from storage.models import CaseRow
    from storage.uow import Database

    db = Database.from_url(url)
    ctx = ServiceContext(db=db)
    portal = await portals.create_portal(ctx, company="Bench", subdomain="bench", mode=Mode.BUTTON)
    tokens = [f"bench-socket-{n}-{os.urandom(8).hex()}" for n in range(count)]
    now = datetime.now(UTC)
    rows = [
        {
            "portal_id": portal.id,
            "token_hash": hash_token(token),
            "type": "live_chat",
            "status": "unassigned",
            "first_name": "Ana",
            "last_name": f"L{n}",
            "email": "ana@example.com",
            "question": "",
            "device": {},
            "language": "en",
            "created_at": now,
            "customer_connected": True,
            "chat_ended": False,
            "queued": False,
        }
        for n, token in enumerate(tokens)
    ]
    async with db.engine.begin() as connection:
        for start in range(0, len(rows), 2000):
            await connection.execute(insert(CaseRow), rows[start : start + 2000])
    await db.dispose()
    return tokens


async def wait_healthy(port: int, child: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if child.returncode is not None:
                raise RuntimeError("the server process exited during start-up")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not answer /healthz within 60 s")


async def settled_rss(pid: int, limit: float = 20.0) -> int:
    """RSS once it stops falling (the server has let the sockets go), or after `limit` s."""
    deadline = time.monotonic() + limit
    last = rss_kb(pid)
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        now = rss_kb(pid)
        if now >= last - 64:
            return now
        last = now
    return last


async def drive(port: int, tokens: list[str], clients: int, folder: str) -> dict[str, Any]:
    """Connect every token from `clients` node processes; returns counts and seconds."""
    slices = [tokens[n::clients] for n in range(clients)]
    processes = []
    for n, part in enumerate(slices):
        path = Path(folder) / f"tokens-{n}.txt"
        path.write_text("\n".join(part) + "\n")
        processes.append(
            await asyncio.create_subprocess_exec(
                "node",
                str(CLIENT),
                f"http://127.0.0.1:{port}",
                str(path),
                str(n),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env={**os.environ, "NODE_PATH": str(NODE_PATH)},
            )
        )
    started = time.perf_counter()
    outcomes = [await p.stdout.readline() for p in processes]  # type: ignore[union-attr]
    seconds = time.perf_counter() - started
    import json

    counts = [json.loads(line) for line in outcomes]
    return {
        "processes": processes,
        "connected": sum(c["connected"] for c in counts),
        "refused": sum(c["refused"] for c in counts),
        "failed": sum(c["failed"] for c in counts),
        "seconds": seconds,
    }


async def close_all(processes: list[Any]) -> None:
    for process in processes:
        process.stdin.write(b"close\n")
        await process.stdin.drain()
    for process in processes:
        await process.wait()


async def one_run(kind: str, sockets: int, clients: int, db: str) -> dict[str, Any]:
    """One server process, `sockets` connections in, all out again."""
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        async with scratch_database(db) as url:
            if kind == "casebridge":
                tokens = await seed_cases(url, sockets)
                argv = [sys.executable, __file__, "--serve", url, str(port)]
            else:
                tokens = [f"bare-{n}" for n in range(sockets)]
                argv = [sys.executable, __file__, "--serve-bare", "", str(port)]
            child = await asyncio.create_subprocess_exec(*argv, cwd=ROOT)
            try:
                await wait_healthy(port, child)
                # Warm up (imports, first allocations) with a few sockets, then measure.
                warm = await drive(port, tokens[: min(50, sockets)], 1, folder)
                await close_all(warm["processes"])
                before = await settled_rss(child.pid)
                result = await drive(port, tokens, clients, folder)
                peak = rss_kb(child.pid)
                await close_all(result["processes"])
                after = await settled_rss(child.pid)
                # The same customers again: memory the first wave left behind is reused.
                again = await drive(port, tokens, clients, folder)
                peak_again = rss_kb(child.pid)
                await close_all(again["processes"])
            finally:
                child.terminate()
                try:
                    await asyncio.wait_for(child.wait(), 15)
                except TimeoutError:
                    child.kill()
                    await child.wait()
    grown = max(peak - before, 0)
    return {
        "attempted": sockets,
        "connected": result["connected"],
        "refused": result["refused"],
        "failed": result["failed"],
        "seconds": round(result["seconds"], 2),
        "rss_per_socket_kb": round(grown / max(result["connected"], 1), 1),
        "rss_before_mb": round(before / 1024, 1),
        "rss_peak_mb": round(peak / 1024, 1),
        "rss_after_mb": round(after / 1024, 1),
        "returned_pct": round(100 * (peak - after) / grown, 1) if grown else 100.0,
        "reused_pct": round(100 * (1 - max(peak_again - after, 0) / grown), 1) if grown else 100.0,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4, help="node client processes")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    keys = ["connected", "refused", "failed", "seconds", "rss_per_socket_kb", "returned_pct"]
    keys += ["reused_pct"]
    keys += ["rss_before_mb", "rss_peak_mb", "rss_after_mb"]
    print(f"{args.sockets} idle sockets from {args.clients} node processes, on {args.db}")
    bare = [await one_run("bare", args.sockets, args.clients, args.db) for _ in range(args.repeat)]
    floor = report("bare python-socketio on aiohttp", bare, keys)
    ours = [
        await one_run("casebridge", args.sockets, args.clients, args.db) for _ in range(args.repeat)
    ]
    figures = report("casebridge portal", ours, keys)
    emit(
        {
            "bench": "sockets",
            "db": args.db,
            "attempted": args.sockets,
            "connected": figures["connected"],
            "refused": figures["refused"],
            "failed": figures["failed"],
            "seconds": figures["seconds"],
            "rss_per_socket_kb": figures["rss_per_socket_kb"],
            "returned_pct": figures["returned_pct"],
            "reused_pct": figures["reused_pct"],
            "bare_seconds": floor["seconds"],
            "bare_rss_per_socket_kb": floor["rss_per_socket_kb"],
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
