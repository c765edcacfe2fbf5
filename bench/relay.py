"""Relay latency and throughput, customer → Slack thread and Slack thread → customer, for N
live chats each sending a message every few seconds, beside a bare aiohttp forward (the floor).

    .venv/bin/python bench/relay.py [--chats 1000] [--every 4] [--seconds 20] [--repeat 3]
                                    [--db sqlite|postgresql]

Runs casebridge's real app in this process (bolt over signed HTTP, the outbox deliverer)
against the local Slack with its rate limits lifted, so the figures are casebridge's own
overhead. Each chat's customer and agent each send one message every `--every` seconds
(open loop, staggered), for `--seconds`; every message is then awaited where it should land.
`lost` counts messages acknowledged to their sender that never arrived, `duplicated` those
that arrived twice. The floor sends the same messages at the same pace through client → A → B
on loopback. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web
from common import emit, percentile, report, scratch_database

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

SECRET = "bench-secret"
SETTLE = 60.0  # seconds to wait, after the last send, for the stragglers


class Arrivals:
    """When each text was sent and first arrived, and how often it arrived."""

    def __init__(self) -> None:
        self.sent: dict[str, float] = {}
        self.first: dict[str, float] = {}
        self.count: Counter[str] = Counter()
        self.all_in = asyncio.Event()

    def sending(self, text: str) -> None:
        self.sent[text] = time.perf_counter()

    def arrived(self, text: str) -> None:
        now = time.perf_counter()
        for line in text.split("\n"):
            if line in self.sent:
                self.count[line] += 1
                self.first.setdefault(line, now)
        if len(self.first) == len(self.sent):
            self.all_in.set()

    def latencies(self, prefix: str) -> list[float]:
        return [
            (self.first[t] - self.sent[t]) * 1000
            for t in self.sent
            if t.startswith(prefix) and t in self.first
        ]


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


async def paced(
    chats: int, every: float, seconds: float, send: Any, arrivals: Arrivals
) -> tuple[int, float]:
    """Each chat sends every `every` s for `seconds`, staggered; (acknowledged, elapsed)."""
    acknowledged = 0

    async def chat(n: int) -> None:
        nonlocal acknowledged
        await asyncio.sleep(every * n / chats)
        started = time.perf_counter()
        m = 0
        while time.perf_counter() - started < seconds:
            await send(n, m)
            acknowledged += 1
            m += 1
            await asyncio.sleep(max(0.0, started + m * every - time.perf_counter()))

    started = time.perf_counter()
    await asyncio.gather(*(chat(n) for n in range(chats)))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(arrivals.all_in.wait(), SETTLE)
    return acknowledged, time.perf_counter() - started


async def casebridge_run(db: str, chats: int, every: float, seconds: float) -> dict[str, Any]:
    arrivals = Arrivals()
    async with scratch_database(db) as url:
        slack = await SlackEmu(
            signing_secret=SECRET, channel_posts=None, tiers_enabled=False
        ).start()
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
            delivery=DeliveryPolicy(poll_interval=0.2, lease=timedelta(seconds=30)),
            pacing=ChannelPacing("10000 per second"),
        )
        runner, port = await serve(create_app(components))
        slack.deliver_to(f"http://127.0.0.1:{port}/slack/events")
        try:
            ctx = components.services
            await portals.create_portal(
                ctx, company="Bench", subdomain="bench", mode=Mode.BROADCAST, channel_id="C0SUPPORT"
            )
            await agents.ensure_agent(ctx, "UBOB", "bob")
            await agents.set_availability(ctx, "UBOB", True)
            opened = []
            for n in range(chats):
                request = NewCase(
                    subdomain="bench",
                    first_name="Ana",
                    last_name=f"L{n}",
                    email="ana@example.com",
                    question="help",
                )
                opened.append(await open_case(ctx, request))
            for case in opened:
                await casework.claim(ctx, case.case.id, "UBOB")
            references = {case.case.reference: case.case.id for case in opened}
            threads: dict[int, str] = {}

            def all_posted() -> bool:
                for message in slack.messages("C0SUPPORT"):
                    for reference, case_id in references.items():
                        if reference in message.text:
                            threads[case_id] = message.ts
                return len(threads) == len(references)

            await slack.wait_for(all_posted, timeout=300)

            async def customer_sends(n: int, m: int) -> None:
                text = f"c2s {n}/{m} {uuid.uuid4().hex[:6]}"
                arrivals.sending(text)
                await customer.post_customer_message(ctx, opened[n].token, text)

            async def agent_sends(n: int, m: int) -> None:
                text = f"s2c {n}/{m} {uuid.uuid4().hex[:6]}"
                arrivals.sending(text)
                await slack.user_posts(
                    "UBOB", "C0SUPPORT", text, thread_ts=threads[opened[n].case.id]
                )

            both = await asyncio.gather(
                paced(chats, every, seconds, customer_sends, arrivals),
                paced(chats, every, seconds, agent_sends, arrivals),
            )
            sent = sum(acknowledged for acknowledged, _ in both)
            elapsed = max(e for _, e in both)
        finally:
            await runner.cleanup()
            await slack.stop()
    c2s, s2c = arrivals.latencies("c2s"), arrivals.latencies("s2c")
    arrived = len(arrivals.first)
    return {
        "c2s_p50_ms": percentile(c2s, 50),
        "c2s_p99_ms": percentile(c2s, 99),
        "s2c_p50_ms": percentile(s2c, 50),
        "s2c_p99_ms": percentile(s2c, 99),
        "throughput_mps": arrived / elapsed,
        "lost": sent - arrived,
        "duplicated": sum(count - 1 for count in arrivals.count.values() if count > 1),
    }


async def floor_run(chats: int, every: float, seconds: float) -> dict[str, Any]:
    """The same pace through a bare aiohttp forward: client → A → B on loopback."""
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

    async def send(n: int, m: int) -> None:
        text = f"floor {n}/{m}"
        arrivals.sending(text)
        async with client.post(f"http://127.0.0.1:{forward_port}/", json={"text": text}):
            pass

    await paced(chats, every, seconds, send, arrivals)
    await client.close()
    await session.close()
    await forward_runner.cleanup()
    await sink_runner.cleanup()
    trips = arrivals.latencies("floor")
    return {"bare_p50_ms": percentile(trips, 50), "bare_p99_ms": percentile(trips, 99)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--every", type=float, default=4.0, help="seconds between messages")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    print(
        f"{args.chats} chats, a message every {args.every:g} s each way per chat, "
        f"for {args.seconds:g} s, on {args.db}"
    )
    floors, runs = [], []
    for _ in range(args.repeat):
        floors.append(await floor_run(args.chats, args.every, args.seconds))
        runs.append(await casebridge_run(args.db, args.chats, args.every, args.seconds))
    floor = report("bare aiohttp forward", floors, ["bare_p50_ms", "bare_p99_ms"])
    keys = ["c2s_p50_ms", "c2s_p99_ms", "s2c_p50_ms", "s2c_p99_ms", "throughput_mps"]
    figures = report("casebridge", runs, [*keys, "lost", "duplicated"])
    emit(
        {
            "bench": "relay",
            "chats": args.chats,
            "db": args.db,
            **{key: figures[key] for key in keys},
            "bare_p50_ms": floor["bare_p50_ms"],
            "bare_p99_ms": floor["bare_p99_ms"],
            "lost": sum(run["lost"] for run in runs),
            "duplicated": sum(run["duplicated"] for run in runs),
            "every_s": args.every,
            "repeats": args.repeat,
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
