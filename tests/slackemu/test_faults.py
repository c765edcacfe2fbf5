"""Breaking the stand-in on purpose: outages, 429 storms and slow answers, per method, for a
while, cleared at will, from this process or another; and Slack's redelivery schedule."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slackemu import SlackEmu
from slackemu.delivery import SLACK_RETRY_DELAYS
from slackemu.faults import Faults


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmu]:
    emu = await SlackEmu().start()
    yield emu
    await emu.stop()


def client(slack: SlackEmu) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, retry_handlers=[])


async def refusal(call: object) -> tuple[int, str | None, str | None]:
    with pytest.raises(SlackApiError) as refused:
        await call  # type: ignore[misc]
    response = refused.value.response
    return response.status_code, response["error"], response.headers.get("Retry-After")


async def test_an_outage_of_one_method_leaves_the_others_working_until_cleared(
    slack: SlackEmu,
) -> None:
    slack.faults.outage("chat.postMessage", seconds=60)
    for _ in range(3):  # not counted: every call in the window fails
        assert await refusal(client(slack).chat_postMessage(channel="C0SUPPORT", text="x")) == (
            503,
            "service_unavailable",
            None,
        )
    assert (await client(slack).auth_test())["ok"]
    assert slack.messages("C0SUPPORT") == []  # an outage does nothing
    slack.faults.clear()
    assert (await client(slack).chat_postMessage(channel="C0SUPPORT", text="back"))["ok"]


async def test_a_429_storm_answers_retry_after_for_every_method() -> None:
    now = [100.0]
    faults = Faults(clock=lambda: now[0])
    faults.rate_limit(seconds=30, retry_after=7)
    hit = faults.next_for("conversations.replies")
    assert hit is not None and hit.status == 429 and hit.headers() == {"Retry-After": "7"}
    now[0] += 29.9
    assert faults.next_for("chat.update") is not None
    now[0] += 0.2  # the window has passed: Slack answers again
    assert faults.next_for("chat.update") is None
    assert faults.active() == []


async def test_a_429_from_the_api_carries_retry_after(slack: SlackEmu) -> None:
    slack.faults.rate_limit("chat.postMessage", seconds=30, retry_after=4)
    assert await refusal(client(slack).chat_postMessage(channel="C0SUPPORT", text="x")) == (
        429,
        "ratelimited",
        "4",
    )
    slack.faults.fail("auth.test", status=429)  # a counted 429 says when to come back, too
    assert (await refusal(client(slack).auth_test()))[2] == "1"


async def test_a_slow_window_does_the_work_and_answers_late(slack: SlackEmu) -> None:
    slack.faults.slow("chat.postMessage", seconds=30, by=0.5)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(
            client(slack).chat_postMessage(channel="C0SUPPORT", text="late"), 0.2
        )
    await slack.wait_for(lambda: slack.messages("C0SUPPORT"))
    assert [m.text for m in slack.messages("C0SUPPORT")] == ["late"]


async def test_other_processes_plan_list_and_clear_faults_over_http(slack: SlackEmu) -> None:
    async with aiohttp.ClientSession() as http:
        planned = await http.post(
            f"{slack.url}/_emu/fault",
            json={"fault": "outage", "method": "*", "options": {"seconds": 60, "status": 500}},
        )
        assert (await planned.json())["faults"][0]["status"] == 500
        status, _, _ = await refusal(client(slack).auth_test())
        assert status == 500
        listed = await (await http.get(f"{slack.url}/_emu/faults")).json()
        assert [(f["method"], f["hits"]) for f in listed["faults"]] == [("*", 1)]
        unknown = await http.post(f"{slack.url}/_emu/fault", json={"fault": "meteor"})
        assert unknown.status == 400 and "unknown fault" in (await unknown.json())["error"]
        await http.delete(f"{slack.url}/_emu/faults")
        assert (await client(slack).auth_test())["ok"]


async def test_events_are_redelivered_on_slacks_schedule_with_the_same_event_id() -> None:
    assert SLACK_RETRY_DELAYS == (0.0, 60.0, 300.0)  # at once, ~1 min, ~5 min, then given up
    seen: list[tuple[str | None, str]] = []
    answered = asyncio.Event()

    async def app(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append((request.headers.get("X-Slack-Retry-Num"), body["event_id"]))
        if len(seen) == 4:
            answered.set()
        return web.Response(status=503)  # our app is down: every try fails

    web_app = web.Application()
    web_app.router.add_post("/slack/events", app)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    async with SlackEmu(
        app_url=f"http://127.0.0.1:{port}/slack/events", retry_delays=(0.0, 0.05, 0.1)
    ) as slack:
        await slack.user_posts("UBOB", "C0SUPPORT", "hello")
        await asyncio.wait_for(answered.wait(), 10)
        await slack.settle()
        assert [retry for retry, _ in seen] == [None, "1", "2", "3"]
        assert len({event_id for _, event_id in seen}) == 1
        async with aiohttp.ClientSession() as http:  # and on demand, from another process
            ts = slack.messages("C0SUPPORT")[0].ts
            again = await http.post(f"{slack.url}/_emu/redeliver", json={"ts": ts})
            assert (await again.json())["attempts"] == 4
    await runner.cleanup()
