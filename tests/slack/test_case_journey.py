"""A case worked entirely in Slack: the journey of the issue, over HTTP and Socket Mode."""

from __future__ import annotations

import asyncio

from bridge.core.cases import CaseStatus
from bridge.services import customer
from bridge.services.intake import NewCase, open_case
from slackemu.state import BOT_ID
from tests.slack.conftest import Casebridge


async def a_customer_opens_chat(bridge: Casebridge, question: str = "My printer is on fire"):  # type: ignore[no-untyped-def]
    return await open_case(
        bridge.services,
        NewCase(
            subdomain="acme",
            first_name="Ana",
            last_name="Lima",
            email="ana@example.com",
            question=question,
            device={
                "browser": "Firefox 140",
                "os": "Linux",
                "language": "pt-BR",
                "time_zone": "America/Sao_Paulo",
                "screen": "1920x1080",
                "referrer": "https://acme.test/help",
            },
        ),
    )


async def test_a_case_from_first_message_to_deletion(bridge: Casebridge) -> None:
    slack, push = bridge.slack, bridge.push
    opened = await a_customer_opens_chat(bridge)
    ref, case_id = opened.case.reference, opened.case.id

    # the case appears once in #support, as a live chat, with its details and buttons
    card = await bridge.case_message(ref, contains="Assign to me")
    assert "Live chat" in card.text and "Ana Lima" in str(card.blocks)
    assert "ana@example.com" in str(card.blocks) and "My printer is on fire" in str(card.blocks)

    # Bob and Carol click "Assign to me" together: one wins, the other is told who
    await asyncio.gather(
        slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim"),
        slack.user_clicks("UCAROL", "C0SUPPORT", card.ts, "case_claim"),
    )
    claimed = await bridge.case_message(ref, contains="Assigned to")
    winner = "UBOB" if "<@UBOB>" in str(claimed.blocks) else "UCAROL"
    loser = "UCAROL" if winner == "UBOB" else "UBOB"
    refusal = await slack.wait_for(lambda: slack.ephemerals(loser))
    assert f"already assigned to <@{winner}>" in refusal[0].text
    assert len([m for m in slack.messages("C0SUPPORT") if ref in m.text]) == 1  # updated in place
    assert push.of(case_id, "agent_joined") == [{"agent": winner[1:].title()}]

    # the winner answers in the thread; the customer's page receives exactly that, once
    answer = await slack.user_posts(
        winner, "C0SUPPORT", "Hi Ana, unplug it please", thread_ts=card.ts
    )
    await slack.wait_for(lambda: push.of(case_id, "agent_message"))
    await slack.redeliver(slack.envelope_for(answer.ts))  # Slack retries: still once
    await slack.settle()
    assert [m["text"] for m in push.of(case_id, "agent_message")] == ["Hi Ana, unplug it please"]

    # the customer tries to ping everyone: the thread shows it escaped, nobody is pinged
    await customer.post_customer_message(bridge.services, opened.token, "<!channel> hi <@U1>")
    line = await slack.wait_for_message("C0SUPPORT", thread_ts=card.ts, contains="hi")
    assert line.text == "&lt;!channel&gt; hi &lt;@U1&gt;"
    assert line.bot_id == BOT_ID and line.username == "Customer · Ana Lima"
    sent = slack.sent_with[line.ts]
    assert "link_names" not in sent and "parse" not in sent
    assert str(sent.get("unfurl_links")).lower() in ("false", "0")

    # an internal note and another agent's message stay in Slack
    note = await slack.user_posts(winner, "C0SUPPORT", "// she sounds upset", thread_ts=card.ts)
    await slack.user_posts(loser, "C0SUPPORT", "want help?", thread_ts=card.ts)
    await slack.wait_for(lambda: slack.workspace.find("C0SUPPORT", note.ts).reactions)
    await slack.settle()
    assert len(push.of(case_id, "agent_message")) == 1

    # resolve, then Carol/Bob reopens: assigned to the reopener
    await slack.user_clicks(winner, "C0SUPPORT", card.ts, "case_resolve")
    await bridge.case_message(ref, contains="Resolved")
    assert push.of(case_id, "chat_ended")
    await slack.user_clicks(loser, "C0SUPPORT", card.ts, "case_reopen")
    await bridge.case_message(ref, contains=f"Assigned to <@{loser}>")
    # the reopened chat is on again: it must end before anyone may delete it
    await slack.user_clicks(loser, "C0SUPPORT", card.ts, "case_resolve")
    await bridge.case_message(ref, contains="Resolved")

    # delete: a non-admin is refused and nothing changes; the admin erases it
    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_delete")
    refused = await slack.wait_for(
        lambda: [m for m in slack.ephemerals("UBOB") if "Only admins" in m.text]
    )
    assert refused
    async with bridge.services.db.uow() as uow:
        still = await uow.cases.get(case_id)
    assert still is not None and not still.deleted and still.customer.full_name == "Ana Lima"

    await slack.user_clicks("UALICE", "C0SUPPORT", card.ts, "case_delete")
    stub = await bridge.case_message(ref, contains="was deleted")
    assert "Ana" not in str(stub.blocks) and "Ana" not in stub.text
    await slack.wait_for(
        lambda: not [m for m in slack.thread("C0SUPPORT", card.ts)[1:] if m.bot_id]
    )
    async with bridge.services.db.uow() as uow:
        gone = await uow.cases.get(case_id)
        assert gone is not None and gone.deleted and gone.status is CaseStatus.RESOLVED
        assert await uow.cases.messages(case_id) == []


async def test_device_info_is_shown_only_to_the_agent_who_asked(bridge: Casebridge) -> None:
    opened = await a_customer_opens_chat(bridge)
    card = await bridge.case_message(opened.case.reference)
    await bridge.slack.user_clicks("UCAROL", "C0SUPPORT", card.ts, "case_device")
    [info] = await bridge.slack.wait_for(lambda: bridge.slack.ephemerals("UCAROL"))
    for detail in (
        "Firefox 140",
        "Linux",
        "pt-BR",
        "America/Sao_Paulo",
        "1920x1080",
        "https://acme.test/help",
    ):
        assert detail in str(info.blocks)
    assert bridge.slack.ephemerals("UBOB") == []


async def test_broadcast_alerts_available_agents_by_their_preference(bridge: Casebridge) -> None:
    from bridge.services.agents import set_preference

    await set_preference(bridge.services, "UCAROL", "dm", False)
    await set_preference(bridge.services, "UCAROL", "mention", True)
    opened = await a_customer_opens_chat(bridge)
    card = await bridge.case_message(opened.case.reference)
    bob_dm = bridge.slack.dm_with("UBOB").id
    dm = await bridge.slack.wait_for_message(bob_dm, contains=opened.case.reference)
    assert "is waiting" in dm.text and card.ts.replace(".", "") in dm.text
    mention = await bridge.slack.wait_for_message(
        "C0SUPPORT", thread_ts=card.ts, contains="<@UCAROL>"
    )
    assert "<@UBOB>" not in mention.text
    alice_dm = bridge.slack.dm_with("UALICE").id  # unavailable: never alerted
    await bridge.slack.settle()
    assert bridge.slack.messages(alice_dm) == []
