"""Every /casebridge subcommand through real bolt and the local Slack, with its refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bridge.core.codes import Code
from bridge.core.routing import Mode
from bridge.services.portals import update_portal
from slackemu.state import BOT_USER_ID, Message
from tests.slack.conftest import Casebridge
from tests.slack.test_case_journey import a_customer_opens_chat


async def run(bridge: Casebridge, user: str, line: str, channel: str = "C0SUPPORT") -> str:
    """`user` types `/casebridge line`; the reply they alone see."""
    before = len(bridge.slack.ephemerals(user))
    outcome = await bridge.slack.user_runs(user, channel, f"/casebridge {line}")
    assert outcome.ok, outcome

    # acknowledged at once; the answer follows through the command's response_url
    def answered() -> list[Message] | None:
        found = bridge.slack.ephemerals(user)
        return found if len(found) > before else None

    shown = await bridge.slack.wait_for(answered)
    await bridge.slack.settle()
    assert len(bridge.slack.ephemerals(user)) == before + 1, "every command answers, once"
    reply = shown[-1]
    assert reply.ephemeral_to == user
    assert reply not in bridge.slack.messages(channel)  # nobody else sees it
    return reply.text


@pytest.mark.parametrize(
    "line",
    [
        "",
        "help",
        "dance",
        "available now",
        'portal create "acme',
        "cases everything",
        "notify sms on",
        "pin reset",
    ],
)
async def test_help_unknown_and_malformed_input_get_the_usage(
    bridge: Casebridge, line: str
) -> None:
    reply = await run(bridge, "UBOB", line)
    assert "/casebridge* — what you can do" in reply and "Traceback" not in reply
    if line not in ("", "help"):
        assert reply.startswith(":warning:")


async def test_availability_and_status(bridge: Casebridge) -> None:
    assert "now *unavailable*" in await run(bridge, "UBOB", "unavailable")
    status = await run(bridge, "UBOB", "status")
    assert "unavailable" in status and "Unassigned:* 0" in status
    assert "now *available*" in await run(bridge, "UBOB", "available")
    opened = await a_customer_opens_chat(bridge)
    card = await bridge.case_message(opened.case.reference)
    await bridge.slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim")
    await bridge.case_message(opened.case.reference, contains="Assigned to")
    status = await run(bridge, "UBOB", "status")
    assert opened.case.reference in status and "Your open cases (1)" in status
    assert "archives/C0SUPPORT/p" in status  # a link to the case message


async def test_going_available_hands_out_the_waiting_queue(bridge: Casebridge) -> None:
    await update_portal(bridge.services, "acme", mode=Mode.QUEUE)
    await run(bridge, "UBOB", "unavailable")
    await run(bridge, "UCAROL", "unavailable")
    opened = await a_customer_opens_chat(bridge)
    await bridge.case_message(opened.case.reference, contains="Queued")
    await run(bridge, "UCAROL", "available")
    await bridge.case_message(opened.case.reference, contains="Assigned to <@UCAROL>")


def code_of(reply: str) -> str:
    return reply.split("*")[1].replace(" ", "")


async def test_pin_codes_list_revoke_and_the_limit(bridge: Casebridge) -> None:
    first = await run(bridge, "UBOB", "pin")
    assert "Your code: *" in first and "/code" in first
    # acme is not a `pin` portal: its page has no code field, so it is not where to type it
    assert "/p/acme" not in first and "has no code field" in first
    code = code_of(first)
    assert len(code) == 9 and code.isdigit()
    assert code[:3] in await run(bridge, "UBOB", "pin list")
    assert "is revoked" in await run(bridge, "UBOB", f"pin revoke {code}")
    assert "no live codes" in await run(bridge, "UBOB", "pin list")
    await update_portal(bridge.services, "acme", mode=Mode.PIN)
    in_pin_mode = await run(bridge, "UBOB", "pin")
    assert "/code" in in_pin_mode and "/p/acme" in in_pin_mode
    for _ in range(7):
        assert "Your code" in await run(bridge, "UBOB", "pin")
    ninth = await run(bridge, "UBOB", "pin")
    assert ninth.startswith(":no_entry:") and "already have 8 live codes" in ninth
    assert "not one of your live codes" in await run(bridge, "UCAROL", f"pin revoke {code}")


async def test_an_expired_code_is_not_live_and_cannot_be_revoked(bridge: Casebridge) -> None:
    now = bridge.services.clock.now()
    async with bridge.services.db.uow() as uow:
        await uow.codes.add(
            Code("111222333", "UBOB", now - timedelta(hours=1), now - timedelta(minutes=40))
        )
        await uow.commit()
    assert "no live codes" in await run(bridge, "UBOB", "pin list")
    assert "not one of your live codes" in await run(bridge, "UBOB", "pin revoke 111 222 333")


async def test_case_lists(bridge: Casebridge) -> None:
    opened = await a_customer_opens_chat(bridge)
    await bridge.case_message(opened.case.reference)
    assert opened.case.reference in await run(bridge, "UBOB", "cases")
    assert opened.case.reference in await run(bridge, "UBOB", "cases unassigned")
    assert "My cases (0)" in await run(bridge, "UBOB", "cases mine")
    assert "All cases (1)" in await run(bridge, "UBOB", "cases all")


async def test_notification_preferences(bridge: Casebridge) -> None:
    assert "direct message" in await run(bridge, "UBOB", "notify dm off")
    assert "*on*" in await run(bridge, "UBOB", "notify quiet on")
    status = await run(bridge, "UBOB", "status")
    assert "DM off" in status and "quiet on" in status


async def test_portal_administration(bridge: Casebridge) -> None:
    refused = await run(bridge, "UBOB", "portal create globex")
    assert refused.startswith(":no_entry: Only admins")
    created = await run(
        bridge,
        "UALICE",
        'portal create Globex company="Globex Corp" mode=queue',
        channel="C0GENERAL",
    )
    assert "Portal created" in created and "Globex Corp" in created and "`queue`" in created
    taken = await run(bridge, "UALICE", "portal create ACME company=Other")
    assert "Subdomain 'acme' is taken" in taken
    invalid = await run(bridge, "UALICE", "portal create -a_ company=Bad")
    assert (
        "may only contain letters" in invalid and "must not start or end with a hyphen" in invalid
    )
    assert "3 to 63" in await run(bridge, "UALICE", "portal create ab company=Short")
    second = await run(bridge, "UALICE", 'portal create globex2 company="Globex Corp"')
    assert "already has a portal" in second
    listed = await run(bridge, "UALICE", "portal list")
    assert "*acme*" in listed and "*globex*" in listed
    assert "`pin`" in await run(bridge, "UALICE", "portal mode globex pin")
    assert "not a mode" in await run(bridge, "UALICE", "portal mode globex smartbox")
    assert "inactive" in await run(bridge, "UALICE", "portal deactivate globex")
    assert "active" in await run(bridge, "UALICE", "portal activate globex")
    assert "this channel" in await run(bridge, "UALICE", "portal channel globex")
    assert "<#C0SUPPORT>" in await run(bridge, "UALICE", "portal show GLOBEX")
    assert "No portal 'nope'" in await run(bridge, "UALICE", "portal show nope")
    assert "too many arguments" in await run(bridge, "UALICE", "portal show acme extra")
    embed = await run(bridge, "UALICE", "portal embed acme")
    assert "/p/acme" in embed and "window.open" in embed and "/p/acme/widget.js" in embed
    assert "any site" in await run(bridge, "UALICE", "portal origins acme")
    allowed = await run(
        bridge, "UALICE", "portal origins acme https://Shop.Acme.test/ http://x.io:8080"
    )
    assert "https://shop.acme.test, http://x.io:8080" in allowed
    assert "not an origin" in await run(bridge, "UALICE", "portal origins acme https://a.io/path")
    assert "any site" in await run(bridge, "UALICE", "portal origins acme none")


@pytest.mark.parametrize(
    "line",
    [
        'portal create payload-co company="Payload Inc"',
        'portal create acme-two company="payload=1&payload={}"',
    ],
)
async def test_a_command_works_whatever_its_text(bridge: Casebridge, line: str) -> None:
    # bolt read any form body containing "payload" as an empty interactive payload
    created = await run(bridge, "UALICE", line, channel="C0GENERAL")
    assert "Portal created" in created


async def test_a_slow_slack_profile_lookup_does_not_miss_the_ack(bridge: Casebridge) -> None:
    # users.info answers after Slack's three-second deadline: the command is acknowledged
    # in time (no error shown, no retry) and the answer follows
    bridge.slack.faults.delay("users.info", seconds=3.5)
    assert "Unassigned:*" in await run(bridge, "UBOB", "status")  # run() checks the ack


async def test_people_are_looked_up_once_a_while_not_on_every_command(
    bridge: Casebridge,
) -> None:
    before = len(bridge.slack.calls_to("users.info"))
    for line in ("status", "available", "status", "cases"):
        await run(bridge, "UCAROL", line)
    assert len(bridge.slack.calls_to("users.info")) - before == 1


async def test_portal_create_joins_a_public_channel_and_refuses_one_it_cannot_post_in(
    bridge: Casebridge,
) -> None:
    slack = bridge.slack
    # a public channel the bot is not in: casebridge joins it itself, then says yes
    assert BOT_USER_ID not in slack.workspace.channel("C0GENERAL").members
    created = await run(bridge, "UALICE", 'portal create globex company="Globex"', "C0GENERAL")
    assert "Portal created" in created
    assert BOT_USER_ID in slack.workspace.channel("C0GENERAL").members

    # a private channel nobody invited the bot to: refused, with the one thing to do
    slack.workspace.add_channel("G0VIP", "vip", {"UALICE", "UBOB"}, is_private=True)
    refused = await run(bridge, "UALICE", 'portal create initech company="Initech"', "G0VIP")
    assert "not created" in refused and "/invite @casebridge" in refused
    assert "initech" not in await run(bridge, "UALICE", "portal list")
    await slack.invite_bot("G0VIP")
    assert "Portal created" in await run(
        bridge, "UALICE", 'portal create initech company="Initech"', "G0VIP"
    )

    # an archived channel: the portal keeps its channel
    slack.workspace.add_channel("C0OLD", "old-support", {"UALICE", BOT_USER_ID})
    await slack.archive("C0OLD")
    moved = await run(bridge, "UALICE", "portal channel globex", "C0OLD")
    assert "not changed" in moved and "archived" in moved
    assert "<#C0GENERAL>" in await run(bridge, "UALICE", "portal show globex")

    # an install without channels:join: the missing scope is named
    slack.workspace.add_channel("C0NEW", "new-support", {"UALICE"})
    slack.workspace.scopes.discard("channels:join")
    refused = await run(bridge, "UALICE", "portal channel globex", "C0NEW")
    assert "`channels:join`" in refused and "reinstall" in refused.lower()


async def test_outside_text_in_command_answers_is_escaped_for_slack(bridge: Casebridge) -> None:
    # a company name and an embed snippet carry <, > and &: Slack must show them, not parse them
    await run(bridge, "UALICE", 'portal create evil company="<!channel> & <@UBOB>"', "C0GENERAL")
    shown = await run(bridge, "UALICE", "portal show evil")
    assert "&lt;!channel&gt; &amp; &lt;@UBOB&gt;" in shown and "<!channel>" not in shown
    embed = await run(bridge, "UALICE", "portal embed evil")
    assert "&lt;script src=" in embed and "<script" not in embed and "<a href" not in embed
    refused = await run(bridge, "UALICE", "portal show <!here>")
    assert "<!here>" not in refused
