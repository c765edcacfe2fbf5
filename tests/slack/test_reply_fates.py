"""Every agent reply says in Slack what became of it: delivered, seen, or emailed."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bridge.services import customer
from bridge.services.email_replies import mark_delivered, mark_seen
from bridge.services.intake import NewCase, open_case
from bridge.services.sweeps import Timings, sweep_unseen_replies
from slackemu.mailcatcher import MailCatcher
from slackemu.state import Message
from tests.slack.conftest import Casebridge


async def bob_answers_a_chat(bridge: Casebridge, text: str) -> tuple[int, int, Message]:
    """Ana opens a chat, Bob claims it and answers: (case id, message id, Bob's Slack message)."""
    slack = bridge.slack
    opened = await open_case(
        bridge.services,
        NewCase(subdomain="acme", first_name="Ana", last_name="Lima", email="ana@example.com"),
    )
    await customer.set_presence(bridge.services, opened.token, connected=True)
    card = await bridge.case_message(opened.case.reference, contains="Assign to me")
    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim")
    await bridge.case_message(opened.case.reference, contains="Assigned to")
    await slack.user_posts("UBOB", "C0SUPPORT", text, thread_ts=card.ts)
    (pushed,) = await slack.wait_for(lambda: bridge.push.of(opened.case.id, "agent_message"))
    reply = next(m for m in slack.thread("C0SUPPORT", card.ts) if m.text == text)
    return opened.case.id, int(pushed["id"]), reply


def marks(bridge: Casebridge, reply: Message) -> list[str]:
    found = bridge.slack.workspace.find("C0SUPPORT", reply.ts)
    return sorted(found.reactions)


async def test_bob_sees_his_reply_reach_the_browser_then_be_read(bridge: Casebridge) -> None:
    case_id, message_id, reply = await bob_answers_a_chat(bridge, "Try turning it off and on.")
    await bridge.idle()
    assert marks(bridge, reply) == []  # on its way: no mark yet

    await mark_delivered(bridge.services, case_id, message_id)
    await bridge.slack.wait_for(lambda: marks(bridge, reply) == ["white_check_mark"])

    await mark_seen(bridge.services, case_id, message_id)
    await bridge.slack.wait_for(lambda: marks(bridge, reply) == ["eyes"])  # replaced, not added

    # Marking again changes nothing and costs no call
    await mark_seen(bridge.services, case_id, message_id)
    await bridge.idle()
    assert marks(bridge, reply) == ["eyes"]


async def test_a_reply_the_customer_left_before_reading_is_marked_emailed(
    mailing_bridge: Casebridge, mailbox: MailCatcher
) -> None:
    bridge = mailing_bridge
    case_id, message_id, reply = await bob_answers_a_chat(bridge, "Here is the fix.")
    await mark_delivered(bridge.services, case_id, message_id)
    async with bridge.services.db.uow() as uow:  # the customer's page went away
        case = await uow.cases.get(case_id)
        assert case is not None
        await uow.cases.apply(case.customer_presence(False, bridge.services.clock.now()))
        await uow.commit()

    assert await sweep_unseen_replies(bridge.services, Timings(unseen_reply=timedelta(0)))
    await bridge.slack.wait_for(lambda: marks(bridge, reply) == ["email"])
    await mailbox.wait_for(1)


async def test_a_customer_line_slack_could_not_take_is_told_sent_only_once_it_is_in_the_thread(
    bridge: Casebridge,
) -> None:
    slack = bridge.slack
    opened = await open_case(
        bridge.services,
        NewCase(subdomain="acme", first_name="Ana", last_name="Lima", email="ana@example.com"),
    )
    card = await bridge.case_message(opened.case.reference, contains="Assign to me")
    slack.faults.outage("chat.postMessage", seconds=3600)  # Slack is down for thread posts

    (posted,) = await customer.post_customer_message(bridge.services, opened.token, "Hello?")
    await asyncio.sleep(0)  # the deliverer runs and fails; nothing is claimed to be sent
    assert not bridge.push.of(opened.case.id, "messages_posted")

    slack.faults.clear()
    told = await slack.wait_for(lambda: bridge.push.of(opened.case.id, "messages_posted"), 20)
    assert told == [{"ids": [posted.message_id]}]  # type: ignore[attr-defined]
    assert any("Hello?" in m.text for m in slack.thread("C0SUPPORT", card.ts))
