"""The local Slack checked against material nobody here wrote.

- every error name each Web API method can answer is one Slack's published Web API spec lists
  for that method (tests/fixtures/slack/web_api_spec.json, with its origin);
- the events it sends for replies also sent to the channel, files and joins, and its Socket
  Mode envelopes, have every field of the payloads slackapi recorded
  (tests/fixtures/slack/recorded/);
- membership, archived channels, revoked tokens and scopes answer as the spec says, through
  slack_sdk.
"""

from __future__ import annotations

import ast
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

import slackemu
from slackemu import SlackEmu
from slackemu.delivery import EVENTS
from slackemu.state import BOT_USER_ID
from slackemu.webapi import ALL_METHODS
from tests.slackemu.test_payload_shapes import Capture, missing

FIXTURES = Path(__file__).parents[1] / "fixtures" / "slack"
SPEC = json.loads((FIXTURES / "web_api_spec.json").read_text())["methods"]
SOURCES = ["methods.py", "views.py", "blockkit.py", "files.py"]
# What the workspace's look-ups answer when nothing matches (slackemu/state.py).
LOOKUPS = {"channel": "channel_not_found", "find": "message_not_found", "user": "user_not_found"}

# Errors any method can answer (the spec lists them per method, unevenly).
EVERY_METHOD = {"not_authed", "invalid_auth", "token_revoked", "account_inactive", "missing_scope"}
# Where the spec (last published years ago) lags Slack's documentation pages.
NEWER_THAN_THE_SPEC = {
    ("chat.postMessage", "invalid_blocks"),  # docs.slack.dev chat.postMessage errors
    ("chat.postMessage", "invalid_metadata_format"),  # message metadata came later
    ("chat.postMessage", "message_not_found"),  # a thread_ts that does not exist
    ("chat.update", "invalid_blocks"),
    ("chat.postEphemeral", "invalid_blocks"),
    ("chat.postEphemeral", "user_not_found"),  # a user id that does not exist
    # docs.slack.dev lists not_in_channel for reading a channel the bot is not in
    ("conversations.history", "not_in_channel"),
    ("conversations.replies", "not_in_channel"),
    ("conversations.invite", "user_not_found"),
    ("conversations.members", "user_not_found"),
    ("users.info", "user_not_found"),
    ("reactions.add", "channel_not_found"),  # a channel that does not exist
    ("reactions.remove", "channel_not_found"),
}


def raised_by_function() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """For every function of the stand-in: the error names it raises, the names it calls."""
    errors: dict[str, set[str]] = {}
    calls: dict[str, set[str]] = {}
    for source in SOURCES:
        tree = ast.parse((Path(slackemu.__file__).parent / source).read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            raised, called = errors.setdefault(node.name, set()), calls.setdefault(node.name, set())
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call):
                    name = getattr(inner.func, "id", None) or getattr(inner.func, "attr", None)
                    owner = getattr(inner.func, "value", None)
                    owner_name = getattr(owner, "attr", None) or getattr(owner, "id", None)
                    if owner_name in ("workspace", "ws") and name in LOOKUPS:
                        raised.add(LOOKUPS[str(name)])
                        continue
                    if name == "SlackError" and inner.args:
                        if isinstance(inner.args[0], ast.Constant):
                            raised.add(str(inner.args[0].value))
                    elif name:
                        called.add(name)
    return errors, calls


def errors_of(function: str, errors: dict[str, set[str]], calls: dict[str, set[str]]) -> set[str]:
    seen, todo, found = set(), [function], set()
    while todo:
        name = todo.pop()
        if name in seen or name not in errors:
            continue
        seen.add(name)
        found |= errors[name]
        todo += calls[name]
    return found


@pytest.mark.parametrize(
    "method", sorted(m for m in set(ALL_METHODS) & set(SPEC) if SPEC[m]["errors"])
)
def test_every_error_the_stand_in_answers_is_one_slack_lists(method: str) -> None:
    errors, calls = raised_by_function()
    answered = errors_of(ALL_METHODS[method].__name__, errors, calls)
    listed = set(SPEC[method]["errors"]) | EVERY_METHOD
    unknown = {e for e in answered - listed if (method, e) not in NEWER_THAN_THE_SPEC}
    assert not unknown, f"{method} answers errors Slack does not list: {sorted(unknown)}"


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmu]:
    async with SlackEmu() as emu:
        yield emu


