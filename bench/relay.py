"""Relay latency, customer → Slack thread and Slack thread → customer, for N concurrent chats,
beside the same trip through a bare aiohttp forward on loopback (the floor).

    .venv/bin/python bench/relay.py [--chats 20] [--messages 5] [--db sqlite|postgresql]

Runs casebridge's real app (bolt over signed HTTP, outbox deliverer) against the local Slack
with its rate limits lifted, so the figures are casebridge's own overhead. A figure to compare
runs on the same machine, not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.bootstrap import bootstrap
from bridge.core.routing import Mode
from bridge.outbox.deliverer import DeliveryPolicy
from bridge.services import agents, casework, customer, portals
from bridge.services.intake import NewCase, open_case
from bridge.settings import Settings
from bridge.slack.calls import ChannelPacing
from bridge.web import create_app
from slackemu import SlackEmu
from slackemu.server import bound_port
from storage import migrate

SECRET = "bench-secret"
PG = "postgresql://postgres@127.0.0.1:5432"


class Arrivals:
    """Futures resolved when a given text arrives somewhere."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[float]] = {}

    def expect(self, text: str) -> asyncio.Future[float]:
        future = asyncio.get_running_loop().create_future()
        self.waiting[text] = future
        return future

    def arrived(self, text: str) -> None:
        for line in text.split("\n"):
            future = self.waiting.pop(line, None)
            if future is not None and not future.done():
                future.set_result(time.perf_counter())


class TimedPush:
    def __init__(self, arrivals: Arrivals) -> None:
        self.arrivals = arrivals

    async def push(self, case_id: int, kind: str, data: dict[str, Any]) -> None:
        if kind == "agent_message":
            self.arrivals.arrived(data["text"])


async def serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, bound_port(site)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": cut[49] * 1000, "p90": cut[89] * 1000, "p99": cut[98] * 1000}


async def timed(arrivals: Arrivals, text: str, send: Any) -> float:
    arrived = arrivals.expect(text)
    started = time.perf_counter()
    await send()
    return await asyncio.wait_for(arrived, 30) - started


async def casebridge_trips(url: str, chats: int, messages: int) -> tuple[list[float], list[float]]:
    arrivals = Arrivals()
    slack = await SlackEmu(signing_secret=SECRET, channel_posts=None, tiers_enabled=False).start()
    original = slack.record_call

    def record_call(method: str, params: Any, message: Any) -> None:
        original(method, params, message)
        if method == "chat.postMessage" and params.get("username"):
            arrivals.arrived(message.text)

    slack.record_call = record_call  # type: ignore[method-assign]
    settings = Settings(
        _env_file=None,
        database_url=url,
        slack_bot_token="xoxb-local",
        slack_signing_secret=SECRET,
        slack_api_url=slack.api_url,
    )
    components = bootstrap(
        settings,
        push=TimedPush(arrivals),
        delivery=DeliveryPolicy(poll_interval=0.2, lease=timedelta(seconds=10)),
        pacing=ChannelPacing("10000 per second"),
    )
    runner, port = await serve(create_app(components))
    slack.deliver_to(f"http://127.0.0.1:{port}/slack/events")
    ctx = components.services
    await portals.create_portal(
        ctx, company="Bench", subdomain="bench", mode=Mode.BROADCAST, channel_id="C0SUPPORT"
    )
    await agents.ensure_agent(ctx, "UBOB", "bob")
    await agents.set_availability(ctx, "UBOB", True)
    opened = [
        await open_case(
            ctx,
            NewCase(
                subdomain="bench",
                first_name="Ana",
                last_name=f"L{n}",
                email="ana@example.com",
                question="help",
            ),
        )
        for n in range(chats)
    ]
    for case in opened:
        await casework.claim(ctx, case.case.id, "UBOB")
    threads = {}
    for case in opened:
        message = await slack.wait_for(
            lambda c=case: next(
                (m for m in slack.messages("C0SUPPORT") if c.case.reference in m.text), None
            )
        )
        threads[case.case.id] = message.ts

    async def customer_side(case: Any) -> list[float]:
        out = []
        for n in range(messages):
            text = f"customer {case.case.id}/{n} {uuid.uuid4().hex[:6]}"
            out.append(
                await timed(
                    arrivals,
                    text,
                    lambda text=text: customer.post_customer_message(ctx, case.token, text),
                )
            )
        return out

    async def agent_side(case: Any) -> list[float]:
        out = []
        for n in range(messages):
            text = f"agent {case.case.id}/{n} {uuid.uuid4().hex[:6]}"
            out.append(
                await timed(
                    arrivals,
                    text,
                    lambda text=text: slack.user_posts(
                        "UBOB", "C0SUPPORT", text, thread_ts=threads[case.case.id]
                    ),
                )
            )
        return out

    to_slack = [x for r in await asyncio.gather(*(customer_side(c) for c in opened)) for x in r]
    to_customer = [x for r in await asyncio.gather(*(agent_side(c) for c in opened)) for x in r]
    await runner.cleanup()
    await slack.stop()
    return to_slack, to_customer


