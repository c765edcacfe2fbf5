"""Lanes an admin must repair are parked, not failed; they resume by themselves, in order."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bridge.services import casework, customer
from bridge.services.portals import update_portal
from slackemu.state import BOT_USER_ID
from tests.slack.conftest import Casebridge
from tests.slack.test_case_journey import a_customer_opens_chat
from tests.slack.test_delivery_resilience import customer_lines


async def health(bridge: Casebridge) -> dict[str, Any]:
    host, port = bridge.runner.addresses[0][:2]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://{host}:{port}/healthz") as answer,
    ):
        data: dict[str, Any] = await answer.json()
        return data


async def parks(bridge: Casebridge) -> list[Any]:
    async with bridge.services.db.read() as uow:
        return list(await uow.outbox.parks())


async def test_bot_not_in_the_channel_parks_it_tells_admins_and_resumes_in_order_once_invited(
    bridge: Casebridge,
) -> None:
    slack = bridge.slack
    slack.workspace.channel("C0SUPPORT").members.discard(BOT_USER_ID)  # someone removed the bot
    # and the install predates channels:join, so casebridge cannot simply join back itself
    slack.workspace.scopes.discard("channels:join")

    opened = await a_customer_opens_chat(bridge)
    for text in ("first", "second", "third"):
        await customer.post_customer_message(bridge.services, opened.token, text)

    # Alice, the admin, is told at once and plainly, in a DM and on her App Home
    dm = await slack.wait_for_message(slack.dm_with("UALICE").id, contains="Invite the bot")
    assert "<#C0SUPPORT>" in dm.text and "not_in_channel" in dm.text
    await slack.wait_for(
        lambda: (home := slack.home("UALICE")) is not None and "paused" in str(home.definition)
    )
    report = await health(bridge)
    [parked] = report["delivery"]["parked"]
    assert parked["scope"] == "channel:C0SUPPORT" and parked["error"] == "not_in_channel"
    assert "invite" in parked["fix"].lower()

    # parked, not failed, and not tried in a hot loop meanwhile
    tries = len(slack.calls_to("chat.postMessage"))
    await slack.wait_for(lambda: len(slack.calls_to("chat.postMessage")) > tries, timeout=5)
    async with bridge.services.db.read() as uow:
        assert await uow.outbox.failed() == []
    assert len(slack.calls_to("chat.postMessage")) - tries < 10

    slack.workspace.channel("C0SUPPORT").members.add(BOT_USER_ID)  # the bot is invited back

    card = await bridge.case_message(opened.case.reference)
    await slack.wait_for(
        lambda: (
            [m.text for m in slack.thread("C0SUPPORT", card.ts)[1:]][-1:] == ["third"]
            or "third" in str([m.text for m in slack.thread("C0SUPPORT", card.ts)])
        )
    )
    await bridge.idle()
    assert customer_lines(bridge, card.ts) == ["first", "second", "third"]
    assert await parks(bridge) == []
    await slack.wait_for_message(slack.dm_with("UALICE").id, contains="works again")
    assert (await health(bridge))["delivery"] == {"status": "ok", "parked": []}


async def test_a_channel_that_does_not_exist_waits_until_the_portal_points_elsewhere(
    bridge: Casebridge,
) -> None:
    await update_portal(bridge.services, "acme", channel_id="CGONE")
    opened = await a_customer_opens_chat(bridge)
    await customer.post_customer_message(bridge.services, opened.token, "still there?")
    await bridge.slack.wait_for_message(bridge.slack.dm_with("UALICE").id, contains="CGONE")
    [park] = await parks(bridge)
    assert park.error == "channel_not_found"
    async with bridge.services.db.read() as uow:
        assert await uow.outbox.failed() == []  # nothing later in the case failed either

    await update_portal(bridge.services, "acme", channel_id="C0SUPPORT")

    card = await bridge.case_message(opened.case.reference)
    await bridge.slack.wait_for(
        lambda: any("still there?" in m.text for m in bridge.slack.thread("C0SUPPORT", card.ts))
    )
    await bridge.idle()
    assert await parks(bridge) == []


async def test_a_revoked_token_parks_the_workspace_and_everything_goes_out_once_restored(
    bridge: Casebridge,
) -> None:
    opened = await a_customer_opens_chat(bridge)
    card = await bridge.case_message(opened.case.reference)
    await bridge.idle()
    slack = bridge.slack
    slack.faults.fail("chat.postMessage", times=10**6, status=200, error="token_revoked")
    slack.faults.fail("chat.update", times=10**6, status=200, error="token_revoked")

    await customer.post_customer_message(bridge.services, opened.token, "hello?")
    await casework.claim(bridge.services, opened.case.id, "UBOB")
    await slack.wait_for(lambda: bool(bridge.components.slack.deliverer.board.all()))  # type: ignore[union-attr]
    [park] = await parks(bridge)
    assert park.scope == "workspace" and "SLACK_BOT_TOKEN" in park.fix
    assert (await health(bridge))["delivery"]["parked"][0]["error"] == "token_revoked"

    slack.faults.clear()  # the app was reinstalled with a working token

    await bridge.case_message(opened.case.reference, contains="Assigned to <@UBOB>")
    await slack.wait_for(
        lambda: any(m.text == "hello?" for m in slack.thread("C0SUPPORT", card.ts))
    )
    await bridge.idle()
    assert [m.text for m in slack.thread("C0SUPPORT", card.ts)].count("hello?") == 1
    assert await parks(bridge) == []


async def test_a_losing_click_is_answered_through_its_response_url_not_the_web_api(
    bridge: Casebridge,
) -> None:
    opened = await a_customer_opens_chat(bridge)
    card = await bridge.case_message(opened.case.reference)
    await bridge.idle()

    await asyncio.gather(  # both press "Assign to me" on the same card
        *(
            bridge.slack.user_clicks(u, "C0SUPPORT", card.ts, "case_claim")
            for u in ("UBOB", "UCAROL")
        )
    )

    [refusal] = await bridge.slack.wait_for(
        lambda: bridge.slack.ephemerals("UBOB") + bridge.slack.ephemerals("UCAROL")
    )
    assert "already assigned" in refusal.text
    await bridge.idle()
    assert bridge.slack.calls_to("chat.postEphemeral") == []


async def test_a_burst_of_card_changes_updates_the_card_far_fewer_times_and_ends_right(
    bridge: Casebridge,
) -> None:
    opened = await a_customer_opens_chat(bridge)
    await bridge.case_message(opened.case.reference)
    await casework.claim(bridge.services, opened.case.id, "UBOB")
    await bridge.idle()
    before = len(bridge.slack.calls_to("chat.update"))
    bridge.slack.faults.delay("chat.update", seconds=0.3, times=100)  # Slack is slow

    for _ in range(10):
        await casework.resolve(bridge.services, opened.case.id, "UBOB", False)
        await casework.reopen(bridge.services, opened.case.id, "UBOB")
    await casework.resolve(bridge.services, opened.case.id, "UBOB", False)

    await bridge.case_message(opened.case.reference, contains="Reopen")
    await bridge.idle()
    updates = len(bridge.slack.calls_to("chat.update")) - before
    assert 1 <= updates <= 8  # 21 changes, the latest state shown


async def test_a_429_storm_then_an_outage_lose_nothing_count_nothing_and_look_nothing_up(
    bridge: Casebridge,
) -> None:
    from dataclasses import replace

    deliverer = bridge.components.slack.deliverer  # type: ignore[union-attr]
    patient = deliverer.policy
    deliverer.policy = replace(patient, max_attempts=3)  # would give up after three failures
    opened = [await a_customer_opens_chat(bridge) for _ in range(3)]
    cards = [await bridge.case_message(o.case.reference) for o in opened]
    await bridge.idle()
    slack = bridge.slack

    async def customers_write(lines: list[str]) -> None:
        for line in lines:
            for case in opened:
                await customer.post_customer_message(bridge.services, case.token, line)
        await slack.wait_for(
            lambda: all(customer_lines(bridge, c.ts)[-1:] == lines[-1:] for c in cards),
            timeout=30,
        )
        await bridge.idle()

    slack.faults.rate_limit("chat.postMessage", seconds=4, retry_after=1)  # ~4 429s each
    await customers_write(["storm 1", "storm 2"])
    async with bridge.services.db.read() as uow:
        assert await uow.outbox.parks() == []  # the 429s were never counted as failures

    deliverer.policy = patient
    slack.faults.outage("*", seconds=1.5)  # 503 service_unavailable for everything
    await customers_write(["outage 1", "outage 2"])

    for card in cards:
        assert customer_lines(bridge, card.ts) == ["storm 1", "storm 2", "outage 1", "outage 2"]
    async with bridge.services.db.read() as uow:
        assert await uow.outbox.failed() == []
        assert await uow.outbox.parks() == []
    # neither a 503 nor a 429 can have posted anything: no thread was read to find out
    assert slack.calls_to("conversations.replies") == []
