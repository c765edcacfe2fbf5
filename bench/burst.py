"""A burst of cases into one Slack channel, and one case in another channel meanwhile.

    .venv/bin/python bench/burst.py [--cases 200] [--rate 4] [--repeat 3] [--db sqlite|postgresql]
    .venv/bin/python bench/burst.py --quick

Runs casebridge's real app and deliverer against the local Slack, whose per-channel posting
limit is `--rate` posts a second (Slack's own is about 1; the default 4 keeps a 200-case run
under a minute — the figures that matter are the ratios). Each repeat measures, on a fresh
Slack and database:

- floor_s: the rate-limit floor — a bare slack_sdk client posting `cases` messages into a
  channel of the same Slack, waiting out each 429's Retry-After (the baseline, same run);
- drain_s: from the burst's start until the last of its case messages is in the busy channel;
- other_channel_s: a case opened in another channel once the burst is queued, from the moment
  it is accepted (committed) until its case message is posted (it must not wait behind the
  burst);
- lost / duplicated / reordered: case messages missing or posted twice, and customer lines of
  the other case out of order in its thread.

Ends with one JSON line: {"bench": "burst", "cases", "drain_s", "floor_s", "other_channel_s",
"lost", "reordered", …} (medians; _min/_max beside them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.bootstrap import bootstrap
from bridge.core.routing import Mode
from bridge.outbox.deliverer import DeliveryPolicy
from bridge.services import customer, portals
from bridge.services.intake import NewCase, open_case
from bridge.settings import Settings
from bridge.slack.calls import ChannelPacing
from bridge.web import create_app
from slackemu import SlackEmu
from slackemu.server import bound_port
from slackemu.state import BOT_USER_ID
from storage import migrate

SECRET = "bench-secret"
PG = "postgresql://postgres@127.0.0.1:5432"
BUSY, OTHER, FLOOR = "C0BUSY", "C0OTHER", "C0FLOOR"
LINES = ("first line", "second line", "third line")


@dataclass
class Run:
    drain_s: float
    floor_s: float
    other_channel_s: float
    lost: int
    duplicated: int
    reordered: int


class Posts:
    """When each case message (by its reference) reached which channel."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, float]] = []

    def record(self, method: str, params: Any, message: Any) -> None:
        if method == "chat.postMessage" and message is not None:
            self.seen.append((str(params.get("channel")), message.text, time.perf_counter()))

    def arrived(self, channel: str, reference: str) -> list[float]:
        return [at for where, text, at in self.seen if where == channel and reference in text]


async def a_database(db: str) -> tuple[str, Any]:
    if db == "sqlite":
        folder = tempfile.mkdtemp(prefix="casebridge-burst-")
        url = f"sqlite+aiosqlite:///{folder}/casebridge.db"
        await migrate.upgrade(url)
        return url, None
    name = f"casebridge_burst_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(f"{PG}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = f"{PG.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    await migrate.upgrade(url)
    return url, name


