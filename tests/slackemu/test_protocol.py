"""Slack's wire protocol details: signatures, retries, rate limits, Socket Mode, errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from slackemu import SlackEmu
from slackemu.delivery import sign
from tests.slackemu.conftest import APP_TOKEN, Rig


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmu]:
    emu = await SlackEmu().start()
    yield emu
    await emu.stop()


def web_client(slack: SlackEmu, token: str | None = None) -> AsyncWebClient:
    return AsyncWebClient(token=token or slack.bot_token, base_url=slack.api_url)


class Recorder:
    """A bare app endpoint that records requests and answers as told."""

    def __init__(self, delays: list[float] | None = None, statuses: list[int] | None = None):
        self.requests: list[tuple[dict[str, str], str]] = []
        self.delays = delays or []
        self.statuses = statuses or []
        self.answered = 0
        self.change = asyncio.Condition()

    async def handle(self, request: web.Request) -> web.Response:
        n = len(self.requests)
        self.requests.append((dict(request.headers), await request.text()))
        if n < len(self.delays):
            await asyncio.sleep(self.delays[n])  # a slow app, not the test waiting
        async with self.change:
            self.answered += 1
            self.change.notify_all()
        return web.Response(status=self.statuses[n] if n < len(self.statuses) else 200)

    async def all_answered(self, count: int) -> None:
        """Until the app has answered `count` requests (a late answer included)."""
        async with self.change:
            await self.change.wait_for(lambda: self.answered >= count)


async def serve(handler: Any) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/slack/events", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site.port}/slack/events"


async def test_every_delivery_is_signed_the_way_bolt_verifies(slack: SlackEmu) -> None:
    recorder = Recorder()
    runner, url = await serve(recorder.handle)
    slack.deliver_to(url)
    await slack.user_posts("UBOB", "C0SUPPORT", "hi")
    await slack.settle()
    headers, body = recorder.requests[0]
    stamp = headers["X-Slack-Request-Timestamp"]
    assert headers["X-Slack-Signature"] == sign(slack.signing_secret, stamp, body)
    envelope = json.loads(body)
    assert envelope["type"] == "event_callback" and envelope["event_id"].startswith("Ev")
    assert envelope["authorizations"][0]["is_bot"] is True
    await runner.cleanup()


async def test_a_forged_signature_is_refused_by_bolt_and_retried(http_rig: Rig) -> None:
    assert http_rig.slack.http is not None
    http_rig.slack.http.forge_signatures = True
    await http_rig.slack.user_posts("UBOB", "C0SUPPORT", "echo hello")
    await http_rig.slack.settle()
    attempts = http_rig.slack.http.log
    assert [a.status for a in attempts] == [401, 401, 401, 401]
    assert http_rig.heard.messages == []


async def test_a_slow_app_gets_retries_with_slacks_retry_headers(slack: SlackEmu) -> None:
    recorder = Recorder(delays=[0.6, 0.0], statuses=[200, 500, 200])
    runner, url = await serve(recorder.handle)
    slack.deliver_to(url, ack_timeout=0.3, retry_delays=(0.0, 0.0, 0.0))
    await slack.user_posts("UBOB", "C0SUPPORT", "hello")
    await slack.settle()
    await asyncio.wait_for(recorder.all_answered(3), 5)  # the first, slow one too
    retries = [
        (h.get("X-Slack-Retry-Num"), h.get("X-Slack-Retry-Reason")) for h, _ in recorder.requests
    ]
    assert retries == [(None, None), ("1", "http_timeout"), ("2", "http_error")]
    bodies = {json.loads(b)["event_id"] for _, b in recorder.requests}
    assert len(bodies) == 1  # the same event, not a new one
    await runner.cleanup()


async def test_over_the_channel_limit_slack_answers_429_and_slack_sdk_waits(
    slack: SlackEmu,
) -> None:
    slack.limits.channel_posts("1 per second")
    client = web_client(slack)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    first = await client.chat_postMessage(channel="C0SUPPORT", text="one")
    second = await client.chat_postMessage(channel="C0SUPPORT", text="two")
    assert first["ok"] and second["ok"]
    outcomes = [
        response.get("error") for name, _, response in slack.calls if name == "chat.postMessage"
    ]
    assert outcomes == [None, "ratelimited", None]


async def test_429_carries_retry_after_and_other_channels_are_not_held_up(slack: SlackEmu) -> None:
    slack.limits.channel_posts("1 per 2 seconds")
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {slack.bot_token}"}
        url = f"{slack.api_url}chat.postMessage"
        ok = await http.post(url, json={"channel": "C0SUPPORT", "text": "a"}, headers=headers)
        limited = await http.post(url, json={"channel": "C0SUPPORT", "text": "b"}, headers=headers)
        elsewhere = await http.post(url, json={"channel": "UBOB", "text": "c"}, headers=headers)
        assert ok.status == 200 and elsewhere.status == 200
        assert limited.status == 429 and int(limited.headers["Retry-After"]) >= 1
        assert await limited.json() == {"ok": False, "error": "ratelimited"}


async def test_injected_faults_fail_delay_and_drop(slack: SlackEmu) -> None:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, retry_handlers=[])
    slack.faults.fail("chat.postMessage", times=2, status=503)
    for _ in range(2):
        with pytest.raises(SlackApiError) as failed:
            await client.chat_postMessage(channel="C0SUPPORT", text="x")
        assert failed.value.response.status_code == 503
    slack.faults.drop("chat.postMessage")
    with pytest.raises(aiohttp.ClientError):
        await client.chat_postMessage(channel="C0SUPPORT", text="x")
    slack.faults.delay("auth.test", seconds=0.5)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(client.auth_test(), 0.2)
    assert (await client.chat_postMessage(channel="C0SUPPORT", text="finally"))["ok"]


async def test_slack_sdk_by_default_retries_a_dropped_connection_once(slack: SlackEmu) -> None:
    slack.faults.drop("chat.postMessage")
    assert (await web_client(slack).chat_postMessage(channel="C0SUPPORT", text="x"))["ok"]
    assert [m.text for m in slack.messages("C0SUPPORT")] == ["x"]


@pytest.mark.parametrize(
    ("method", "kwargs", "error"),
    [
        ("chat_postMessage", {"channel": "CNOPE", "text": "x"}, "channel_not_found"),
        ("chat_postMessage", {"channel": "C0GENERAL", "text": "x"}, "not_in_channel"),
        (
            "chat_postMessage",
            {
                "channel": "C0SUPPORT",
                "text": "x",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}],
            },
            "invalid_blocks",
        ),
        (
            "chat_postMessage",
            {"channel": "C0SUPPORT", "text": "x", "blocks": [{"type": "fancy"}]},
            "invalid_blocks",
        ),
        (
            "chat_update",
            {"channel": "C0SUPPORT", "ts": "1.000001", "text": "x"},
            "message_not_found",
        ),
        ("users_info", {"user": "UNOBODY"}, "user_not_found"),
        ("views_open", {"trigger_id": "made-up", "view": {"type": "modal"}}, "invalid_trigger_id"),
    ],
)
async def test_slacks_error_names(
    slack: SlackEmu, method: str, kwargs: dict[str, Any], error: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        await getattr(web_client(slack), method)(**kwargs)
    assert refused.value.response["error"] == error
    assert refused.value.response.headers["content-type"].startswith("application/json")


async def test_a_message_with_nothing_in_it_is_refused(slack: SlackEmu) -> None:
    with pytest.warns(UserWarning, match="text"), pytest.raises(SlackApiError) as refused:
        await web_client(slack).chat_postMessage(channel="C0SUPPORT")
    assert refused.value.response["error"] == "no_text"


async def test_invalid_blocks_point_at_the_problem(slack: SlackEmu) -> None:
    with pytest.raises(SlackApiError) as refused:
        await web_client(slack).chat_postMessage(
            channel="C0SUPPORT",
            text="x",
            blocks=[
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "a",
                            "text": {"type": "plain_text", "text": "x" * 80},
                        }
                    ],
                }
            ],
        )
    assert refused.value.response["errors"] == [
        "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]"
    ]


async def test_tokens_are_checked(slack: SlackEmu) -> None:
    with pytest.raises(SlackApiError) as wrong:
        await web_client(slack, token="xoxb-stolen").auth_test()
    assert wrong.value.response["error"] == "invalid_auth"
    async with aiohttp.ClientSession() as http:
        response = await http.post(f"{slack.api_url}auth.test")
        assert (await response.json())["error"] == "not_authed"
        unknown = await http.post(f"{slack.api_url}chat.teleport", data={"token": "xoxb-local"})
        assert (await unknown.json())["error"] == "unknown_method"


async def test_updating_or_deleting_a_users_message_is_refused(slack: SlackEmu) -> None:
    mine = await slack.user_posts("UBOB", "C0SUPPORT", "mine")
    client = web_client(slack)
    for call, error in (
        (client.chat_update(channel="C0SUPPORT", ts=mine.ts, text="x"), "cant_update_message"),
        (client.chat_delete(channel="C0SUPPORT", ts=mine.ts), "cant_delete_message"),
    ):
        with pytest.raises(SlackApiError) as refused:
            await call
        assert refused.value.response["error"] == error


async def test_parameters_arrive_by_query_form_or_json(slack: SlackEmu) -> None:
    async with aiohttp.ClientSession() as http:
        base = f"{slack.api_url}chat.postMessage"
        blocks = json.dumps([{"type": "divider"}])
        by_query = await http.post(f"{base}?token=xoxb-local&channel=C0SUPPORT&text=q")
        by_form = await http.post(
            base,
            data={
                "token": "xoxb-local",
                "channel": "C0SUPPORT",
                "text": "f",
                "blocks": blocks,
                "team_id": "T1",
            },
        )
        by_json = await http.post(
            base,
            json={"channel": "C0SUPPORT", "text": "j"},
            headers={"Authorization": "Bearer xoxb-local"},
        )
        for response in (by_query, by_form, by_json):
            assert (await response.json())["ok"], await response.text()
    assert [m.text for m in slack.messages("C0SUPPORT")] == ["q", "f", "j"]


async def test_threads_dms_and_reads(slack: SlackEmu) -> None:
    client = web_client(slack)
    parent = await client.chat_postMessage(channel="C0SUPPORT", text="case")
    await client.chat_postMessage(channel="C0SUPPORT", text="reply", thread_ts=parent["ts"])
    await slack.user_posts("UBOB", "C0SUPPORT", "agent reply", thread_ts=parent["ts"])
    replies = await client.conversations_replies(channel="C0SUPPORT", ts=parent["ts"])
    assert [m["text"] for m in replies["messages"]] == ["case", "reply", "agent reply"]
    assert replies["messages"][0]["reply_count"] == 2
    history = await client.conversations_history(channel="C0SUPPORT")
    assert [m["text"] for m in history["messages"]] == ["case"]
    dm = await client.conversations_open(users="UBOB")
    await client.chat_postMessage(channel=dm["channel"]["id"], text="psst")
    assert slack.messages(dm["channel"]["id"])[0].text == "psst"
    alice = await client.users_info(user="UALICE")
    assert alice["user"]["is_admin"] and alice["user"]["profile"]["email"]
    members = await client.conversations_members(channel="C0SUPPORT")
    assert "UBOB" in members["members"]
    listed = await client.conversations_list(types="public_channel", limit=1)
    assert len(listed["channels"]) == 1 and listed["response_metadata"]["next_cursor"]
    info = await client.conversations_info(channel="C0SUPPORT")
    assert info["channel"]["name"] == "support" and info["channel"]["is_member"]


async def test_ephemeral_messages_are_seen_by_one_user(slack: SlackEmu) -> None:
    client = web_client(slack)
    await client.chat_postEphemeral(channel="C0SUPPORT", user="UBOB", text="only you")
    assert [m.text for m in slack.messages("C0SUPPORT", viewer="UBOB")] == ["only you"]
    assert slack.messages("C0SUPPORT", viewer="UCAROL") == []


async def test_response_urls_post_ephemerally_in_channel_replace_and_delete(
    slack: SlackEmu,
) -> None:
    client = web_client(slack)
    original = await client.chat_postMessage(
        channel="C0SUPPORT", text="original", blocks=[{"type": "divider"}]
    )
    url = slack.new_response_url(user="UBOB", channel="C0SUPPORT", message_ts=original["ts"])
    async with aiohttp.ClientSession() as http:
        await http.post(url, json={"text": "psst"})
        await http.post(url, json={"text": "hello all", "response_type": "in_channel"})
        await http.post(url, json={"text": "replaced", "replace_original": True})
        seen = [m.text for m in slack.messages("C0SUPPORT", viewer="UBOB")]
        assert seen == ["replaced", "psst", "hello all"]
        assert slack.messages("C0SUPPORT")[0].blocks is None  # replaced whole, as Slack does
        await http.post(url, json={"delete_original": True})
        fifth = await http.post(url, json={"text": "fifth"})
        too_many = await http.post(url, json={"text": "sixth"})
        assert fifth.status == 200
        assert too_many.status == 404
    assert [m.text for m in slack.messages("C0SUPPORT")] == ["hello all"]
    assert [m.text for m in slack.ephemerals("UBOB")] == ["psst", "fifth"]


async def test_bot_messages_come_back_as_events_with_bot_id(slack: SlackEmu) -> None:
    recorder = Recorder()
    runner, url = await serve(recorder.handle)
    slack.deliver_to(url)
    posted = await web_client(slack).chat_postMessage(
        channel="C0SUPPORT", text="from bot", username="Ana Lima"
    )
    await web_client(slack).chat_update(channel="C0SUPPORT", ts=posted["ts"], text="edited")
    await web_client(slack).chat_delete(channel="C0SUPPORT", ts=posted["ts"])
    await slack.settle()
    events = [json.loads(body)["event"] for _, body in recorder.requests]
    assert [e.get("subtype") for e in events] == [
        "bot_message",
        "message_changed",
        "message_deleted",
    ]
    assert events[0]["bot_id"] and events[0]["username"] == "Ana Lima"
    assert events[1]["message"]["text"] == "edited" and events[2]["deleted_ts"] == posted["ts"]
    await runner.cleanup()


async def test_socket_mode_redelivers_an_unacked_envelope() -> None:
    slack = await SlackEmu(app_token=APP_TOKEN, ack_timeout=0.3).start()
    seen: list[tuple[str, int | None]] = []

    async def listener(client: SocketModeClient, request: SocketModeRequest) -> None:
        seen.append((request.envelope_id, request.retry_attempt))
        if len(seen) > 1:  # ignore the first delivery: no ack
            await client.send_socket_mode_response(SocketModeResponse(request.envelope_id))

    client = SocketModeClient(app_token=APP_TOKEN, web_client=web_client(slack))
    client.socket_mode_request_listeners.append(listener)  # type: ignore[arg-type]
    await client.connect()  # type: ignore[no-untyped-call]
    await slack.user_posts("UBOB", "C0SUPPORT", "hello")
    await slack.settle()
    assert len(seen) == 2 and seen[0][0] == seen[1][0]
    assert [attempt for _, attempt in seen] == [0, 1]
    assert slack.socket is not None and [a.status for a in slack.socket.log] == [None, 200]
    await client.close()  # type: ignore[no-untyped-call]
    await slack.stop()


async def test_socket_mode_refresh_reconnects_and_keeps_delivering(socket_rig: Rig) -> None:
    assert socket_rig.slack.socket is not None
    await socket_rig.slack.socket.refresh()
    await socket_rig.slack.wait_for(
        lambda: (
            len(socket_rig.slack.socket.connections) == 1  # type: ignore[union-attr]
            and socket_rig.slack.calls_to("apps.connections.open")[1:]
        )
    )
    question = await socket_rig.slack.user_posts("UBOB", "C0SUPPORT", "echo again")
    reply = await socket_rig.slack.wait_for_message(
        "C0SUPPORT", thread_ts=question.ts, contains="you said again"
    )
    assert reply.bot_id


async def test_apps_connections_open_wants_the_app_token() -> None:
    slack = await SlackEmu(app_token=APP_TOKEN).start()
    with pytest.raises(SlackApiError) as refused:
        await web_client(slack).apps_connections_open(app_token="xapp-wrong")
    assert refused.value.response["error"] == "invalid_auth"
    opened = await web_client(slack).apps_connections_open(app_token=APP_TOKEN)
    assert opened["url"].startswith(f"{slack.ws_url}/link/?ticket=")
    await slack.stop()


async def test_the_bot_creates_a_channel_and_invites_people(slack: SlackEmu) -> None:
    client = web_client(slack)
    created = await client.conversations_create(name="acme-support")
    channel = created["channel"]
    assert channel["name"] == "acme-support" and channel["is_member"]
    await client.conversations_invite(channel=channel["id"], users="UBOB,UCAROL")
    members = await client.conversations_members(channel=channel["id"])
    assert {"UBOB", "UCAROL"} <= set(members["members"])
    for call, refusal in (
        (client.conversations_create(name="acme-support"), "name_taken"),
        (client.conversations_create(name="Acme Support!"), "invalid_name_specials"),
        (client.conversations_invite(channel=channel["id"], users="UBOB"), "already_in_channel"),
        (client.conversations_invite(channel=channel["id"], users="UNOBODY"), "user_not_found"),
    ):
        with pytest.raises(SlackApiError) as refused:
            await call
        assert refused.value.response["error"] == refusal
