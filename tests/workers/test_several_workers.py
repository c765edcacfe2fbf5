"""Several `casebridge run` processes on one PostgreSQL and one Redis behave as one.

Real processes: the agent's click and reply reach one worker (where Slack delivers), the
customer's socket is on another, and what the agent does still reaches the customer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis
import socketio

from bridge.core.routing import Mode
from bridge.services import agents as agent_services
from bridge.services import portals as portal_services
from bridge.services.context import ServiceContext
from slackemu import SlackEmu
from slackemu.state import Message
from storage.uow import Database
from tests.conftest import PG_HOST, _postgres_answers, new_postgres_database
from tests.e2e.dev_process import clean_environment
from tests.workers.balancer import RoundRobin

SECRET = "workers-test-secret"
APP_TOKEN = "xapp-1-workers"
LINE = re.compile(r"line \d+")
REDIS_URL = os.environ.get("CASEBRIDGE_TEST_REDIS", "redis://127.0.0.1:6379/15")
pytestmark = pytest.mark.slow


def _port() -> int:
    # The worker is told its port on its command line; it fails loudly if it is taken.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def redis_url() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as why:
        pytest.skip(f"Redis is not answering at {REDIS_URL} ({why})")
    yield REDIS_URL
    client.close()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """Workers share one PostgreSQL database of their own (the suite's runs on both backends)."""
    why = await _postgres_answers()
    if why is not None:
        pytest.skip(f"PostgreSQL is not answering at {PG_HOST} ({why})")
    async with new_postgres_database("casebridge_workers") as url:
        yield url


@dataclass
class Worker:
    url: str
    process: asyncio.subprocess.Process
    log: Path


@asynccontextmanager
async def worker(folder: Path, env: dict[str, str]) -> AsyncIterator[Worker]:
    """One `casebridge run`, until the block ends (SIGTERM, as a process manager stops it)."""
    port = _port()
    log = folder / f"worker-{port}.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bridge", "run", f"--port={port}",
            env=env, cwd=folder, stdout=output, stderr=output,
        )  # fmt: skip
        running = Worker(f"http://127.0.0.1:{port}", process, log)
        try:
            await _until_healthy(running)
            yield running
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 20)


