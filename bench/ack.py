"""How fast Slack gets its ack when agents click buttons and run /casebridge at a steady rate.

    .venv/bin/python bench/ack.py [--rate 200] [--seconds 10] [--repeat 3] [--db sqlite]

casebridge runs in its own process (bolt over signed HTTP) against the local Slack with
Slack's method tiers on; this process plays Slack, sending signed `block_actions` (agents
pressing "Assign to me" on the open cases, most of them too late) and `/casebridge cases`
commands at `--rate` per second, open loop, by many different agents. Slack gives an app 3 s
to answer; a late or missing ack is what agents see as an error. The floor is the same signed
POSTs, at the same rate, answered by a bare aiohttp forward (receive, forward on loopback, 200).
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import socket
import sys
import time
from collections import Counter
from typing import Any

import aiohttp
from aiohttp import web
from common import ROOT, emit, percentile, report, scratch_database

SECRET = "bench-ack-secret"
AGENTS = 60
CASES = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_casebridge(url: str, port: int, api_url: str) -> None:
    import logging

    from bridge.bootstrap import bootstrap
    from bridge.settings import Settings
    from bridge.web import create_app

    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    settings = Settings(
        _env_file=None,
        database_url=url,
        slack_bot_token="xoxb-local",
        slack_signing_secret=SECRET,
        slack_api_url=api_url,
        public_url=f"http://127.0.0.1:{port}",
    )
    web.run_app(
        create_app(bootstrap(settings)),
        host="127.0.0.1",
        port=port,
        access_log=None,
        print=None,
        backlog=4096,
    )


async def seed(url: str, api_url: str) -> None:
    """A broadcast portal posting into #support, with CASES open cases waiting for a claim."""
    from bridge.bootstrap import bootstrap
    from bridge.core.routing import Mode
    from bridge.services import portals
    from bridge.services.intake import NewCase, open_case
    from bridge.settings import Settings

    settings = Settings(
        _env_file=None,
        database_url=url,
        slack_bot_token="xoxb-local",
        slack_signing_secret=SECRET,
        slack_api_url=api_url,
    )
    components = bootstrap(settings)
    ctx = components.services
    await portals.create_portal(
        ctx, company="Bench", subdomain="bench", mode=Mode.BROADCAST, channel_id="C0SUPPORT"
    )
    for n in range(CASES):
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
    await components.db.dispose()


async def start_child(argv: list[str], port: int) -> asyncio.subprocess.Process:
    child = await asyncio.create_subprocess_exec(*argv, cwd=ROOT)
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if child.returncode is not None:
                raise RuntimeError("the server process exited during start-up")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return child
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the server did not answer /healthz within 60 s")


async def stop_child(child: asyncio.subprocess.Process) -> None:
    child.terminate()
    try:
        await asyncio.wait_for(child.wait(), 15)
    except TimeoutError:
        child.kill()
        await child.wait()


async def paced(rate: float, seconds: float, one: Any) -> tuple[list[float], Counter[str]]:
    """Start `one(n)` every 1/rate s for `seconds` (open loop); their latencies and statuses."""
    latencies: list[float] = []
    statuses: Counter[str] = Counter()

    async def timed(n: int) -> None:
        started = time.perf_counter()
        status = await one(n)
        statuses[status] += 1
        if status == "200":
            latencies.append((time.perf_counter() - started) * 1000)

    tasks = []
    start = time.perf_counter()
    total = int(rate * seconds)
    for n in range(total):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(timed(n)))
    await asyncio.gather(*tasks)
    return latencies, statuses


def status_of(outcome: Any) -> str:
    return str(outcome.status) if outcome.status is not None else "timeout"


