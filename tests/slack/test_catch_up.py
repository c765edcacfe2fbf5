"""Catching up from Slack: replies written while casebridge was away, after Slack gave up
redelivering them, reach the customer on restart — in order, once."""

from __future__ import annotations

from bridge.services import casework
from tests.slack.conftest import Casebridge
from tests.slack.test_case_journey import a_customer_opens_chat


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
