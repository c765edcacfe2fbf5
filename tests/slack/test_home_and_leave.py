"""App Home and the Leave chat button."""

from __future__ import annotations

from typing import Any

from bridge.core.cases import CaseStatus
from slackemu import SlackEmu
from tests.slack.conftest import Casebridge
from tests.slack.test_case_journey import a_customer_opens_chat


def home_of(slack: SlackEmu, user: str) -> dict[str, Any]:
    """The App Home `user` sees (it must be published)."""
    home = slack.home(user)
    assert home is not None
    return home.definition


async def test_app_home_shows_the_count_and_switches_availability(bridge: Casebridge) -> None:
    slack = bridge.slack
    await a_customer_opens_chat(bridge)
    await bridge.idle()
    await slack.user_opens_home("UBOB")
    home = await slack.wait_for(lambda: slack.home("UBOB"))
    await bridge.idle()
    blocks = str(home_of(slack, "UBOB")["blocks"])
    assert "1 unassigned" in blocks and "You are *available*" in blocks

    await slack.user_clicks_in_view("UBOB", home.id, "home_unavailable")
    await slack.wait_for(lambda: "You are *unavailable*" in str(home_of(slack, "UBOB")["blocks"]))
    async with bridge.services.db.uow() as uow:
        bob = await uow.agents.get("UBOB")
    assert bob is not None and not bob.available

    await slack.user_clicks_in_view("UBOB", home.id, "home_preference_mention")
    await slack.wait_for(lambda: "Mentions: on" in str(slack.home("UBOB").definition["blocks"]))  # type: ignore[union-attr]


async def test_the_assignee_leaves_and_the_case_is_open_to_others(bridge: Casebridge) -> None:
    opened = await a_customer_opens_chat(bridge)
    card = await bridge.case_message(opened.case.reference)
    await bridge.slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim")
    await bridge.case_message(opened.case.reference, contains="Leave chat")
    await bridge.slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_leave")
    await bridge.case_message(opened.case.reference, contains="Assign to me")
    assert bridge.push.of(opened.case.id, "agent_left") == [{"agent": "Bob"}]
    async with bridge.services.db.uow() as uow:
        case = await uow.cases.get(opened.case.id)
    assert case is not None and case.status is CaseStatus.UNASSIGNED


async def test_stopping_the_wait_turns_the_message_into_a_support_request(
    bridge: Casebridge,
) -> None:
    from bridge.services import customer

    opened = await a_customer_opens_chat(bridge)
    await bridge.case_message(opened.case.reference, contains="Live chat")
    await customer.stop_waiting(bridge.services, opened.token)
    card = await bridge.case_message(opened.case.reference, contains="Support request")
    assert "Support request" in card.text and "Live chat" not in str(card.blocks)
    assert bridge.push.of(opened.case.id, "support_request") == [{"reason": "stopped_waiting"}]


async def test_admins_see_paused_deliveries_on_their_home(bridge: Casebridge) -> None:
    from bridge.services.portals import update_portal

    await update_portal(bridge.services, "acme", channel_id="CGONE")
    await a_customer_opens_chat(bridge)
    await bridge.idle()
    await bridge.slack.user_opens_home("UALICE")
    home = bridge.slack.home
    await bridge.slack.wait_for(lambda: (h := home("UALICE")) and "paused" in str(h.definition))
    blocks = str(home_of(bridge.slack, "UALICE")["blocks"])
    assert "Delivery to Slack is paused" in blocks and "channel_not_found" in blocks
    await bridge.slack.user_opens_home("UBOB")
    bob = await bridge.slack.wait_for(lambda: bridge.slack.home("UBOB"))
    assert "paused" not in str(bob.definition["blocks"])