async def casebridge_run(db: str, rate: float, seconds: float) -> dict[str, Any]:
    from bridge.slack.actions import CLAIM
    from slackemu import SlackEmu, payloads
    from slackemu.delivery import INTERACTIVE
    from slackemu.emulator import find_element
    from slackemu.state import User

    port = free_port()
    slack = await SlackEmu(
        signing_secret=SECRET,
        app_url=f"http://127.0.0.1:{port}/slack/events",
        retry_delays=(),
        channel_posts="100 per 2 seconds",
    ).start()
    agents = [f"UAGENT{n:03d}" for n in range(AGENTS)]
    for n, agent in enumerate(agents):
        slack.workspace.add_user(
            User(
                agent,
                f"agent{n}",
                f"Agent {n}",
                f"agent{n}@example.com",
                display_name=f"A{n}",
                team=slack.workspace.team,
            )
        )
        slack.workspace.channels["C0SUPPORT"].members.add(agent)
    try:
        async with scratch_database(db) as url:
            await seed(url, slack.api_url)
            child = await start_child(
                [sys.executable, __file__, "--serve", url, str(port), slack.api_url], port
            )
            try:
                await slack.wait_for(lambda: len(slack.messages("C0SUPPORT")) >= CASES, timeout=60)
                cases = slack.messages("C0SUPPORT")
                # The case messages as first posted: most clicks land on a button that has
                # just been taken, as in a busy channel where everyone reaches for the case.
                snapshots = [copy.deepcopy(m) for m in cases[:CASES]]
                channel = slack.workspace.channels["C0SUPPORT"]

                async def click(n: int) -> str:
                    agent = slack.workspace.user(agents[n % AGENTS])
                    message = snapshots[n % CASES]
                    block_id, element = find_element(message.blocks, CLAIM)
                    payload = payloads.block_action(
                        agent,
                        element,
                        block_id=block_id,
                        trigger_id=slack.new_trigger(agent.id),
                        response_url=slack.new_response_url(
                            user=agent.id, channel=channel.id, message_ts=message.ts
                        ),
                        message=message,
                        channel=channel,
                        selected=None,
                    )
                    return status_of(await slack.deliver(INTERACTIVE, payload))

                async def command(n: int) -> str:
                    agent = agents[n % AGENTS]
                    return status_of(await slack.user_runs(agent, "C0SUPPORT", "/casebridge cases"))

                buttons, button_statuses = await paced(rate, seconds, click)
                commands, command_statuses = await paced(rate, seconds, command)
            finally:
                await stop_child(child)
    finally:
        await slack.stop()
    return {
        "button_p50_ms": percentile(buttons, 50),
        "button_p99_ms": percentile(buttons, 99),
        "command_p50_ms": percentile(commands, 50),
        "command_p99_ms": percentile(commands, 99),
        "status_counts": {
            "buttons": dict(button_statuses),
            "commands": dict(command_statuses),
        },
    }


async def bare_run(rate: float, seconds: float) -> dict[str, Any]:
    """The same signed form POSTs through a bare aiohttp forward: POST → A → B → 200."""
    from slackemu.delivery import HttpDelivery

    async def sink(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="")

    sink_app = web.Application()
    sink_app.router.add_post("/", sink)
    runners = []
    sink_runner = web.AppRunner(sink_app, access_log=None)
    await sink_runner.setup()
    sink_port = free_port()
    await web.TCPSite(sink_runner, "127.0.0.1", sink_port).start()
    runners.append(sink_runner)
    session = aiohttp.ClientSession()

    async def forward(request: web.Request) -> web.Response:
        async with session.post(f"http://127.0.0.1:{sink_port}/", data=await request.read()):
            return web.Response(text="")

    forward_app = web.Application()
    forward_app.router.add_post("/", forward)
    forward_runner = web.AppRunner(forward_app, access_log=None)
    await forward_runner.setup()
    forward_port = free_port()
    await web.TCPSite(forward_runner, "127.0.0.1", forward_port).start()
    runners.append(forward_runner)
    delivery = HttpDelivery(f"http://127.0.0.1:{forward_port}/", SECRET, retry_delays=())
    body = {"command": "/casebridge", "text": "cases", "user_id": "UBOB", "channel_id": "C1"}

    async def post(_n: int) -> str:
        return status_of(await delivery.send("commands", body))

    latencies, _statuses = await paced(rate, seconds, post)
    await delivery.close()
    await session.close()
    for runner in reversed(runners):
        await runner.cleanup()
    return {"bare_p50_ms": percentile(latencies, 50), "bare_p99_ms": percentile(latencies, 99)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    print(f"{args.rate:g} clicks/s then {args.rate:g} commands/s for {args.seconds:g} s, {args.db}")
    floor = report(
        "bare aiohttp forward",
        [await bare_run(args.rate, args.seconds) for _ in range(args.repeat)],
        ["bare_p50_ms", "bare_p99_ms"],
    )
    runs = [await casebridge_run(args.db, args.rate, args.seconds) for _ in range(args.repeat)]
    keys = ["button_p50_ms", "button_p99_ms", "command_p50_ms", "command_p99_ms"]
    figures = report("casebridge", runs, keys)
    statuses: Counter[str] = Counter()
    for run in runs:
        for side, counts in run["status_counts"].items():
            for status, count in counts.items():
                statuses[f"{side}:{status}"] += count
    print(f"  statuses over all runs: {dict(statuses)}")
    emit(
        {
            "bench": "ack",
            "db": args.db,
            "rate": args.rate,
            "button_p99_ms": figures["button_p99_ms"],
            "command_p99_ms": figures["command_p99_ms"],
            "button_p50_ms": figures["button_p50_ms"],
            "command_p50_ms": figures["command_p50_ms"],
            "status_counts": dict(statuses),
            "bare_p50_ms": floor["bare_p50_ms"],
            "bare_p99_ms": floor["bare_p99_ms"],
            "repeats": args.repeat,
        }
    )


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve_casebridge(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        os.environ.setdefault("PYTHONUNBUFFERED", "1")
        asyncio.run(main())
