"""Durable before acknowledged: what Slack sends is stored before it is acked, so a database
outage makes Slack send it again and a crash after the ack is made good on restart."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import text

from bridge.services import casework
from bridge.services import inbox as inbox_services
from storage.uow import Database
from tests.slack.conftest import Casebridge
from tests.slack.test_case_journey import a_customer_opens_chat


@contextlib.asynccontextmanager
async def inbox_unavailable(db: Database) -> AsyncIterator[None]:
    """The inbox table is out of reach (as when the database is down), then back."""
    async with db.engine.begin() as connection:
        await connection.execute(text("ALTER TABLE inbox RENAME TO inbox_away"))
    try:
        yield
    finally:
        async with db.engine.begin() as connection:
            await connection.execute(text("ALTER TABLE inbox_away RENAME TO inbox"))


async def bob_has_the_case(bridge: Casebridge) -> tuple[int, str]:
    opened = await a_customer_opens_chat(bridge)
    card = await bridge.case_message(opened.case.reference)
    await casework.claim(bridge.services, opened.case.id, "UBOB")
    return opened.case.id, card.ts


async def test_a_reply_that_cannot_be_stored_is_refused_and_arrives_once_slack_retries(
    bridge: Casebridge,
) -> None:
    case_id, thread = await bob_has_the_case(bridge)
    slack = bridge.slack
    if slack.socket is None and slack.app_url:  # Slack's schedule, shrunk
        slack.deliver_to(slack.app_url, retry_delays=(0.3, 0.3, 1.0))
    async with inbox_unavailable(bridge.components.db):
        reply = await slack.user_posts("UBOB", "C0SUPPORT", "Hi Ana, I am here", thread)
        log = slack.http.log if slack.http is not None else slack.socket.log  # type: ignore[union-attr]
        # Refused while it cannot be kept: an HTTP 503, or no Socket Mode ack.
        await slack.wait_for(lambda: [a for a in log if a.status != 200], timeout=10)
    await slack.wait_for(lambda: bridge.push.of(case_id, "agent_message"), timeout=20)
    await slack.settle()
    assert [m["text"] for m in bridge.push.of(case_id, "agent_message")] == ["Hi Ana, I am here"]
    assert slack.envelope_for(reply.ts)  # the same event, delivered again by Slack


async def test_a_reply_stored_by_a_process_that_then_died_is_relayed_after_the_restart(
    bridge: Casebridge,
) -> None:
    case_id, thread = await bob_has_the_case(bridge)
    await bridge.idle()
    await bridge.stop()  # casebridge is gone; what it had acked is only in its inbox
    reply = await bridge.slack.user_posts("UBOB", "C0SUPPORT", "Still on fire?", thread)
    envelope = bridge.slack.envelope_for(reply.ts)
    await inbox_services.receive(
        bridge.services, f"event:{envelope['event_id']}", "events_api", envelope
    )
    await bridge.components.db.dispose()

    assert bridge.restart is not None
    restarted = await bridge.restart()
    await restarted.slack.wait_for(lambda: bridge.push.of(case_id, "agent_message"), timeout=20)
    async with restarted.services.db.read() as uow:
        assert await uow.inbox.pending(10) == []
    # Slack's own redelivery of the same event changes nothing.
    await restarted.slack.redeliver(envelope)
    await restarted.idle()
    assert [m["text"] for m in bridge.push.of(case_id, "agent_message")] == ["Still on fire?"]
