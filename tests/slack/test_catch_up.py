"""Catching up from Slack: replies written while casebridge was away, after Slack gave up
redelivering them, reach the customer on restart — in order, once."""

from __future__ import annotations

from bridge.services import casework, customer
from bridge.services.intake import OpenedCase
from slackemu.state import BOT_USER_ID, Message
from tests.slack.conftest import Casebridge
from tests.slack.test_case_journey import a_customer_opens_chat
from tests.slack.test_delivery_resilience import customer_lines


async def test_replies_written_while_casebridge_was_down_arrive_after_the_restart(
    bridge: Casebridge,
) -> None:
    opened = await a_customer_opens_chat(bridge)
    card = await bridge.case_message(opened.case.reference)
    case_id = opened.case.id
    await casework.claim(bridge.services, case_id, "UBOB")
    slack = bridge.slack
    await slack.user_posts("UBOB", "C0SUPPORT", "First, unplug it", card.ts)
    await slack.wait_for(lambda: bridge.push.of(case_id, "agent_message"))
    await bridge.idle()

    await bridge.stop()  # down for longer than Slack keeps redelivering
    for text in ("Then wait ten seconds", "// she sounds calm", "Now plug it back in"):
        await slack.user_posts("UBOB", "C0SUPPORT", text, card.ts)
    await slack.user_posts("UCAROL", "C0SUPPORT", "Carol is not on this case", card.ts)
    if slack.socket is None:
        await slack.settle()  # every try failed: Slack has given up on these events
    await bridge.components.db.dispose()

    assert bridge.restart is not None
    restarted = await bridge.restart()
    await slack.wait_for(lambda: len(bridge.push.of(case_id, "agent_message")) >= 3, timeout=30)
    await slack.settle()
    await restarted.idle()
    assert [m["text"] for m in bridge.push.of(case_id, "agent_message")] == [
        "First, unplug it",
        "Then wait ten seconds",
        "Now plug it back in",
    ]
    assert slack.calls_to("conversations.replies")  # read from Slack itself


async def bob_is_on_a_case(bridge: Casebridge) -> tuple[OpenedCase, Message]:
    """A customer's chat, claimed by Bob; its case message."""
    opened = await a_customer_opens_chat(bridge)
    card = await bridge.case_message(opened.case.reference)
    await casework.claim(bridge.services, opened.case.id, "UBOB")
    await bridge.idle()
    return opened, card


async def test_replies_written_while_the_bot_was_out_of_the_channel_arrive_once_it_is_back(
    bridge: Casebridge,
) -> None:
    slack = bridge.slack
    opened, card = await bob_is_on_a_case(bridge)

    # someone removes the bot from #support, and the install cannot join back by itself:
    # Slack sends casebridge nothing of what is said there now
    slack.workspace.channel("C0SUPPORT").members.discard(BOT_USER_ID)
    slack.workspace.scopes.discard("channels:join")
    await slack.user_posts("UBOB", "C0SUPPORT", "Did you try turning it off?", card.ts)
    await customer.post_customer_message(bridge.services, opened.token, "still broken")
    await slack.wait_for_message(slack.dm_with("UALICE").id, contains="Invite the bot")
    assert bridge.push.of(opened.case.id, "agent_message") == []

    # Alice invites the bot back: the waiting line goes out and Bob's reply reaches the customer
    await slack.invite_bot("C0SUPPORT")
    await slack.wait_for(lambda: bridge.push.of(opened.case.id, "agent_message"), timeout=30)
    await bridge.idle()
    assert [m["text"] for m in bridge.push.of(opened.case.id, "agent_message")] == [
        "Did you try turning it off?"
    ]
    assert customer_lines(bridge, card.ts) == ["still broken"]


async def test_a_bot_that_joins_back_by_itself_reads_what_it_missed_there(
    bridge: Casebridge,
) -> None:
    slack = bridge.slack
    opened, card = await bob_is_on_a_case(bridge)

    await slack.remove_bot("C0SUPPORT")  # kicked out of a public channel
    await slack.user_posts("UBOB", "C0SUPPORT", "Which model is it?", card.ts)
    # the customer's next line makes casebridge join #support again to post it
    await customer.post_customer_message(bridge.services, opened.token, "the blue one")
    await slack.wait_for(lambda: bridge.push.of(opened.case.id, "agent_message"), timeout=30)
    await bridge.idle()
    assert BOT_USER_ID in slack.workspace.channel("C0SUPPORT").members
    assert [m["text"] for m in bridge.push.of(opened.case.id, "agent_message")] == [
        "Which model is it?"
    ]
