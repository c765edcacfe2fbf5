"""The bot works only in channels it is a member of; it joins public ones by itself."""

from __future__ import annotations

from bridge.services import customer
from slackemu.state import BOT_USER_ID
from tests.slack.conftest import Casebridge
from tests.slack.test_case_journey import a_customer_opens_chat
from tests.slack.test_delivery_resilience import customer_lines


async def test_removed_from_a_public_channel_the_bot_joins_back_and_nothing_is_lost(
    bridge: Casebridge,
) -> None:
    slack = bridge.slack
    await slack.remove_bot("C0SUPPORT")  # someone kicked the bot out of #support

    # a customer opens a chat and writes: Slack refuses the case message (not_in_channel),
    # casebridge joins #support itself and posts it, then the lines in its thread
    opened = await a_customer_opens_chat(bridge)
    for text in ("first", "second"):
        await customer.post_customer_message(bridge.services, opened.token, text)
    card = await bridge.case_message(opened.case.reference)
    await bridge.idle()
    assert BOT_USER_ID in slack.workspace.channel("C0SUPPORT").members
    assert customer_lines(bridge, card.ts) == ["first", "second"]
    assert len([m for m in slack.messages("C0SUPPORT") if opened.case.reference in m.text]) == 1

    # and, a member again, it hears the agents' replies
    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim")
    await bridge.case_message(opened.case.reference, contains="Assigned to")
    await slack.user_posts("UBOB", "C0SUPPORT", "Hello Ana", thread_ts=card.ts)
    await slack.wait_for(lambda: bridge.push.of(opened.case.id, "agent_message"))
