"""Slack's own recorded payloads, replayed signed into casebridge, each with its outcome.

The payloads under tests/fixtures/slack/recorded/ come from slackapi's public repositories
(origins.json names the repository, path and commit of each). Their ids are Slack's samples
(C111, U111…); each replay points them at our case's channel, thread and people first, and
changes nothing else.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bridge import views
from bridge.core.cases import CaseStatus
from bridge.services import casework
from slackemu.delivery import COMMANDS, EVENTS, INTERACTIVE, Outcome
from slackemu.files import UploadedFile
from tests.files_in_browser import PNG
from tests.slack.conftest import Casebridge
from tests.slack.test_case_journey import a_customer_opens_chat

RECORDED = Path(__file__).parents[1] / "fixtures" / "slack" / "recorded"
CONNECTION_MESSAGES = {"socket_mode_hello.json", "socket_mode_disconnect.json"}


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDED / name).read_text())
    return data


def replayable() -> list[str]:
    return sorted(
        p.name
        for p in RECORDED.glob("*.json")
        if p.name != "origins.json" and p.name not in CONNECTION_MESSAGES
    )


def test_every_recorded_payload_says_where_it_comes_from() -> None:
    origins = recorded("origins.json")
    files = {p.name for p in RECORDED.glob("*.json")} - {"origins.json"}
    assert files == set(origins)
    for origin in origins.values():
        if "url" in origin:
            assert origin["url"].startswith("https://docs.slack.dev/")
        else:
            assert origin["repository"].startswith("slackapi/")
            assert origin["path"] and len(origin["commit"]) == 40


class Case:
    """An open case, claimed by Bob, with its message in #support."""

    def __init__(self, case_id: int, reference: str, ts: str) -> None:
        self.id, self.reference, self.ts = case_id, reference, ts


async def claimed_case(bridge: Casebridge) -> Case:
    opened = await a_customer_opens_chat(bridge)
    card = await bridge.case_message(opened.case.reference, contains="Assign to me")
    await casework.claim(bridge.services, opened.case.id, "UBOB")
    await bridge.idle()  # the case's thread is known once its post is recorded
    return Case(opened.case.id, opened.case.reference, card.ts)


def in_thread(event: dict[str, Any], case: Case, user: str = "UBOB") -> None:
    """Point a recorded message event at the case's thread, written by `user`."""
    event["channel"] = "C0SUPPORT"
    event["user"] = user
    event["thread_ts"] = case.ts
    event["ts"] = event["event_ts"] = f"{float(case.ts) + 1:.6f}"


def events(payload: dict[str, Any], event_id: str) -> dict[str, Any]:
    payload = copy.deepcopy(payload)
    payload["event_id"] = event_id
    return payload


async def relayed(bridge: Casebridge, case: Case, expected: int = 0) -> list[str]:
    """What the customer's page was sent, once `expected` lines arrived (or all work ended)."""
    if expected:
        await bridge.slack.wait_for(
            lambda: len(bridge.push.of(case.id, "agent_message")) >= expected
        )
    await bridge.slack.settle()
    assert bridge.components.slack is not None
    await bridge.components.slack.listeners.drain()
    await bridge.idle()
    return [m["text"] for m in bridge.push.of(case.id, "agent_message")]


def acked(outcome: Outcome) -> bool:
    return outcome.ok and outcome.status == 200