async def _until_healthy(running: Worker) -> None:
    async with aiohttp.ClientSession() as http, asyncio.timeout(30):
        while running.process.returncode is None:
            try:
                async with http.get(f"{running.url}/healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)  # a child process's readiness: nothing to wait on
    raise AssertionError("worker stopped:\n" + running.log.read_text(errors="replace"))


@asynccontextmanager
async def installation(
    tmp_path: Path, database_url: str, redis_url: str | None, socket_mode: bool = False
) -> AsyncIterator[tuple[SlackEmu, dict[str, str]]]:
    """The stand-in, an acme portal on #support and Bob available; the workers' settings."""
    slack = await SlackEmu(
        signing_secret=SECRET, tiers_enabled=False, app_token=APP_TOKEN if socket_mode else None
    ).start()
    db = Database.from_url(database_url)
    ctx = ServiceContext(db=db)
    await portal_services.create_portal(
        ctx, company="Acme", subdomain="acme", mode=Mode.BROADCAST, channel_id="C0SUPPORT"
    )
    await agent_services.ensure_agent(ctx, "UBOB", "Bob")
    await agent_services.set_availability(ctx, "UBOB", True)
    await db.dispose()
    settings = {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-local",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "PUBLIC_URL": "http://localhost:1",
        "SWEEP_INTERVAL_SECONDS": "0.5",
    }
    if redis_url is not None:
        settings["REDIS_URL"] = redis_url
    if socket_mode:
        settings["SLACK_APP_TOKEN"] = APP_TOKEN
    try:
        yield slack, clean_environment(**settings)
    finally:
        await slack.stop()


async def customer_opens_chat(on: Worker) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        answer = await http.post(
            f"{on.url}/p/acme/cases",
            json={"first_name": "Ana", "last_name": "Lima", "email": "ana@example.com",
                  "question": "Help, from worker A"},
        )  # fmt: skip
        assert answer.status == 201, await answer.text()
        return dict(await answer.json())


async def test_what_the_agent_does_on_one_worker_reaches_a_customer_on_another(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    async with (
        installation(tmp_path, postgres_url, redis_url) as (slack, env),
        worker(tmp_path, env) as a,
        worker(tmp_path, env) as b,
    ):
        slack.deliver_to(f"{b.url}/slack/events")  # Slack reaches worker B only
        chat = await customer_opens_chat(on=a)
        heard: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        customer = socketio.AsyncClient(reconnection=False)
        for kind in ("agent_joined", "agent_message"):
            customer.on(kind, lambda data, k=kind: heard.put_nowait((k, data)), namespace="/chat")
        await customer.connect(
            a.url, auth={"token": chat["token"]}, namespaces=["/chat"], transports=["websocket"]
        )
        try:
            card = await slack.wait_for_message("C0SUPPORT", contains=chat["reference"])
            await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim")
            assert (await asyncio.wait_for(heard.get(), 15))[0] == "agent_joined"
            for text in ("one", "two", "three"):
                await slack.user_posts("UBOB", "C0SUPPORT", text, thread_ts=card.ts)
                kind, data = await asyncio.wait_for(heard.get(), 15)
                assert (kind, data["text"]) == ("agent_message", text)
        finally:
            await customer.disconnect()


async def test_a_second_worker_that_would_not_share_state_is_refused(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    async with (
        installation(tmp_path, postgres_url, None) as (_slack, env),
        worker(tmp_path, env),
    ):
        second = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bridge", "run", f"--port={_port()}",
            env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await asyncio.wait_for(second.communicate(), 30)
        assert second.returncode != 0
        assert b"set the same REDIS_URL on every worker" in output


async def send_like_the_page(client: socketio.AsyncClient, n: int) -> None:
    """Send line n; when told to slow down, wait as told and send it again (same client id)."""
    while True:
        answer = await client.call(
            "send", {"text": f"line {n}", "client_id": f"c-{n}"}, namespace="/chat", timeout=30
        )
        if answer.get("error") != "rate_limited":
            assert answer["ok"], answer
            return
        await asyncio.sleep(float(answer["retry_after"]))  # the server said how long


async def test_a_worker_killed_under_traffic_loses_nothing_and_doubles_nothing(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    async with (
        installation(tmp_path, postgres_url, redis_url) as (slack, env),
        worker(tmp_path, env) as survivor,
    ):
        slack.deliver_to(f"{survivor.url}/slack/events")
        async with worker(tmp_path, env) as doomed:
            chat = await customer_opens_chat(on=doomed)
            card = await slack.wait_for_message("C0SUPPORT", contains=chat["reference"])
            customer = socketio.AsyncClient(reconnection=False)
            await customer.connect(
                doomed.url,
                auth={"token": chat["token"]},
                namespaces=["/chat"],
                transports=["websocket"],
            )
            for n in range(10):
                await send_like_the_page(customer, n)
            doomed.process.kill()  # kill -9, mid-traffic: its leases and sockets die with it
            await doomed.process.wait()
            with contextlib.suppress(Exception):
                await customer.disconnect()

        # The page reconnects to another worker and resends what it is not sure of.
        again = socketio.AsyncClient(reconnection=False)
        await again.connect(
            survivor.url, auth={"token": chat["token"]}, namespaces=["/chat"],
            transports=["websocket"], wait_timeout=15,
        )  # fmt: skip
        try:
            for n in range(8, 15):
                await send_like_the_page(again, n)
        finally:
            await again.disconnect()

        def thread_lines() -> list[str]:
            return [
                line
                for m in slack.thread("C0SUPPORT", card.ts)[1:]
                for line in LINE.findall(m.text)
            ]

        # What the killed worker had leased is delivered by the survivor once its lease ends.
        await slack.wait_for(lambda: len(thread_lines()) >= 15, timeout=90)
        assert thread_lines() == [f"line {n}" for n in range(15)]  # each once, in order


async def test_workers_n_serves_on_one_port_and_stops_them_all(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    async with installation(tmp_path, postgres_url, redis_url) as (_slack, env):
        port = _port()
        log = tmp_path / "workers.log"
        with log.open("wb") as output:
            supervisor = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bridge", "run", f"--port={port}", "--workers=2",
                env=env, cwd=tmp_path, stdout=output, stderr=output,
            )  # fmt: skip
            try:
                await _until_healthy(Worker(f"http://127.0.0.1:{port}", supervisor, log))
                # The second worker may still be starting.
                assert len(await asyncio.to_thread(_until_listening, port, 2)) == 2
            finally:
                supervisor.send_signal(signal.SIGTERM)
                await asyncio.wait_for(supervisor.wait(), 40)
        assert supervisor.returncode == 0
        assert await asyncio.to_thread(_listeners_on, port) == set()


def _until_listening(port: int, count: int, timeout: float = 30) -> set[int]:
    """The listening processes, once there are `count` of them (or the timeout)."""
    deadline = time.monotonic() + timeout
    while len(found := _listeners_on(port)) < count and time.monotonic() < deadline:
        time.sleep(0.2)  # children starting: nothing to be told by
    return found


def _listeners_on(port: int) -> set[int]:
    """Process ids listening on the port (from /proc: one socket per worker, SO_REUSEPORT)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                    inodes.add(fields[9])
    owners: set[int] = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("socket:[") and target[8:-1] in inodes:
                        owners.add(int(pid))
    return owners


async def test_workers_n_without_postgresql_and_redis_is_refused_in_one_line(
    tmp_path: Path,
) -> None:
    env = clean_environment(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/one.db")
    refused = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bridge", "run", "--workers=3",
        env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(refused.communicate(), 30)
    assert refused.returncode != 0
    assert b"--workers needs PostgreSQL" in output and output.count(b"\n") == 1


async def bob_sees_it_assigned(slack: SlackEmu, ts: str) -> None:
    """The claim (handled after its ack, maybe on another worker) has reached the card."""

    def assigned() -> bool:
        return "Assigned to" in str(slack.workspace.find("C0SUPPORT", ts).blocks)

    await slack.wait_for(assigned, timeout=20)


async def test_three_workers_behind_a_round_robin_balancer_serve_every_customer(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    async with (
        installation(tmp_path, postgres_url, redis_url) as (slack, env),
        worker(tmp_path, env) as a,
        worker(tmp_path, env) as b,
        worker(tmp_path, env) as c,
    ):
        ports = [int(w.url.rsplit(":", 1)[1]) for w in (a, b, c)]
        async with RoundRobin(ports) as balancer:
            front = f"http://127.0.0.1:{balancer.port}"
            slack.deliver_to(f"{front}/slack/events")  # Slack's requests go round too
            customers: list[tuple[socketio.AsyncClient, asyncio.Queue[Any], Message]] = []
            try:
                for _ in range(5):
                    chat = await customer_opens_chat(on=Worker(front, a.process, a.log))
                    heard: asyncio.Queue[Any] = asyncio.Queue()
                    client = socketio.AsyncClient(reconnection=False)
                    client.on("agent_message", heard.put_nowait, namespace="/chat")
                    # The page's own transports: WebSocket first, long-polling as the fallback.
                    await client.connect(
                        front, auth={"token": chat["token"]}, namespaces=["/chat"],
                        transports=["websocket", "polling"], wait_timeout=15,
                    )  # fmt: skip
                    card = await slack.wait_for_message("C0SUPPORT", contains=chat["reference"])
                    customers.append((client, heard, card))
                assert len(set(balancer.connections)) == 3  # every worker had its share
                for n, (_client, heard, card) in enumerate(customers):
                    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim")
                    await bob_sees_it_assigned(slack, card.ts)
                    await slack.user_posts("UBOB", "C0SUPPORT", f"hello {n}", thread_ts=card.ts)
                    reply = await asyncio.wait_for(heard.get(), 20)
                    assert reply["text"] == f"hello {n}"
            finally:
                for client, _heard, _card in customers:
                    await client.disconnect()


async def test_in_socket_mode_every_worker_holds_a_connection_and_slack_spreads_events(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    async with (
        installation(tmp_path, postgres_url, redis_url, socket_mode=True) as (slack, env),
        worker(tmp_path, env) as a,
        worker(tmp_path, env),
    ):
        socket_mode = slack.socket
        assert socket_mode is not None
        await slack.wait_for(lambda: len(socket_mode.connections) == 2, timeout=30)
        chat = await customer_opens_chat(on=a)
        heard: asyncio.Queue[Any] = asyncio.Queue()
        customer = socketio.AsyncClient(reconnection=False)
        customer.on("agent_message", heard.put_nowait, namespace="/chat")
        await customer.connect(
            a.url, auth={"token": chat["token"]}, namespaces=["/chat"],
            transports=["websocket"], wait_timeout=15,
        )  # fmt: skip
        try:
            card = await slack.wait_for_message("C0SUPPORT", contains=chat["reference"])
            await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim")
            await bob_sees_it_assigned(slack, card.ts)
            # Slack hands each event to one of the app's connections, in turn: both workers
            # get some, and every reply reaches the customer on worker A.
            for n in range(4):
                await slack.user_posts("UBOB", "C0SUPPORT", f"reply {n}", thread_ts=card.ts)
                reply = await asyncio.wait_for(heard.get(), 20)
                assert reply["text"] == f"reply {n}"
        finally:
            await customer.disconnect()
