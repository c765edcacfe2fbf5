"""An unmodified slack-bolt app and slack_sdk client talk to the stand-in, both ways."""

from __future__ import annotations

import pytest

from slackemu.state import BOT_USER_ID
from tests.slackemu.conftest import Rig


@pytest.fixture(params=["http_rig", "socket_rig"])
def rig(request: pytest.FixtureRequest) -> Rig:
    """Every conversation runs once over signed HTTP and once over Socket Mode."""
    found: Rig = request.getfixturevalue(request.param)
    return found


async def test_user_writes_bolt_hears_and_replies_in_the_thread_ignoring_itself(rig: Rig) -> None:
    slack = rig.slack
    question = await slack.user_posts("UBOB", "C0SUPPORT", "echo hello")

    reply = await slack.wait_for_message("C0SUPPORT", thread_ts=question.ts, contains="you said")

    assert reply.text == "you said hello" and reply.user == BOT_USER_ID and reply.bot_id
    await slack.settle()
    # bolt saw Bob's message, and dropped its own reply (it carries the bot_id from auth.test)
    assert [m["text"] for m in rig.heard.messages] == ["echo hello"]
    assert rig.heard.messages[0]["channel_type"] == "channel"


async def test_slash_command_reply_is_shown_only_to_the_user(rig: Rig) -> None:
    outcome = await rig.slack.user_runs("UCAROL", "C0SUPPORT", "/casebridge  pin list")
    assert outcome.ok
    command = rig.heard.commands[0]
    assert (command["command"], command["text"], command["user_id"]) == (
        "/casebridge",
        "pin list",
        "UCAROL",
    )
    [shown] = rig.slack.ephemerals("UCAROL")
    assert shown.text == "you ran: pin list" and shown.ephemeral_to == "UCAROL"
    assert rig.slack.ephemerals("UBOB") == []


async def test_button_click_reaches_bolt_and_respond_replaces_the_message(rig: Rig) -> None:
    client = rig.app.client
    posted = await client.chat_postMessage(
        channel="C0SUPPORT",
        text="Case C-000001",
        blocks=[
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Case C-000001*"}},
            {
                "type": "actions",
                "block_id": "case",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "claim",
                        "value": "1",
                        "text": {"type": "plain_text", "text": "Assign to me"},
                        "style": "primary",
                    }
                ],
            },
        ],
    )

    outcome = await rig.slack.user_clicks("UBOB", "C0SUPPORT", posted["ts"], "claim")

    assert outcome.ok
    action = rig.heard.actions[0]
    assert action["actions"][0]["value"] == "1" and action["user"]["id"] == "UBOB"
    message = await rig.slack.wait_for(
        lambda: next((m for m in rig.slack.messages("C0SUPPORT") if "claimed" in m.text), None)
    )
    assert message.ts == posted["ts"] and message.text == "claimed by <@UBOB>"


async def test_a_modal_opens_from_a_click_and_its_errors_come_back(rig: Rig) -> None:
    posted = await rig.app.client.chat_postMessage(
        channel="C0SUPPORT",
        text="x",
        blocks=[
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "open_form",
                        "text": {"type": "plain_text", "text": "Reply"},
                    }
                ],
            }
        ],
    )
    await rig.slack.user_clicks("UBOB", "C0SUPPORT", posted["ts"], "open_form")
    [modal] = await rig.slack.wait_for(lambda: rig.slack.open_views("UBOB"))

    await rig.slack.user_submits(
        "UBOB", modal.id, {"body": {"text": {"type": "plain_text_input", "value": " "}}}
    )
    assert modal.errors == {"body": "Write something"}
    await rig.slack.user_submits(
        "UBOB", modal.id, {"body": {"text": {"type": "plain_text_input", "value": "Dear Ana"}}}
    )
    assert rig.slack.open_views("UBOB") == []
    assert rig.heard.submissions[0]["callback_id"] == "form"


async def test_opening_the_home_tab_publishes_the_view(rig: Rig) -> None:
    await rig.slack.user_opens_home("UALICE")
    home = await rig.slack.wait_for(lambda: rig.slack.home("UALICE"))
    assert home.definition["blocks"][0]["text"]["text"] == "Hello *home*"
    assert rig.heard.homes == ["UALICE"]