@pytest.mark.parametrize("name", replayable())
async def test_a_recorded_payload_replayed_into_casebridge(bridge: Casebridge, name: str) -> None:
    slack = bridge.slack
    case = await claimed_case(bridge)
    payload = recorded(name)
    kind = EVENTS
    if name.startswith("socket_mode_"):
        kind, payload = payload["type"], payload["payload"]
    elif name == "slash_command.json":
        kind = COMMANDS
    elif name in ("block_actions.json", "view_submission.json"):
        kind = INTERACTIVE
    body = events(payload, f"Ev{name}") if kind == EVENTS else copy.deepcopy(payload)
    event = body.get("event", {})

    if name == "event_message_thread_broadcast.json":
        # Bob answers with "Also send to #support" ticked: the customer gets it
        in_thread(event, case)
        assert acked(await slack.deliver(kind, body))
        assert await relayed(bridge, case, 1) == ["Hi there!"]
    elif name == "event_message_file_share.json":
        # Bob answers with a screenshot: the customer gets the text and the image, which
        # casebridge downloaded from the file's url_private_download (Slack's file host,
        # played by the stand-in: its address and the bytes are the only changes)
        in_thread(event, case)
        team = slack.workspace.team.id
        for shared in event["files"]:
            for key in ("url_private", "url_private_download"):
                shared[key] = shared[key].replace(
                    "https://files.slack.com/files-pri/T111-", f"{slack.url}/files-pri/{team}-"
                )
            slack.uploads[shared["id"]] = UploadedFile(
                shared["id"],
                shared["name"],
                len(PNG),
                "UBOB",
                ticket="",
                content=PNG,
                team=slack.workspace.team,
            )
        assert acked(await slack.deliver(kind, body))
        assert await relayed(bridge, case, 1) == ["Hi there!\n📎 file.png"]
        [pushed] = bridge.push.of(case.id, "agent_message")
        assert [(f["name"], f["kind"]) for f in pushed["files"]] == [("file.png", "image/png")]
        assert slack.ephemerals("UBOB") == []
    elif name == "event_message_me_message.json":
        in_thread(event, case)
        assert acked(await slack.deliver(kind, body))
        assert await relayed(bridge, case, 1) == [event["text"]]
    elif name in (
        "event_message_user.json",
        "socket_mode_events_api_message.json",
    ):
        # a plain message in the case's thread: relayed, mentions turned into plain words
        in_thread(event, case)
        assert acked(await slack.deliver(kind, body))
        assert len(await relayed(bridge, case, 1)) == 1
    elif name in ("event_message_changed.json", "event_message_deleted.json"):
        # an edit or a deletion in the thread: the customer keeps what was sent
        event["channel"] = "C0SUPPORT"
        for inner in ("message", "previous_message"):
            if inner in event:
                event[inner]["thread_ts"] = case.ts
                event[inner]["user"] = "UBOB"
        assert acked(await slack.deliver(kind, body))
        assert await relayed(bridge, case) == []
    elif name.startswith("event_message_bot_message") or name == (
        "event_message_channel_join.json"
    ):
        # another app's post, or someone joining: never relayed
        in_thread(event, case)
        assert acked(await slack.deliver(kind, body))
        assert await relayed(bridge, case) == []
    elif kind == COMMANDS:
        # /casebridge status, typed by Bob in #support
        body.update(command="/casebridge", text="status", user_id="UBOB", channel_id="C0SUPPORT")
        body["response_url"] = slack.new_response_url(user="UBOB", channel="C0SUPPORT")
        assert acked(await slack.deliver(kind, body))  # answered through its response_url
        shown = await slack.wait_for(lambda: slack.ephemerals("UBOB"))
        assert "available" in shown[-1].text
    elif name == "block_actions.json":
        # Bob presses Resolve on his case
        body["user"]["id"] = "UBOB"
        body["channel"] = {"id": "C0SUPPORT", "name": "support"}
        body["actions"][0].update(action_id="case_resolve", value=str(case.id))
        assert acked(await slack.deliver(kind, body))
        await bridge.case_message(case.reference, contains="Resolved")
        assert (await views.case(bridge.services, case.id)).status is CaseStatus.RESOLVED
    elif name == "view_submission.json":
        # Carol submits a reply-by-email form for Bob's case: refused in the form itself
        body["user"]["id"] = "UCAROL"
        body["view"].update(callback_id="reply_email", private_metadata=str(case.id))
        body["view"]["state"] = {
            "values": {
                "subject": {"subject": {"type": "plain_text_input", "value": "Re: hi"}},
                "body": {"body": {"type": "plain_text_input", "value": "Hello"}},
            }
        }
        outcome = await slack.deliver(kind, body)
        assert acked(outcome)
        assert outcome.body["response_action"] == "errors"
    else:
        raise AssertionError(f"{name}: no outcome decided for this recorded payload")
