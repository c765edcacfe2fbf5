"""One customer floods, everyone else carries on: latency, log growth and losses under abuse.

    .venv/bin/python bench/abuse.py [--seconds 10] [--repeat 3] [--quick]

Runs `casebridge dev` (casebridge, the local Slack and the mail catcher: what `make run` runs)
as its own process tree on loopback, behind a pretend reverse proxy (TRUSTED_PROXIES=127.0.0.1
and one X-Forwarded-For per client), so every client has its own address. Quiet customers
keep calling `hello` and sending a message now and then, and a monitor polls `/healthz`. For
each event type in turn: first with nobody flooding (the baseline, measured right before, so
it follows the machine's load), then while a separate process floods that event type as fast
as it can. Per phase: `hello` and `/healthz` p99
against the quiet ones, how much the log grew, and at the end whether every message casebridge
accepted (the quiet customers' and the flooder's) reached the Slack thread. The goal: ratios
under 3, log growth under 1 MB per phase, nothing lost. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from common import ROOT, emit, percentile, report

SOCKET_EVENTS = ("hello", "send", "seen", "stop_waiting", "end_chat", "connect")
HTTP_FLOODS = ("open_case", "slack_events")
PORTAL = "hooli"  # the demo's broadcast portal
FORM = {"first_name": "Quiet", "last_name": "Customer", "email": "q@example.com", "question": "?"}
GOAL_RATIO, GOAL_LOG_BYTES = 3.0, 1_000_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def open_case(http: aiohttp.ClientSession, url: str, address: str) -> str:
    response = await http.post(
        f"{url}/p/{PORTAL}/cases", json=FORM, headers={"X-Forwarded-For": address}
    )
    if response.status != 201:
        raise RuntimeError(f"could not open a case: {response.status} {await response.text()}")
    return str((await response.json())["token"])


async def connect(url: str, token: str, address: str) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(
        url,
        auth={"token": token},
        namespaces=["/chat"],
        transports=["websocket"],
        headers={"X-Forwarded-For": address},
        wait_timeout=10,
    )
    return client


# --- the flooder (its own process) ---------------------------------------------------------


async def flood(url: str, event: str, seconds: float, address: str) -> dict[str, Any]:
    """Send `event` as fast as possible for `seconds`; what was sent and what was accepted."""
    deadline = time.monotonic() + seconds
    sent, answers = 0, 0
    accepted: list[str] = []
    async with aiohttp.ClientSession() as http:
        if event in HTTP_FLOODS:
            forged = b'{"type": "event_callback"}\nCRITICAL admin login ok\n' + b"x" * 2000

            async def one_after_another() -> None:
                nonlocal sent
                while time.monotonic() < deadline:
                    sent += 1
                    if event == "open_case":
                        await http.post(
                            f"{url}/p/{PORTAL}/cases",
                            json=FORM,
                            headers={"X-Forwarded-For": address},
                        )
                    else:
                        await http.post(
                            f"{url}/slack/events",
                            data=forged,
                            headers={"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "x"},
                        )

            await asyncio.gather(*(one_after_another() for _ in range(8)))
            return {"sent": sent, "accepted": accepted}
        token = await open_case(http, url, address)

        def answered(answer: Any = None, text: str = "") -> None:
            nonlocal answers
            answers += 1
            if isinstance(answer, dict) and answer.get("ok") and answer.get("id"):
                accepted.append(text)

        while time.monotonic() < deadline:
            try:
                client = await connect(url, token, address)
            except socketio.exceptions.ConnectionError:
                await asyncio.sleep(0.01)
                continue
            while client.connected and time.monotonic() < deadline:
                text = f"flood-{uuid.uuid4().hex[:12]}"
                payload: Any = {
                    "send": {"text": text, "client_id": text},
                    "seen": {"up_to": sent + 1},
                    "connect": ({"REMOTE_ADDR": "10.0.0.1"}, {"token": token}),
                }.get(event)
                try:
                    await client.emit(
                        event,
                        payload,
                        namespace="/chat",
                        callback=lambda answer=None, text=text: answered(answer, text),
                    )
                except socketio.exceptions.BadNamespaceError:
                    break
                sent += 1
                if sent % 50 == 0:
                    await asyncio.sleep(0)  # let the answers in
            await client.disconnect()
    return {"sent": sent, "answers": answers, "accepted": accepted}


# --- the measuring side ----------------------------------------------------------------------


class Quiet:
    """One well-behaved customer: `hello` at a pace its limits allow, a message every 2 s."""

    def __init__(self, url: str, token: str, address: str) -> None:
        self.url, self.token, self.address = url, token, address
        self.client: socketio.AsyncClient | None = None
        self.accepted: list[str] = []
        self.refused_sends = 0

    async def start(self) -> None:
        self.client = await connect(self.url, self.token, self.address)

    async def hellos(self, until: float, samples: list[float]) -> None:
        assert self.client is not None
        while time.monotonic() < until:
            started = time.perf_counter()
            answer = await self.client.call("hello", namespace="/chat", timeout=30)
            if answer.get("ok"):
                samples.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(max(0.0, 0.55 - (time.perf_counter() - started)))

    async def sends(self, until: float) -> None:
        assert self.client is not None
        while time.monotonic() < until:
            text = f"quiet-{uuid.uuid4().hex[:12]}"
            while True:  # a refused message is sent again, as the page does
                answer = await self.client.call(
                    "send", {"text": text, "client_id": text}, namespace="/chat", timeout=30
                )
                if answer.get("ok"):
                    self.accepted.append(text)
                    break
                self.refused_sends += 1
                await asyncio.sleep(float(answer.get("retry_after", 1)))
            await asyncio.sleep(2)


async def healthz(url: str, until: float, samples: list[float]) -> None:
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < until:
            started = time.perf_counter()
            async with http.get(f"{url}/healthz") as response:
                await response.read()
            samples.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(max(0.0, 0.05 - (time.perf_counter() - started)))


def log_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in (folder / "stdout.log", folder / "stderr.log"))


async def phase(
    url: str, quiet: list[Quiet], seconds: float, folder: Path, flood_event: str | None, n: int
) -> dict[str, Any]:
    """Measure for `seconds`, with `flood_event` flooded from another process (or nothing)."""
    hello_ms: list[float] = []
    health_ms: list[float] = []
    before = log_bytes(folder)
    flooder = None
    if flood_event is not None:
        flooder = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--worker",
            flood_event,
            "--url",
            url,
            "--seconds",
            str(seconds),
            "--address",
            f"203.0.113.{n}",
            stdout=asyncio.subprocess.PIPE,
        )
        await asyncio.sleep(0.3)  # the flood under way before measuring
    until = time.monotonic() + seconds
    await asyncio.gather(
        healthz(url, until, health_ms),
        *(q.hellos(until, hello_ms) for q in quiet),
        *(q.sends(until) for q in quiet),
    )
    flooded: dict[str, Any] = {"sent": 0, "accepted": []}
    if flooder is not None:
        out, _ = await flooder.communicate()
        flooded = json.loads(out.decode().strip().splitlines()[-1])
    return {
        "hello_p99": percentile(hello_ms, 99),
        "healthz_p99": percentile(health_ms, 99),
        "log_bytes": log_bytes(folder) - before,
        "flood_sent": flooded["sent"],
        "flood_accepted": flooded["accepted"],
    }


async def delivered(slack: str, texts: set[str]) -> set[str]:
    """The texts of `texts` that never reached a Slack thread within 90 s."""
    missing = set(texts)
    deadline = time.monotonic() + 90
    async with aiohttp.ClientSession() as http:
        while missing and time.monotonic() < deadline:
            calls = await (
                await http.get(f"{slack}/_emu/calls", params={"method": "chat.postMessage"})
            ).json()
            posted = "\n".join(str(c["params"].get("text", "")) for c in calls["calls"])
            missing = {t for t in missing if t not in posted}
            if missing:
                await asyncio.sleep(1)
    return missing


async def one_run(seconds: float, quiet_count: int, events: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        web, slack_port = free_port(), free_port()
        smtp = free_port()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.upper().startswith(("SLACK_", "DATABASE_", "SMTP_", "HTTP_", "HTTPS_"))
        } | {"TRUSTED_PROXIES": "127.0.0.1", "PUBLIC_URL": f"http://127.0.0.1:{web}"}
        with (folder / "stdout.log").open("wb") as out, (folder / "stderr.log").open("wb") as err:
            dev = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bridge.cli",
                "dev",
                f"--port={web}",
                f"--slack-port={slack_port}",
                f"--smtp-port={smtp}",
                f"--inbound-smtp-port={free_port()}",
                cwd=folder,
                env=env | {"PYTHONPATH": str(ROOT)},
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            try:
                return await measure(folder, web, slack_port, seconds, quiet_count, events)
            finally:
                os.killpg(dev.pid, signal.SIGINT)
                try:
                    await asyncio.wait_for(dev.wait(), 20)
                except TimeoutError:
                    os.killpg(dev.pid, signal.SIGKILL)
                    await dev.wait()


async def measure(
    folder: Path, web: int, slack_port: int, seconds: float, quiet_count: int, events: list[str]
) -> dict[str, Any]:
    url, slack = f"http://127.0.0.1:{web}", f"http://127.0.0.1:{slack_port}"
    deadline = time.monotonic() + 60
    while b"Ctrl-C stops everything." not in (folder / "stdout.log").read_bytes():
        if time.monotonic() > deadline:
            raise RuntimeError(
                "casebridge dev did not start:\n" + (folder / "stderr.log").read_text()
            )
        await asyncio.sleep(0.2)
    async with aiohttp.ClientSession() as http:
        tokens = [await open_case(http, url, f"198.51.100.{n + 1}") for n in range(quiet_count)]
    quiet = [Quiet(url, t, f"198.51.100.{n + 1}") for n, t in enumerate(tokens)]
    for q in quiet:
        await q.start()
    try:
        await phase(url, quiet, 1.0, folder, None, 0)  # warm-up, not counted
        quiets, floods = {}, {}
        for n, event in enumerate(events, start=1):
            # A quiet phase right before each flood: the baseline follows the machine's load.
            quiets[event] = await phase(url, quiet, seconds, folder, None, 0)
            floods[event] = await phase(url, quiet, seconds, folder, event, n)
            print(
                f"    {event:>13}: {floods[event]['flood_sent']:7d} sent; hello p99 "
                f"{quiets[event]['hello_p99']:6.1f} → {floods[event]['hello_p99']:6.1f} ms, "
                f"healthz p99 {quiets[event]['healthz_p99']:6.1f} → "
                f"{floods[event]['healthz_p99']:6.1f} ms, log +{floods[event]['log_bytes']} B",
                flush=True,
            )
    finally:
        for q in quiet:
            if q.client is not None:
                await q.client.disconnect()
    accepted = {t for q in quiet for t in q.accepted} | {
        t for f in floods.values() for t in f["flood_accepted"]
    }
    lost = await delivered(slack, accepted)

    def ratio(key: str) -> float:
        return float(max(floods[e][key] / quiets[e][key] for e in events))

    return {
        "quiet_hello_p99_ms": max(q["hello_p99"] for q in quiets.values()),
        "quiet_healthz_p99_ms": max(q["healthz_p99"] for q in quiets.values()),
        "flood_hello_p99_ms": max(f["hello_p99"] for f in floods.values()),
        "flood_healthz_p99_ms": max(f["healthz_p99"] for f in floods.values()),
        "hello_ratio": ratio("hello_p99"),
        "healthz_ratio": ratio("healthz_p99"),
        "max_log_growth_bytes": max(f["log_bytes"] for f in floods.values()),
        "flood_events_per_s": sum(f["flood_sent"] for f in floods.values())
        / (seconds * len(floods)),
        "accepted_messages": len(accepted),
        "lost_messages": len(lost),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quiet", type=int, default=6, help="quiet customers")
    parser.add_argument("--quick", action="store_true", help="2 s phases, one run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--address", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(await flood(args.url, args.worker, args.seconds, args.address)))
        return
    if args.quick:
        args.seconds, args.repeat = 2.0, 1
    events = [*SOCKET_EVENTS, *HTTP_FLOODS]
    runs = []
    for n in range(args.repeat):
        print(f"run {n + 1}/{args.repeat}: {args.seconds:g} s per phase", flush=True)
        runs.append(await one_run(args.seconds, args.quiet, events))
    keys = [
        "quiet_hello_p99_ms",
        "flood_hello_p99_ms",
        "hello_ratio",
        "quiet_healthz_p99_ms",
        "flood_healthz_p99_ms",
        "healthz_ratio",
        "max_log_growth_bytes",
        "flood_events_per_s",
        "accepted_messages",
        "lost_messages",
    ]
    medians = report("abuse", runs, keys)
    worst = {
        "hello_ratio": max(r["hello_ratio"] for r in runs),
        "healthz_ratio": max(r["healthz_ratio"] for r in runs),
        "log_growth_bytes": max(r["max_log_growth_bytes"] for r in runs),
        "lost_messages": max(r["lost_messages"] for r in runs),
    }
    passed = (
        worst["hello_ratio"] < GOAL_RATIO
        and worst["healthz_ratio"] < GOAL_RATIO
        and worst["log_growth_bytes"] < GOAL_LOG_BYTES
        and worst["lost_messages"] == 0
    )
    print(f"goal (ratios < {GOAL_RATIO}, log < 1 MB per phase, nothing lost): {passed}")
    emit(
        {
            "bench": "abuse",
            "seconds_per_phase": args.seconds,
            "runs": len(runs),
            "events": events,
            "median": medians,
            "worst": {k: round(v, 2) for k, v in worst.items()},
            "goal_met": passed,
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
