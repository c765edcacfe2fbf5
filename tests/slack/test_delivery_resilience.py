"""Slack outages, rate limits and crashes lose nothing and duplicate nothing."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from bridge.services import customer
from tests.slack.conftest import Casebridge
from tests.slack.test_case_journey import a_customer_opens_chat


def customer_lines(bridge: Casebridge, thread_ts: str) -> list[str]:
    """Every line the customer's posts put in the thread, in order (coalesced posts split)."""
    return [
        line
        for m in bridge.slack.thread("C0SUPPORT", thread_ts)[1:]
        if m.username == "Customer · Ana Lima"
        for line in m.text.split("\n")
    ]


async def test_customers_keep_writing_through_429s_and_5xx_and_everything_arrives_once(
    bridge: Casebridge,
) -> None:
    opened = await a_customer_opens_chat(bridge)
    card = await bridge.case_message(opened.case.reference)
    await bridge.idle()
    slack = bridge.slack
    slack.limits.channel_posts("2 per second")  # 429s when we hurry
    slack.faults.fail("chat.postMessage", times=6, status=503)
    slack.faults.fail("chat.postMessage", times=2, status=500, error="internal_error")

    sent = [f"line {n}" for n in range(15)]
    for text in sent:
        await customer.post_customer_message(bridge.services, opened.token, text)

    await slack.wait_for(lambda: len(customer_lines(bridge, card.ts)) >= len(sent), timeout=30)
    await bridge.idle()
    assert customer_lines(bridge, card.ts) == sent
    answers = [
        response.get("error") for name, _, response in slack.calls if name == "chat.postMessage"
    ]
    assert "ratelimited" in answers or len(answers) < len(sent)  # throttled or coalesced
    async with bridge.services.db.uow() as uow:
        assert await uow.outbox.failed() == []
        stored = await uow.cases.messages(opened.case.id)
    assert all(m.slack_ts for m in stored if m.direction == "customer" and m.text in sent)


async def test_killed_mid_delivery_the_restart_finds_the_post_instead_of_repeating_it(
    bridge: Casebridge,
) -> None:
    opened = await a_customer_opens_chat(bridge)
    card = await bridge.case_message(opened.case.reference)
    await bridge.idle()
    await bridge.stop()  # from here on we play the deliverer by hand
    slack = bridge.slack
    slack.faults.delay("chat.postMessage", seconds=0.5)  # Slack posts it, then answers late

    await customer.post_customer_message(bridge.services, opened.token, "are you there?")
    async with bridge.services.db.uow() as uow:
        [item] = [
            i
            for i in await uow.outbox.due(bridge.services.clock.now())
            if i.operation == "thread.post"
        ]
    assert bridge.components.slack is not None
    dying = asyncio.create_task(bridge.components.slack.deliverer.deliver(item))
    await slack.wait_for(lambda: slack.faults.planned["chat.postMessage"][0].remaining == 0)
    dying.cancel()  # the process dies while the answer is on its way
    with contextlib.suppress(asyncio.CancelledError):
        await dying

    await bridge.components.db.dispose()  # the dead process's connections go with it
    assert bridge.restart is not None
    restarted = await bridge.restart()
    await restarted.idle()
    assert customer_lines(restarted, card.ts) == ["are you there?"]
    # the post got through the first time; the restart found it by its metadata
    thread_posts = [p for p in slack.calls_to("chat.postMessage") if p.get("thread_ts")]
    assert len(thread_posts) == 1
    lookups = slack.calls_to("conversations.replies")
    assert lookups and lookups[-1].get("include_all_metadata") in (True, "true", "1")


@pytest.mark.parametrize("mode", ["match", "queue"])
async def test_single_agent_modes_dm_only_the_chosen_agent(bridge: Casebridge, mode: str) -> None:
    from bridge.core.routing import Mode
    from bridge.services.intake import NewCase, open_case
    from bridge.services.portals import update_portal

    await update_portal(bridge.services, "acme", mode=Mode(mode))
    opened = await open_case(
        bridge.services,
        NewCase(
            subdomain="acme",
            first_name="Ana",
            last_name="Lima",
            email="ana@example.com",
            question="help",
            agent="UCAROL" if mode == "match" else None,
        ),
    )
    chosen = opened.case.assignee_id
    assert chosen is not None
    other = "UBOB" if chosen == "UCAROL" else "UCAROL"
    await bridge.slack.wait_for_message(bridge.slack.dm_with(chosen).id, contains="is yours")
    await bridge.idle()
    assert bridge.slack.messages(bridge.slack.dm_with(other).id) == []
    card = await bridge.case_message(opened.case.reference, contains=f"Assigned to <@{chosen}>")
    assert card
