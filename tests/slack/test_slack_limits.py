"""Real Slack's size rules: long queued customer text arrives whole, in order, within them."""

from __future__ import annotations

from bridge.core.text import escape_mrkdwn
from bridge.services import customer
from bridge.slack.limits import MESSAGE_TEXT
from tests.slack.conftest import Casebridge
from tests.slack.test_case_journey import a_customer_opens_chat


async def test_long_lines_queued_behind_an_outage_arrive_once_in_order_under_40000(
    bridge: Casebridge,
) -> None:
    opened = await a_customer_opens_chat(bridge)
    card = await bridge.case_message(opened.case.reference)
    await bridge.idle()
    # Slack is down while the customer writes six long lines full of "&" (five characters
    # each once escaped): they queue up, and would be coalesced into one post
    bridge.slack.faults.fail("chat.postMessage", times=4, status=503)
    lines = [f"{n} " + "&" * 3990 for n in range(6)]
    for line in lines:
        await customer.post_customer_message(bridge.services, opened.token, line)
    await bridge.idle()

    posts = [
        m
        for m in bridge.slack.thread("C0SUPPORT", card.ts)[1:]
        if m.username and "Ana Lima" in m.username
    ]
    assert len(posts) > 1 and all(len(p.text) <= MESSAGE_TEXT for p in posts)
    assert [line for p in posts for line in p.text.split("\n")] == [
        escape_mrkdwn(line) for line in lines
    ]
