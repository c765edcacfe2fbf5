"""Fault soak: customers and an agent talk in case threads while casebridge and Slack are
broken on purpose; afterwards every reply and every message is counted on the other side.

    .venv/bin/python bench/soak.py [--quick | --tiny] [--cases 4] [--messages 6]

Real processes on loopback: the local Slack (`python -m slackemu`, Slack's redelivery schedule
shrunk to 0 s, 1 s, 2 s) and `casebridge run`. Customers are Socket.IO clients that resend on a
missing answer with the same client_id, as the page does; the agent writes in the threads
through the stand-in. Three set-ups, each with its own processes and phases, each phase with
its own traffic:
  HTTP, SQLite          kill -9, Slack outage, 429 storm, redelivery
  HTTP, PostgreSQL      database stop, kill -9
  Socket Mode, SQLite   kill -9, Slack outage, redelivery
where
  kill -9         casebridge killed mid-traffic and restarted, N times
  database stop   PostgreSQL unreachable for a while: casebridge reaches it through a TCP relay
                  that drops every connection and refuses new ones (the machine's server is
                  shared, so it is not stopped itself)
  outage          every Slack Web API method answers 503 for a while
  429 storm       every Slack Web API method answers 429 with Retry-After for a while
  redelivery      Slack sends every agent reply's event three more times
Counted at the end, per phase: agent replies the customer's page does not show (from `hello`,
what a reloaded page shows), customer messages acknowledged but not in the Slack thread, twice
shown or posted, out of order; and how long after the fault ended everything was through.
Ends with one JSON line (sums over every phase; catch_up_s the longest).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from common import ROOT, emit, scratch_database

from bridge.core.routing import Mode
from bridge.services import agents as agent_services
from bridge.services import portals as portal_services
from bridge.services.context import ServiceContext
from storage.uow import Database
from tests.portal.cuttable_proxy import CuttableProxy

SECRET, TOKEN, APP_TOKEN = "soak-signing-secret", "xoxb-local", "xapp-soak"
FORM = {"first_name": "Soak", "last_name": "Customer", "email": "s@example.com", "question": "?"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Setup:
    """One way of running casebridge, and the faults tried on it."""

    db: str  # sqlite | postgresql
    socket_mode: bool
    faults: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{'Socket Mode' if self.socket_mode else 'HTTP'}, {self.db_label}"

    @property
    def db_label(self) -> str:
        return "PostgreSQL" if self.db == "postgresql" else "SQLite"


SETUPS = (
    Setup("sqlite", False, ("kill", "outage", "storm", "redelivery")),
    Setup("postgresql", False, ("database", "kill")),
    Setup("sqlite", True, ("kill", "outage", "redelivery")),
)
# `--tiny` (in make test): every fault once, each set-up's own fault at least once.
TINY_SETUPS = (
    Setup("sqlite", False, ("kill", "outage", "storm", "redelivery")),
    Setup("postgresql", False, ("database",)),
    Setup("sqlite", True, ("kill",)),
)


@dataclass
class Rig:
    folder: Path
    database_url: str
    socket_mode: bool = False
    web: int = field(default_factory=free_port)
    slack_port: int = field(default_factory=free_port)
    casebridge: asyncio.subprocess.Process | None = None
    slackemu: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web}"

    @property
    def slack(self) -> str:
        return f"http://127.0.0.1:{self.slack_port}"

    def env(self) -> dict[str, str]:
        kept = {
            k: v
            for k, v in os.environ.items()
            if not k.upper().startswith(("SLACK_", "DATABASE_", "SMTP_", "HTTP_", "HTTPS_"))
        }
        return (
            kept
            | {
                "PYTHONPATH": str(ROOT),
                "DATABASE_URL": self.database_url,
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": f"{self.slack}/api/",
                "HOST": "127.0.0.1",
                "PORT": str(self.web),
                "PUBLIC_URL": self.url,
            }
            | ({"SLACK_APP_TOKEN": APP_TOKEN} if self.socket_mode else {})
        )

    async def start_slack(self) -> None:
        self.slackemu = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "slackemu",
            f"--port={self.slack_port}",
            f"--signing-secret={SECRET}",
            f"--app-url={self.url}/slack/events",
            "--retry-delays=0,1,2",
            *([f"--app-token={APP_TOKEN}"] if self.socket_mode else []),
            env=self.env(),
            stdout=(self.folder / "slackemu.log").open("ab"),
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        await wait_until(lambda: answers(f"{self.slack}/_emu/faults"), 30, "slackemu")

    async def start_casebridge(self) -> None:
        self.casebridge = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bridge.cli",
            "run",
            env=self.env(),
            stdout=(self.folder / "casebridge.log").open("ab"),
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        await wait_until(lambda: answers(f"{self.url}/healthz"), 60, "casebridge")

    async def kill_casebridge(self) -> None:
        assert self.casebridge is not None
        os.killpg(self.casebridge.pid, signal.SIGKILL)
        await self.casebridge.wait()

    async def stop(self) -> None:
        for process in (self.casebridge, self.slackemu):
            if process is not None and process.returncode is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 15)
                except TimeoutError:
                    os.killpg(process.pid, signal.SIGKILL)
                    await process.wait()


async def answers(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def wait_until(check: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {seconds:.0f} s")
        await asyncio.sleep(0.2)


async def seed(database_url: str) -> None:
    """One broadcast portal on #support, Bob available (agents act in the stand-in)."""
    db = Database.from_url(database_url)
    ctx = ServiceContext(db=db)
    await portal_services.create_portal(
        ctx, company="Soak", subdomain="soak", mode=Mode.BROADCAST, channel_id="C0SUPPORT"
    )
    await agent_services.ensure_agent(ctx, "UBOB", "Bob")
    await agent_services.set_availability(ctx, "UBOB", True)
    await db.dispose()


