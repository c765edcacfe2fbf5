"""What the stand-in sends has every field, of the same type, that Slack's own samples have."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from slackemu import SlackEmu
from slackemu.delivery import COMMANDS, EVENTS, INTERACTIVE, Outcome
from slackemu.server import bound_port

SAMPLES = Path(__file__).parents[1] / "fixtures" / "slack"


def missing(sample: Any, ours: Any, path: str = "") -> list[str]:
    """Paths present in `sample` but absent (or of another JSON type) in `ours`."""
    if isinstance(sample, dict):
        if not isinstance(ours, dict):
            return [f"{path} is not an object"]
        gaps = []
        for key, value in sample.items():
            if key not in ours:
                gaps.append(f"{path}/{key}")
            else:
                gaps += missing(value, ours[key], f"{path}/{key}")
        return gaps
    if isinstance(sample, list):
        if not isinstance(ours, list):
            return [f"{path} is not an array"]
        return missing(sample[0], ours[0], f"{path}/0") if sample and ours else []
    if sample is None or ours is None:
        return []
    same = isinstance(ours, type(sample)) or (
        isinstance(sample, int | float) and isinstance(ours, int | float)
    )
    return [] if same else [f"{path} is {type(ours).__name__}, not {type(sample).__name__}"]


class Capture:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    async def deliver(self, kind: str, body: dict[str, Any]) -> Outcome:
        self.sent.append((kind, body))
        from slackemu.delivery import Outcome

        return Outcome(ok=True, status=200, body=None)


@pytest.fixture
async def captured() -> AsyncIterator[tuple[SlackEmu, Capture]]:
    slack = await SlackEmu().start()
    capture = Capture()
    slack.deliver = capture.deliver  # type: ignore[method-assign]
    yield slack, capture
    await slack.settle()
    await slack.stop()


def sample(name: str) -> Any:
    return json.loads((SAMPLES / f"{name}.json").read_text())


async def test_block_actions_and_slash_commands_match_slacks_samples(
    captured: tuple[SlackEmu, Capture],
) -> None:
    slack, capture = captured

    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
    posted = await client.chat_postMessage(
        channel="C0SUPPORT",
        text="case",
        blocks=[
            {
                "type": "actions",
                "block_id": "case",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "claim",
                        "value": "1",
                        "text": {"type": "plain_text", "text": "Assign to me"},
                    }
                ],
            }
        ],
    )
    await slack.settle()
    await slack.user_clicks("UBOB", "C0SUPPORT", posted["ts"], "claim")
    await slack.user_runs("UBOB", "C0SUPPORT", "/casebridge pin")
    by_kind = {kind: body for kind, body in capture.sent}
    assert missing(sample("block_actions"), by_kind[INTERACTIVE]) == []
    assert missing(sample("slash_command"), by_kind[COMMANDS]) == []


async def test_message_events_match_slacks_samples(captured: tuple[SlackEmu, Capture]) -> None:
    slack, capture = captured
    said = await slack.user_posts("UBOB", "C0SUPPORT", "hello")
    await slack.user_edits("UBOB", "C0SUPPORT", said.ts, "hello again")
    await slack.user_deletes("UBOB", "C0SUPPORT", said.ts)
    await slack.user_opens_home("UBOB")
    await slack.settle()
    envelopes = [body for kind, body in capture.sent if kind == EVENTS]
    by_subtype = {e["event"].get("subtype") or e["event"]["type"]: e for e in envelopes}
    assert missing(sample("event_message"), by_subtype["message"]) == []
    for name, key in (
        ("event_message_changed", "message_changed"),
        ("event_message_deleted", "message_deleted"),
        ("event_app_home_opened", "app_home_opened"),
    ):
        assert missing(sample(name), by_subtype[key]["event"]) == [], name


async def test_view_submissions_match_slacks_sample(captured: tuple[SlackEmu, Capture]) -> None:
    slack, capture = captured
    trigger = slack.new_trigger("UBOB")

    client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
    opened = await client.views_open(
        trigger_id=trigger,
        view={
            "type": "modal",
            "callback_id": "form",
            "title": {"type": "plain_text", "text": "Reply"},
            "submit": {"type": "plain_text", "text": "Send"},
            "blocks": [],
        },
    )
    await slack.user_submits("UBOB", opened["view"]["id"], {})
    assert missing(sample("view_submission"), capture.sent[-1][1]) == []


def test_the_shape_checker_notices_what_is_missing() -> None:
    assert missing({"a": {"b": 1, "c": [{"d": "x"}]}}, {"a": {"b": "1", "c": [{}]}}) == [
        "/a/b is str, not int",
        "/a/c/0/d",
    ]


async def test_bound_port_reports_the_real_port() -> None:
    runner = web.AppRunner(web.Application())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    assert bound_port(site) > 0
    await runner.cleanup()