async def drop_database(name: str | None) -> None:
    if name is None:
        return
    admin = await asyncpg.connect(f"{PG}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


def limit(rate: float) -> str:
    """The per-channel posting limit, as Slack enforces it: a few seconds' worth at once."""
    return f"{round(rate * 3)} per 3 seconds"


async def floor(slack: SlackEmu, cases: int) -> float:
    """The bare minimum: `cases` posts through slack_sdk, waiting only what Slack asks."""
    client = AsyncWebClient(token="xoxb-local", base_url=slack.api_url, retry_handlers=[])
    started = time.perf_counter()
    for n in range(cases):
        while True:
            try:
                await client.chat_postMessage(channel=FLOOR, text=f"floor {n}")
                break
            except SlackApiError as exc:
                if exc.response.status_code != 429:
                    raise
                await asyncio.sleep(float(exc.response.headers.get("Retry-After", 1)))
    return time.perf_counter() - started


async def one_run(db: str, cases: int, rate: float) -> Run:
    url, name = await a_database(db)
    slack = await SlackEmu(
        signing_secret=SECRET, channel_posts=limit(rate), tiers_enabled=False
    ).start()
    for channel, label in ((BUSY, "busy"), (OTHER, "other"), (FLOOR, "floor")):
        slack.workspace.add_channel(channel, label, {BOT_USER_ID})
    posts = Posts()
    original = slack.record_call

    def record_call(method: str, params: Any, message: Any) -> None:
        original(method, params, message)
        posts.record(method, params, message)

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
        delivery=DeliveryPolicy(poll_interval=0.5, lease=timedelta(seconds=30)),
        pacing=ChannelPacing(limit(rate)),
    )
    runner = web.AppRunner(create_app(components), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    slack.deliver_to(f"http://127.0.0.1:{bound_port(site)}/slack/events")
    ctx = components.services
    try:
        await portals.create_portal(
            ctx, company="Busy", subdomain="busy", mode=Mode.BROADCAST, channel_id=BUSY
        )
        await portals.create_portal(
            ctx, company="Other", subdomain="other", mode=Mode.BROADCAST, channel_id=OTHER
        )

        def new_case(subdomain: str, n: int) -> NewCase:
            return NewCase(
                subdomain=subdomain,
                first_name="Ana",
                last_name=f"L{n}",
                email=f"ana{n}@example.com",
                question="help",
            )

        started = time.perf_counter()
        burst = await asyncio.gather(*(open_case(ctx, new_case("busy", n)) for n in range(cases)))
        other = await open_case(ctx, new_case("other", cases))
        other_opened_at = time.perf_counter()
        for line in LINES:
            await customer.post_customer_message(ctx, other.token, line)
        references = [c.case.reference for c in burst]
        deadline = time.monotonic() + cases / rate * 3 + 60
        while time.monotonic() < deadline:
            done = all(posts.arrived(BUSY, r) for r in references)
            if done and posts.arrived(OTHER, other.case.reference) and _other_lines(slack, other):
                break
            await asyncio.sleep(0.05)
        busy_times = [posts.arrived(BUSY, r) for r in references]
        other_times = posts.arrived(OTHER, other.case.reference)
        lost = sum(1 for t in busy_times if not t) + (0 if other_times else 1)
        duplicated = sum(len(t) - 1 for t in busy_times if len(t) > 1)
        lines = _other_lines(slack, other)
        counted = Counter(lines)
        lost += sum(1 for line in LINES if line not in counted)
        duplicated += sum(n - 1 for n in counted.values() if n > 1)
        reordered = 0 if [x for x in lines if x in LINES] == list(LINES) else 1
        arrived = [min(t) for t in busy_times if t]
        drain = (max(arrived) - started) if arrived else float("nan")
        other_s = (min(other_times) - other_opened_at) if other_times else float("nan")
        floor_s = await floor(slack, cases)
    finally:
        await runner.cleanup()
        await slack.stop()
        await drop_database(name)
    return Run(drain, floor_s, other_s, lost, duplicated, reordered)


def _other_lines(slack: SlackEmu, other: Any) -> list[str]:
    card = next((m for m in slack.messages(OTHER) if other.case.reference in m.text), None)
    if card is None:
        return []
    return [
        line for m in slack.thread(OTHER, card.ts)[1:] if m.username for line in m.text.split("\n")
    ]


def spread(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--rate", type=float, default=4.0, help="Slack's posts/s per channel")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--quick", action="store_true", help="40 cases at 4/s, twice")
    args = parser.parse_args()
    if args.quick:
        args.cases, args.rate, args.repeat = 40, 4.0, 2
    runs = []
    for n in range(args.repeat):
        run = await one_run(args.db, args.cases, args.rate)
        runs.append(run)
        print(
            f"run {n + 1}: {args.cases} cases drained in {run.drain_s:.1f}s "
            f"(floor {run.floor_s:.1f}s); other channel {run.other_channel_s:.2f}s; "
            f"lost {run.lost}, duplicated {run.duplicated}, reordered {run.reordered}",
            file=sys.stderr,
        )
    figures: dict[str, Any] = {"bench": "burst", "cases": args.cases, "db": args.db}
    figures["rate_per_s"] = args.rate
    for field in ("drain_s", "floor_s", "other_channel_s"):
        low, middle, high = spread([getattr(r, field) for r in runs])
        print(f"{field:>16}: min {low:.2f}  median {middle:.2f}  max {high:.2f}", file=sys.stderr)
        figures[field] = round(middle, 3)
        figures[f"{field}_min"], figures[f"{field}_max"] = round(low, 3), round(high, 3)
    figures["drain_over_floor"] = round(figures["drain_s"] / figures["floor_s"], 3)
    figures["lost"] = sum(r.lost for r in runs)
    figures["duplicated"] = sum(r.duplicated for r in runs)
    figures["reordered"] = sum(r.reordered for r in runs)
    figures["repeats"] = args.repeat
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
