"""Every state of a case, from both sides: a message is relayed, or refused visibly with the
reason (the README's table of states and senders)."""

from __future__ import annotations

from datetime import timedelta

from bridge.services import customer
from slackemu.state import Message
from tests.slack.conftest import Casebridge
from tests.slack.test_case_journey import a_customer_opens_chat


async def told(bridge: Casebridge, user: str, contains: str) -> Message:
    """The note only `user` sees, in the thread, saying why their message went nowhere."""
    slack = bridge.slack
    found = await slack.wait_for(
        lambda: [m for m in slack.ephemerals(user) if contains in m.text] or None
    )
    return found[-1]


async def test_after_reopen_the_agents_replies_reach_the_customer_again(
    bridge: Casebridge,
) -> None:
    slack, push = bridge.slack, bridge.push
    opened = await a_customer_opens_chat(bridge)
    ref, case_id = opened.case.reference, opened.case.id
    card = await bridge.case_message(ref, contains="Assign to me")
    await bridge.idle()  # the case knows its thread
    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim")
    await bridge.case_message(ref, contains="Assigned to")
    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_resolve")
    await bridge.case_message(ref, contains="Resolved")

    # resolved: a thread message is refused, and Bob is told why and what to do
    await slack.user_posts("UBOB", "C0SUPPORT", "one more thing", thread_ts=card.ts)
    note = await told(bridge, "UBOB", "Not sent to the customer")
    assert "resolved" in note.text and "Reopen" in note.text

    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_reopen")
    await bridge.case_message(ref, contains="Assigned to <@UBOB>")
    await slack.wait_for(lambda: len(push.of(case_id, "agent_joined")) == 2 or None)
    await slack.user_posts("UBOB", "C0SUPPORT", "I found the cause", thread_ts=card.ts)
    await slack.wait_for(lambda: push.of(case_id, "agent_message") or None)
    assert [m["text"] for m in push.of(case_id, "agent_message")] == ["I found the cause"]
    view = await customer.view_case(bridge.services, opened.token)
    assert [m.text for m in view.messages if m.direction == "agent"] == ["I found the cause"]
    assert not view.case.chat_ended  # the customer may answer
    await customer.post_customer_message(bridge.services, opened.token, "thanks!")


async def test_after_the_customer_ends_the_chat_the_agent_is_told_not_ignored(
    bridge: Casebridge,
) -> None:
    slack, push = bridge.slack, bridge.push
    opened = await a_customer_opens_chat(bridge)
    ref, case_id = opened.case.reference, opened.case.id
    card = await bridge.case_message(ref, contains="Assign to me")
    await bridge.idle()  # the case knows its thread
    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim")
    await bridge.case_message(ref, contains="Assigned to")
    await customer.end_chat(bridge.services, opened.token)

    await slack.user_posts("UBOB", "C0SUPPORT", "are you there?", thread_ts=card.ts)
    note = await told(bridge, "UBOB", "Not sent to the customer")
    assert "the customer ended the chat" in note.text
    assert note.thread_ts == card.ts  # said in the thread, to Bob alone
    assert push.of(case_id, "agent_message") == []


async def test_other_agents_and_unclaimed_cases_are_told_why(bridge: Casebridge) -> None:
    slack = bridge.slack
    opened = await a_customer_opens_chat(bridge)
    ref = opened.case.reference
    card = await bridge.case_message(ref, contains="Assign to me")
    await bridge.idle()  # the case knows its thread

    await slack.user_posts("UCAROL", "C0SUPPORT", "hello?", thread_ts=card.ts)
    assert "press *Assign to me* first" in (await told(bridge, "UCAROL", "Not sent")).text

    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim")
    await bridge.case_message(ref, contains="Assigned to")
    await slack.user_posts("UCAROL", "C0SUPPORT", "I can help", thread_ts=card.ts)
    note = await told(bridge, "UCAROL", "<@UBOB> has the case")
    assert "//" in note.text  # how to write to the team instead


async def test_after_leave_chat_the_customer_waits_again_and_agents_are_alerted_again(
    bridge: Casebridge,
) -> None:
    slack, push = bridge.slack, bridge.push
    opened = await a_customer_opens_chat(bridge)
    ref, case_id = opened.case.reference, opened.case.id
    card = await bridge.case_message(ref, contains="Assign to me")
    await bridge.idle()  # the case knows its thread
    carol_dm = slack.dm_with("UCAROL").id
    await slack.wait_for_message(carol_dm, contains=ref)
    alerts_before = len([m for m in slack.messages(carol_dm) if ref in m.text])

    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim")
    await bridge.case_message(ref, contains="Assigned to")
    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_leave")
    await bridge.case_message(ref, contains="Assign to me")
    await slack.wait_for(lambda: push.of(case_id, "agent_left") or None)
    await slack.wait_for(
        lambda: len([m for m in slack.messages(carol_dm) if ref in m.text]) > alerts_before or None
    )
    # and the customer may still stop waiting: the chat is unclaimed again
    await customer.stop_waiting(bridge.services, opened.token)
    await slack.wait_for(lambda: push.of(case_id, "support_request") or None)


async def test_ending_an_unclaimed_chat_ends_it(bridge: Casebridge) -> None:
    opened = await a_customer_opens_chat(bridge)
    await bridge.case_message(opened.case.reference, contains="Assign to me")
    await customer.set_presence(bridge.services, opened.token, connected=False)
    await customer.end_chat(bridge.services, opened.token)

    later = bridge.services.clock.now() + timedelta(days=1)
    async with bridge.services.db.uow() as uow:
        assert await uow.cases.due_conversions(left_before=later, opened_before=later) == []
    converted = await customer.convert_to_support_request(
        bridge.services, opened.case.id, "customer_left"
    )
    assert converted == []  # no support request, no "nobody could answer" email
    view = await customer.view_case(bridge.services, opened.token)
    assert view.case.chat_ended and view.case.type.value == "live_chat"
