"""Case intake and customer → Slack relay with 1, 2 and 3 `casebridge run` workers on
PostgreSQL and Redis, against the local Slack, printing the speed-up over one worker.

    .venv/bin/python bench/scale.py [--workers 1,2,3] [--cases 300] [--messages 300]
                                    [--concurrency 30] [--repeat 3] [--quick]

Real processes on loopback: each worker is `python -m bridge run` on its own port; clients
spread round-robin over them (what a balancer does). Intake: cases opened over HTTP per
second. Relay: customer messages sent over Socket.IO per second, counted once every one of
them is in its Slack thread (so the outbox's delivery is included). The baseline is the same
run with one worker. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from common import emit, report, scratch_database

from bridge.core.routing import Mode
from bridge.services import agents, portals
from bridge.services.context import ServiceContext
from slackemu import SlackEmu
from storage.uow import Database

SECRET = "bench-scale-secret"
SENT = re.compile(r"\bm\d+-\d+\b")
REDIS = os.environ.get("CASEBRIDGE_BENCH_REDIS", "redis://127.0.0.1:6379/14")


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def worker(env: dict[str, str], folder: Path) -> AsyncIterator[str]:
    port = _port()
    log = (Path(os.environ.get("CASEBRIDGE_BENCH_LOGS", folder)) / f"worker-{port}.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bridge", "run", f"--port={port}",
        env=env, cwd=folder, stdout=log, stderr=log,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http, asyncio.timeout(60):
            while True:
                try:
                    async with http.get(f"{url}/healthz") as answer:
                        if answer.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if process.returncode is not None:
                    raise RuntimeError(f"worker stopped; see {log.name}")
                await asyncio.sleep(0.1)
        yield url
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
        log.close()


async def one_run(workers: int, cases: int, messages: int, concurrency: int) -> dict[str, Any]:
    async with AsyncExitStack() as stack:
        url = await stack.enter_async_context(scratch_database("postgresql"))
        slack = await SlackEmu(
            signing_secret=SECRET, tiers_enabled=False, channel_posts=None
        ).start()
        stack.push_async_callback(slack.stop)
        ctx = ServiceContext(db=Database.from_url(url))
        await portals.create_portal(
            ctx, company="Bench", subdomain="bench", mode=Mode.BROADCAST, channel_id="C0SUPPORT"
        )
        await agents.ensure_agent(ctx, "UBOB", "Bob")
        await agents.set_availability(ctx, "UBOB", True)
        await ctx.db.dispose()
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE"))},
            "DATABASE_URL": url,
            "REDIS_URL": REDIS,
            "SLACK_BOT_TOKEN": "xoxb-local",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "PUBLIC_URL": "http://localhost:1",
            # The bench stands where a balancer would: it names each client's own address.
            "TRUSTED_PROXIES": "127.0.0.1/32",
        }
        urls = [await stack.enter_async_context(worker(env, folder)) for _ in range(workers)]
        slack.deliver_to(f"{urls[0]}/slack/events")
        intake, chats = await open_cases(urls, cases, concurrency)
        relay = await relay_messages(slack, urls, chats, messages)
        return {"intake_per_s": intake, "relay_mps": relay}


def client_address(n: int) -> str:
    """A distinct documentation-range address per simulated customer."""
    return f"198.51.{100 + n // 250}.{n % 250 + 1}"


async def open_cases(
    urls: list[str], cases: int, concurrency: int
) -> tuple[float, list[tuple[str, str]]]:
    """Cases per second over HTTP, spread over the workers; (worker, token) of each case."""
    spread = itertools.cycle(urls)
    opened: list[tuple[str, str]] = []
    remaining = iter(range(cases))
    body = {"first_name": "Ana", "last_name": "Lima", "email": "ana@example.com",
            "question": "My printer is on fire"}  # fmt: skip

    async def client(http: aiohttp.ClientSession) -> None:
        for n in remaining:
            base = next(spread)
            headers = {"X-Forwarded-For": client_address(n)}
            async with http.post(f"{base}/p/bench/cases", json=body, headers=headers) as answer:
                if answer.status == 201:
                    opened.append((base, (await answer.json())["token"]))

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        took = time.perf_counter() - started
    return len(opened) / took, opened


async def relay_messages(
    slack: SlackEmu, urls: list[str], chats: list[tuple[str, str]], messages: int
) -> float:
    """Customer messages per second, until every one is in its Slack thread."""
    sockets: list[socketio.AsyncClient] = []
    chosen = chats[: max(1, min(len(chats), 50))]
    for n, (base, token) in enumerate(chosen):
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(
            base,
            auth={"token": token},
            namespaces=["/chat"],
            transports=["websocket"],
            headers={"X-Forwarded-For": client_address(n)},
            wait_timeout=15,
        )
        sockets.append(client)
    started = time.perf_counter()
    per_socket = max(1, messages // len(sockets))

    async def talk(client: socketio.AsyncClient, n: int) -> None:
        for m in range(per_socket):
            await client.call("send", {"text": f"m{n}-{m}", "client_id": f"{n}-{m}"},
                              namespace="/chat", timeout=30)  # fmt: skip

    await asyncio.gather(*(talk(c, n) for n, c in enumerate(sockets)))
    total = per_socket * len(sockets)

    def posted() -> int:
        # Customer lines may be coalesced into one post and framed as the customer's.
        return len(
            {
                line
                for thread in slack.workspace.messages.values()
                for message in thread
                for line in SENT.findall(message.text)
            }
        )

    await slack.wait_for(lambda: posted() >= total, timeout=120)
    took = time.perf_counter() - started
    for client in sockets:
        await client.disconnect()
    return total / took


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", default="1,2,3")
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a short run (1 and 2 workers)")
    args = parser.parse_args()
    if args.quick:
        args.workers, args.cases, args.messages, args.repeat = "1,2", 60, 60, 1
    counts = [int(n) for n in args.workers.split(",")]
    figures: dict[str, Any] = {"bench": "scale", "db": "postgresql"}
    for count in counts:
        runs = [
            await one_run(count, args.cases, args.messages, args.concurrency)
            for _ in range(args.repeat)
        ]
        medians = report(f"{count} worker(s)", runs, ["intake_per_s", "relay_mps"])
        figures[f"intake_per_s_{count}"] = medians["intake_per_s"]
        figures[f"relay_mps_{count}"] = medians["relay_mps"]
    base_intake, base_relay = (
        figures[f"intake_per_s_{counts[0]}"],
        figures[f"relay_mps_{counts[0]}"],
    )
    for count in counts[1:]:
        figures[f"intake_speedup_{count}"] = round(
            figures[f"intake_per_s_{count}"] / base_intake, 2
        )
        figures[f"relay_speedup_{count}"] = round(figures[f"relay_mps_{count}"] / base_relay, 2)
        print(
            f"{count} workers: intake ×{figures[f'intake_speedup_{count}']}, "
            f"relay ×{figures[f'relay_speedup_{count}']} (over {counts[0]})"
        )
    emit(figures)


if __name__ == "__main__":
    asyncio.run(main())