async def floor_trips(chats: int, messages: int) -> list[float]:
    """The same fan-in through a bare aiohttp forward: client → A → B on loopback."""
    arrivals = Arrivals()

    async def sink(request: web.Request) -> web.Response:
        arrivals.arrived((await request.json())["text"])
        return web.json_response({"ok": True})

    sink_app = web.Application()
    sink_app.router.add_post("/", sink)
    sink_runner, sink_port = await serve(sink_app)
    session = aiohttp.ClientSession()

    async def forward(request: web.Request) -> web.Response:
        async with session.post(f"http://127.0.0.1:{sink_port}/", json=await request.json()):
            return web.json_response({"ok": True})

    forward_app = web.Application()
    forward_app.router.add_post("/", forward)
    forward_runner, forward_port = await serve(forward_app)
    client = aiohttp.ClientSession()

    async def chat(n: int) -> list[float]:
        out = []
        for m in range(messages):
            text = f"floor {n}/{m}"

            async def send(text: str = text) -> None:
                async with client.post(f"http://127.0.0.1:{forward_port}/", json={"text": text}):
                    pass

            out.append(await timed(arrivals, text, send))
        return out

    trips = [x for r in await asyncio.gather(*(chat(n) for n in range(chats))) for x in r]
    await client.close()
    await session.close()
    await forward_runner.cleanup()
    await sink_runner.cleanup()
    return trips


async def database(kind: str) -> tuple[str, Any]:
    if kind == "sqlite":
        folder = tempfile.TemporaryDirectory()
        url = f"sqlite+aiosqlite:///{folder.name}/relay.db"
        await migrate.upgrade(url)
        return url, folder.cleanup
    admin = await asyncpg.connect(f"{PG}/postgres")
    name = f"casebridge_relay_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    await migrate.upgrade(url)

    async def drop() -> None:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    return url, drop


def show(label: str, samples: list[float], floor: dict[str, float] | None = None) -> None:
    p = percentiles(samples)
    line = f"{label:>22}: p50 {p['p50']:7.1f} ms  p90 {p['p90']:7.1f} ms  p99 {p['p99']:7.1f} ms"
    if floor:
        line += f"   ({p['p50'] / floor['p50']:.1f}x / {p['p90'] / floor['p90']:.1f}x the floor)"
    print(line)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    url, cleanup = await database(args.db)
    try:
        to_slack, to_customer = await casebridge_trips(url, args.chats, args.messages)
    finally:
        result = cleanup()
        if asyncio.iscoroutine(result):
            await result
    floor = percentiles(await floor_trips(args.chats, args.messages))
    print(f"{args.chats} concurrent chats × {args.messages} messages each, on {args.db}")
    print(
        f"{'bare aiohttp forward':>22}: p50 {floor['p50']:7.1f} ms  p90 {floor['p90']:7.1f} ms"
        f"  p99 {floor['p99']:7.1f} ms"
    )
    show("customer → Slack", to_slack, floor)
    show("Slack → customer", to_customer, floor)


if __name__ == "__main__":
    asyncio.run(main())