class Customer:
    """A customer's page: sends with client_ids, resends on a missing answer or a drop."""

    def __init__(self, rig: Rig, http: aiohttp.ClientSession, token: str, reference: str) -> None:
        self.rig, self.token, self.reference = rig, token, reference
        self.http = http  # shared, so a failed connect leaves no session of its own behind
        self.acked: list[str] = []
        self.client: socketio.AsyncClient | None = None

    async def ensure_connected(self) -> socketio.AsyncClient:
        while self.client is None or not self.client.connected:
            client = socketio.AsyncClient(reconnection=False, http_session=self.http)
            try:
                await client.connect(
                    self.rig.url,
                    auth={"token": self.token},
                    namespaces=["/chat"],
                    transports=["websocket"],
                    wait_timeout=5,
                )
                self.client = client
            except Exception:
                await asyncio.sleep(0.5)
        return self.client

    async def send(self, text: str) -> None:
        client_id = str(uuid.uuid4())
        while True:
            client = await self.ensure_connected()
            try:
                answer = await client.call(
                    "send", {"text": text, "client_id": client_id}, namespace="/chat", timeout=8
                )
            except Exception:
                await asyncio.sleep(0.5)
                continue
            if isinstance(answer, dict) and answer.get("ok"):
                self.acked.append(text)
                return
            await asyncio.sleep(1)  # rate limited or unavailable: the page waits and resends

    async def shown(self) -> list[dict[str, Any]]:
        """What a reloaded page shows: the messages of `hello`."""
        while True:
            client = await self.ensure_connected()
            try:
                answer = await client.call("hello", namespace="/chat", timeout=8)
                return list(answer["case"]["messages"])
            except Exception:
                await asyncio.sleep(0.5)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.disconnect()


async def emu(http: aiohttp.ClientSession, rig: Rig, kind: str, **data: Any) -> Any:
    async with http.post(f"{rig.slack}/_emu/{kind}", json=data) as response:
        return await response.json()


async def thread(http: aiohttp.ClientSession, rig: Rig, ts: str) -> list[dict[str, Any]]:
    params = {"channel": "C0SUPPORT", "thread_ts": ts, "as": "UBOB"}
    async with http.get(f"{rig.slack}/_emu/messages", params=params) as response:
        return list((await response.json())["messages"])[1:]