async def test_membership_archives_tokens_and_scopes_answer_as_slack_does(
    slack: SlackEmu,
) -> None:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)

    async def refused(method: str, **kwargs: Any) -> dict[str, Any]:
        with pytest.raises(SlackApiError) as raised:
            await getattr(client, method)(**kwargs)
        data: dict[str, Any] = raised.value.response.data
        api_name = method.replace("_", ".", 1)
        assert data["error"] in set(SPEC[api_name]["errors"]) | EVERY_METHOD
        return data

    # not a member of #general: not_in_channel, unless the install has chat:write.public
    assert (await refused("chat_postMessage", channel="C0GENERAL", text="hi"))["error"] == (
        "not_in_channel"
    )
    slack.workspace.scopes.add("chat:write.public")
    await client.chat_postMessage(channel="C0GENERAL", text="hi")
    slack.workspace.scopes.discard("chat:write.public")
    # joining a public channel is allowed; a private one is invisible
    joined = await client.conversations_join(channel="C0GENERAL")
    assert joined["channel"]["is_member"] is True
    slack.workspace.add_channel("G0VIP", "vip", {"UALICE"}, is_private=True)
    assert (await refused("conversations_join", channel="G0VIP"))["error"] == "channel_not_found"
    assert (await refused("chat_postMessage", channel="G0VIP", text="hi"))["error"] == (
        "channel_not_found"
    )
    # archived
    await slack.archive("C0GENERAL")
    assert (await refused("chat_postMessage", channel="C0GENERAL", text="hi"))["error"] == (
        "is_archived"
    )
    info = await client.conversations_info(channel="C0GENERAL")
    assert info["channel"]["is_archived"] is True
    # the granted scopes come back on every answer; a missing one is named
    answer = await client.auth_test()
    assert set(answer.headers["X-OAuth-Scopes"].split(",")) == slack.workspace.scopes
    slack.workspace.scopes.discard("channels:join")
    data = await refused("conversations_join", channel="C0SUPPORT")
    assert data["error"] == "missing_scope" and data["needed"] == "channels:join"
    # an uninstalled app's token
    await slack.set_token("revoked")
    assert (await refused("auth_test"))["error"] == "token_revoked"
    assert (await refused("chat_postMessage", channel="C0SUPPORT", text="x"))["error"] == (
        "token_revoked"
    )


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "recorded" / name).read_text())
    return data


IMAGE_ONLY = {"thumb_", "original_", "media_display_type"}


def without_image_fields(sample: dict[str, Any]) -> dict[str, Any]:
    """A recorded file_share event minus what only an image upload carries."""
    event: dict[str, Any] = json.loads(json.dumps(sample["event"]))
    for shared in event["files"]:
        for key in list(shared):
            if any(key.startswith(prefix) for prefix in IMAGE_ONLY):
                del shared[key]
    return event


async def test_replies_to_channel_files_and_joins_have_slacks_recorded_fields() -> None:
    async with SlackEmu() as slack:
        capture = Capture()
        slack.deliver = capture.deliver  # type: ignore[method-assign]
        root = await slack.user_posts("UBOB", "C0SUPPORT", "Write in the thread")
        await slack.user_posts(
            "UBOB", "C0SUPPORT", "Hi there!", thread_ts=root.ts, also_to_channel=True
        )
        await slack.user_posts("UBOB", "C0SUPPORT", "Hi there!", files=["file.png"])
        slack.workspace.add_channel("C0NEW", "new", {"UALICE"})
        await slack.invite_bot("C0NEW")
        await slack.settle()
    events = {
        body["event"].get("subtype"): body["event"] for kind, body in capture.sent if kind == EVENTS
    }
    assert (
        missing(
            recorded("event_message_thread_broadcast.json")["event"], events["thread_broadcast"]
        )
        == []
    )
    assert (
        missing(
            without_image_fields(recorded("event_message_file_share.json")), events["file_share"]
        )
        == []
    )
    join = recorded("event_message_channel_join.json")["event"]
    assert missing(join, events["channel_join"]) == []
    assert events["channel_join"]["user"] == BOT_USER_ID


async def test_socket_mode_envelopes_have_every_field_slack_sends() -> None:
    async with SlackEmu(app_token="xapp-local") as slack:
        client = AsyncWebClient(base_url=slack.api_url)
        url = (await client.apps_connections_open(app_token="xapp-local"))["url"]
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
            hello = await ws.receive_json()
            posted = slack.user_posts("UBOB", "C0SUPPORT", "<@U111> Hi here!")
            await posted
            event = await ws.receive_json()
            await ws.send_json({"envelope_id": event["envelope_id"]})
            ran = slack.user_runs("UBOB", "C0SUPPORT", "/casebridge status")
            import asyncio

            running = asyncio.ensure_future(ran)
            command = await ws.receive_json()
            await ws.send_json({"envelope_id": command["envelope_id"], "payload": {}})
            await running
            await slack.socket.refresh()  # type: ignore[union-attr]
            goodbye = await ws.receive_json()
    assert missing(recorded("socket_mode_hello.json"), hello) == []
    assert missing(recorded("socket_mode_events_api_message.json"), event) == []
    assert missing(recorded("socket_mode_slash_commands.json"), command) == []
    assert missing(recorded("socket_mode_disconnect.json"), goodbye) == []