async def card_ts(http: aiohttp.ClientSession, rig: Rig, reference: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        params = {"channel": "C0SUPPORT", "as": "UBOB"}
        async with http.get(f"{rig.slack}/_emu/messages", params=params) as response:
            for message in (await response.json())["messages"]:
                if reference in message.get("text", "") and not message.get("thread_ts"):
                    return str(message["ts"])
        await asyncio.sleep(0.3)
    raise RuntimeError(f"the case message of {reference} never appeared")


async def claim(http: aiohttp.ClientSession, rig: Rig, reference: str, ts: str) -> None:
    """Bob presses *Assign to me* until the card says so, as an agent whose click Slack
    reported failed (casebridge still reconnecting) would press it again."""
    click = {"as": "UBOB", "channel": "C0SUPPORT", "ts": ts, "action_id": "case_claim"}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if (await emu(http, rig, "click", **click)).get("ok"):
            break
        await asyncio.sleep(1)
    while time.monotonic() < deadline:
        params = {"channel": "C0SUPPORT", "as": "UBOB"}
        async with http.get(f"{rig.slack}/_emu/messages", params=params) as response:
            for message in (await response.json())["messages"]:
                if message.get("ts") == ts and "Assigned to" in str(message):
                    return
        await asyncio.sleep(0.3)
    raise RuntimeError(f"{reference} was never assigned")


@dataclass
class PhaseResult:
    name: str
    agent_replies: int = 0
    customer_messages: int = 0
    lost_agent_replies: int = 0
    lost_customer_messages: int = 0
    duplicated_agent_replies: int = 0
    duplicated_customer_messages: int = 0
    reordered: int = 0
    catch_up_s: float = 0.0
    setup: str = ""


async def phase(
    name: str,
    rig: Rig,
    http: aiohttp.ClientSession,
    cases: int,
    messages: int,
    fault: Callable[[], Awaitable[None]],
    after: Callable[[list[str]], Awaitable[None]] | None = None,
) -> PhaseResult:
    """Open `cases` chats, Bob claims them, both sides write `messages` lines during `fault`."""
    customers: list[Customer] = []
    threads: list[str] = []
    for _ in range(cases):
        async with http.post(f"{rig.url}/p/soak/cases", json=FORM) as response:
            opened = await response.json()
        customers.append(Customer(rig, http, opened["token"], opened["reference"]))
        ts = await card_ts(http, rig, opened["reference"])
        await claim(http, rig, opened["reference"], ts)
        threads.append(ts)
    agent_texts = [[f"{name} agent {c}.{n}" for n in range(messages)] for c in range(cases)]
    reply_ts: list[str] = []

    async def agent(c: int) -> None:
        for text in agent_texts[c]:
            posted = await emu(
                http,
                rig,
                "post",
                **{"as": "UBOB", "channel": "C0SUPPORT", "text": text, "thread_ts": threads[c]},
            )
            reply_ts.append(posted["ts"])
            await asyncio.sleep(0.3)

    async def customer(c: int) -> None:
        for n in range(messages):
            await customers[c].send(f"{name} customer {c}.{n}")
            await asyncio.sleep(0.3)

    traffic = asyncio.gather(
        *(agent(c) for c in range(cases)), *(customer(c) for c in range(cases))
    )
    await fault()
    await traffic
    fault_over = time.monotonic()
    if after is not None:
        await after(reply_ts)

    result = PhaseResult(name, cases * messages, cases * messages)
    deadline = time.monotonic() + 120
    while True:
        shown = [await c.shown() for c in customers]
        in_slack = [await thread(http, rig, ts) for ts in threads]
        agent_seen = [[m["text"] for m in s if m["direction"] == "agent"] for s in shown]
        customer_seen = [
            [
                line
                for m in t
                if "Customer" in (m.get("username") or "")
                for line in m.get("text", "").split("\n")
            ]
            for t in in_slack
        ]
        complete = all(set(agent_texts[c]) <= set(agent_seen[c]) for c in range(cases)) and all(
            set(customers[c].acked) <= set(customer_seen[c]) for c in range(cases)
        )
        if complete or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    result.catch_up_s = round(time.monotonic() - fault_over, 2)
    for c in range(cases):
        want, got = agent_texts[c], agent_seen[c]
        result.lost_agent_replies += len(set(want) - set(got))
        result.duplicated_agent_replies += sum(got.count(t) - 1 for t in set(got) if t in want)
        ours = [t for t in got if t in want]
        result.reordered += int(ours != sorted(set(ours), key=want.index))
        sent = [f"{name} customer {c}.{n}" for n in range(messages)]
        seen = [line for line in customer_seen[c] if line in sent]
        result.lost_customer_messages += len(set(customers[c].acked) - set(seen))
        result.duplicated_customer_messages += sum(seen.count(t) - 1 for t in set(seen))
        result.reordered += int(seen != sorted(set(seen), key=sent.index))
    for one in customers:
        await one.close()
    return result


@dataclass(frozen=True)
class Plan:
    """How much traffic and how many faults each phase has."""

    cases: int
    messages: int
    kills: int
    fault_seconds: float
    logs: Path | None = None  # keep the processes' logs here


async def soak(setups: tuple[Setup, ...], plan: Plan) -> list[PhaseResult]:
    results: list[PhaseResult] = []
    for setup in setups:
        results += await soak_one(setup, plan)
    return results


async def soak_one(setup: Setup, plan: Plan) -> list[PhaseResult]:
    """Start the stand-in and casebridge as `setup` says and run its faults, one phase each."""
    results: list[PhaseResult] = []
    async with scratch_database(setup.db) as database_url:
        await seed(database_url)
        relay: CuttableProxy | None = None
        if setup.db == "postgresql":  # casebridge reaches the database through a relay we cut
            relay = CuttableProxy(target=5432)
            await relay.start()
            database_url = database_url.replace(":5432/", f":{relay.port}/")
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            if plan.logs is not None:  # kept: one folder per set-up
                folder = plan.logs / setup.label.replace(", ", "-").replace(" ", "-").lower()
                folder.mkdir(parents=True, exist_ok=True)
            rig = Rig(folder, database_url, socket_mode=setup.socket_mode)
            await rig.start_slack()
            await rig.start_casebridge()
            try:
                async with aiohttp.ClientSession() as http:

                    async def kill_nine() -> None:
                        for _ in range(plan.kills):
                            await asyncio.sleep(1.0)
                            await rig.kill_casebridge()
                            await asyncio.sleep(0.5)
                            await rig.start_casebridge()

                    async def database_stop() -> None:
                        assert relay is not None
                        await asyncio.sleep(1.0)
                        await relay.cut()
                        await asyncio.sleep(plan.fault_seconds)
                        await relay.start()

                    async def slack_fault(fault: str, **options: Any) -> None:
                        await emu(
                            http,
                            rig,
                            "fault",
                            fault=fault,
                            method="*",
                            options={"seconds": plan.fault_seconds, **options},
                        )
                        await asyncio.sleep(plan.fault_seconds)

                    async def outage() -> None:
                        await slack_fault("outage")

                    async def storm() -> None:
                        await slack_fault("rate_limit", retry_after=2)

                    async def nothing() -> None:
                        await asyncio.sleep(0)

                    async def redeliver(reply_ts: list[str]) -> None:
                        for ts in reply_ts:
                            for _ in range(3):
                                await emu(http, rig, "redeliver", ts=ts)

                    named: dict[str, tuple[str, Callable[[], Awaitable[None]]]] = {
                        "kill": (f"kill -9 ×{plan.kills}", kill_nine),
                        "database": (f"database stop {plan.fault_seconds:.0f} s", database_stop),
                        "outage": (f"Slack outage {plan.fault_seconds:.0f} s", outage),
                        "storm": (f"429 storm {plan.fault_seconds:.0f} s", storm),
                        "redelivery": ("redelivery ×3", nothing),
                    }
                    for fault in setup.faults:
                        name, act = named[fault]
                        after = redeliver if fault == "redelivery" else None
                        result = await phase(name, rig, http, plan.cases, plan.messages, act, after)
                        result.setup = setup.label
                        results.append(result)
            finally:
                await rig.stop()
                if relay is not None:
                    await relay.cut()
    return results


def print_table(results: list[PhaseResult]) -> None:
    print(
        "| set-up | fault | agent replies lost | customer messages lost "
        "| duplicated (agent / customer) | reordered | caught up after |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r.setup} | {r.name} | {r.lost_agent_replies} of {r.agent_replies} "
            f"| {r.lost_customer_messages} of {r.customer_messages} "
            f"| {r.duplicated_agent_replies} / {r.duplicated_customer_messages} "
            f"| {r.reordered} | {r.catch_up_s:.1f} s |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=6)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--fault-seconds", type=float, default=15.0)
    parser.add_argument("--quick", action="store_true", help="a short run (under five minutes)")
    parser.add_argument("--tiny", action="store_true", help="the shortest run, for make test")
    parser.add_argument(
        "--only",
        choices=("http-sqlite", "http-postgresql", "socket-sqlite"),
        action="append",
        help="run only these set-ups (default: all three)",
    )
    parser.add_argument(
        "--faults",
        help="run only these faults, comma-separated (kill, database, outage, storm, redelivery)",
    )
    parser.add_argument("--logs", type=Path, help="keep the processes' logs in this folder")
    args = parser.parse_args()
    wanted = set(args.faults.split(",")) if args.faults else None
    setups = tuple(
        Setup(s.db, s.socket_mode, tuple(f for f in s.faults if wanted is None or f in wanted))
        for s in (TINY_SETUPS if args.tiny else SETUPS)
        if not args.only or f"{'socket' if s.socket_mode else 'http'}-{s.db}" in args.only
    )
    if args.quick:
        args.cases, args.messages, args.kills, args.fault_seconds = 3, 6, 3, 6.0
    if args.tiny:
        args.cases, args.messages, args.kills, args.fault_seconds = 2, 3, 1, 3.0
    results = asyncio.run(
        soak(setups, Plan(args.cases, args.messages, args.kills, args.fault_seconds, args.logs))
    )
    print_table(results)
    keys = (
        "lost_agent_replies",
        "lost_customer_messages",
        "duplicated_agent_replies",
        "duplicated_customer_messages",
        "reordered",
    )
    figures: dict[str, Any] = {"bench": "soak"}
    for key in keys:
        figures[key] = sum(getattr(r, key) for r in results)
    figures["catch_up_s"] = max(r.catch_up_s for r in results)
    emit(figures)


if __name__ == "__main__":
    main()
