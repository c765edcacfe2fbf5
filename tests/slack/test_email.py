"""Email, for real: casebridge → aiosmtplib → an SMTP server on loopback, driven from Slack."""

from __future__ import annotations

from datetime import timedelta

from bridge.services import agents, customer
from bridge.services.intake import NewCase, OpenedCase, open_case
from bridge.services.sweeps import Timings, sweep_unseen_replies
from slackemu.mailcatcher import MailCatcher
from storage.uow import Database
from tests.slack.conftest import Casebridge, running_casebridge


async def a_customer_opens_chat(
    bridge: Casebridge, email: str = "ana@example.com", language: str = "pt-BR"
) -> OpenedCase:
    return await open_case(
        bridge.services,
        NewCase(
            subdomain="acme",
            first_name="Ana",
            last_name="Lima",
            email=email,
            question="Minha impressora <pegou fogo> & não liga",
            language=language,
        ),
    )


async def test_customer_stops_waiting_and_gets_a_confirmation_in_their_language(
    mailing_bridge: Casebridge, mailbox: MailCatcher
) -> None:
    bridge = mailing_bridge
    await agents.ensure_agent(bridge.services, "UBOB", "Bob", email="bob@acme.test")
    await agents.set_preference(bridge.services, "UBOB", "email", True)
    opened = await a_customer_opens_chat(bridge)
    ref = opened.case.reference
    await bridge.case_message(ref, contains="Assign to me")

    await customer.stop_waiting(bridge.services, opened.token)

    card = await bridge.case_message(ref, contains="Reply by email")
    assert "Support request" in card.text
    caught = await mailbox.wait_for(3)  # Bob's alert for the chat, then for the request
    await bridge.idle()
    to_customer = next(m for m in caught if "ana@example.com" in m.header("To"))
    assert to_customer.header("From") == "Acme Support <support@acme.test>"
    assert to_customer.header("Reply-To") == f"support+{ref.lower()}@acme.test"
    assert to_customer.header("Subject") == f"Recebemos sua solicitação {ref}"
    assert to_customer.header("Content-Language") == "pt-BR"
    assert "Minha impressora <pegou fogo> & não liga" in to_customer.part("plain")
    assert "Minha impressora &lt;pegou fogo&gt; &amp; não liga" in to_customer.part("html")
    assert ref in to_customer.part("plain") and ref in to_customer.part("html")

    # Bob asked for email alerts; Carol (available, no email preference) did not
    to_bob = [m.header("Subject") for m in caught if "bob@acme.test" in m.header("To")]
    assert to_bob == [
        f"[casebridge] New live chat {ref} from Ana Lima",
        f"[casebridge] New support request {ref} from Ana Lima",
    ]
    assert len(mailbox.caught) == 3


async def test_the_assignee_replies_by_email_from_slack(
    mailing_bridge: Casebridge, mailbox: MailCatcher
) -> None:
    bridge, slack = mailing_bridge, mailing_bridge.slack
    opened = await a_customer_opens_chat(bridge, language="fr")
    ref = opened.case.reference
    await customer.stop_waiting(bridge.services, opened.token)
    card = await bridge.case_message(ref, contains="Reply by email")
    await mailbox.wait_for(1)

    # Carol has not taken the case: she is asked to assign it to herself first
    await slack.user_clicks("UCAROL", "C0SUPPORT", card.ts, "case_reply_email")
    asked = await slack.wait_for(lambda: slack.ephemerals("UCAROL"))
    assert "yourself" in asked[-1].text and slack.open_views("UCAROL") == []

    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim")
    await bridge.case_message(ref, contains="Assigned to")
    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_reply_email")
    (modal,) = await slack.wait_for(lambda: slack.open_views("UBOB"))
    assert f"Re : votre demande {ref}" in str(modal.definition)  # Ana writes French

    # an empty body is refused in the modal; nothing is sent
    refused = await slack.user_submits(
        "UBOB",
        modal.id,
        {"subject": {"subject": {"value": f"Re: {ref}"}}, "body": {"body": {"value": "  "}}},
    )
    assert refused.body["response_action"] == "errors" and "body" in refused.body["errors"]

    sent = await slack.user_submits(
        "UBOB",
        modal.id,
        {
            "subject": {"subject": {"value": f"Re: {ref} printer"}},
            "body": {"body": {"value": "Bonjour Ana,\n\nUnplug it for <30> seconds."}},
        },
    )
    assert sent.ok and not sent.body, sent.body
    (_, reply) = await mailbox.wait_for(2)
    assert reply.header("Subject") == f"Re: {ref} printer"
    assert reply.header("To") == "Ana Lima <ana@example.com>"
    assert reply.header("Reply-To") == f"support+{ref.lower()}@acme.test"
    assert reply.header("Content-Language") == "fr"
    assert "Unplug it for <30> seconds." in reply.part("plain")
    assert "Bob" in reply.part("plain")
    assert "Unplug it for &lt;30&gt; seconds." in reply.part("html")

    # the team sees what was sent, in the thread; the case keeps it
    note = await slack.wait_for(
        lambda: [m for m in slack.thread("C0SUPPORT", card.ts) if ":email:" in m.text]
    )
    assert "Unplug it for &lt;30&gt; seconds." in note[0].text
    view = await customer.view_case(bridge.services, opened.token)
    assert any(m.direction == "email" and "Unplug" in m.text for m in view.messages)
    await bridge.idle()
    assert len(mailbox.caught) == 2  # sent once


async def test_a_refused_address_is_reported_in_the_thread_and_not_retried(
    mailing_bridge: Casebridge, mailbox: MailCatcher
) -> None:
    bridge, slack = mailing_bridge, mailing_bridge.slack
    opened = await a_customer_opens_chat(bridge, email="ana@nowhere.invalid")
    await customer.stop_waiting(bridge.services, opened.token)
    card = await bridge.case_message(opened.case.reference, contains="Reply by email")

    warning = await slack.wait_for(
        lambda: [m for m in slack.thread("C0SUPPORT", card.ts) if ":warning:" in m.text]
    )
    assert "ana@nowhere.invalid" in warning[0].text and "550" in warning[0].text
    await bridge.idle()
    async with bridge.services.db.uow() as uow:
        failed = await uow.outbox.failed()
    assert [item.operation for item in failed] == ["mail.send"]
    assert mailbox.caught == []

    # An admin's Home lists it by what it was and the case's reference, not internal ids
    await slack.user_opens_home("UALICE")

    def listed_failures() -> str | None:
        view = slack.home("UALICE")
        shown = str(view.definition) if view else ""
        return shown if "Deliveries that failed" in shown else None

    listed = await slack.wait_for(listed_failures)
    reference = opened.case.reference
    assert "Email to the customer for <https://slack.com/archives/C0SUPPORT/p" in listed
    assert f"|{reference}>: " in listed and "550" in listed
    assert "mail.send" not in listed and "(case " not in listed


async def test_a_mail_server_that_says_later_gets_the_email_once_it_recovers(
    mailing_bridge: Casebridge, mailbox: MailCatcher
) -> None:
    mailbox.transient_failures = 2
    opened = await a_customer_opens_chat(mailing_bridge)
    await customer.stop_waiting(mailing_bridge.services, opened.token)

    (received,) = await mailbox.wait_for(1)
    await mailing_bridge.idle()
    assert opened.case.reference in received.header("Subject")
    assert len(mailbox.caught) == 1


async def test_an_answer_the_departed_customer_never_saw_is_emailed_with_a_way_back(
    mailing_bridge: Casebridge, mailbox: MailCatcher
) -> None:
    bridge, slack = mailing_bridge, mailing_bridge.slack
    opened = await a_customer_opens_chat(bridge, language="es")
    await customer.set_presence(bridge.services, opened.token, connected=True)
    card = await bridge.case_message(opened.case.reference, contains="Assign to me")
    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim")
    await bridge.case_message(opened.case.reference, contains="Assigned to")
    await customer.set_presence(bridge.services, opened.token, connected=False)
    await slack.user_posts("UBOB", "C0SUPPORT", "Reinicie o roteador", thread_ts=card.ts)
    await slack.wait_for(lambda: bridge.push.of(opened.case.id, "agent_message"))

    timings = Timings(unseen_reply=timedelta(0))
    assert len(await sweep_unseen_replies(bridge.services, timings)) == 1
    assert await sweep_unseen_replies(bridge.services, timings) == []

    (email,) = await mailbox.wait_for(1)
    assert email.header("Content-Language") == "es"
    assert "Reinicie o roteador" in email.part("plain")
    assert "/p/acme" in email.part("plain") and 'href="http' in email.part("html")


async def test_the_running_scheduler_turns_a_long_wait_into_a_request_on_its_own(
    db: Database, database_url: str, mailbox: MailCatcher
) -> None:
    # The one test on the wall clock: it proves the sweeps are wired into the app's life.
    async with running_casebridge(
        database_url,
        socket_mode=False,
        smtp_url=mailbox.url,
        sweep_interval_seconds=0.2,
        max_wait_seconds=1,
        wait_warning_seconds=1,
    ) as bridge:
        opened = await a_customer_opens_chat(bridge, language="en")
        await bridge.case_message(opened.case.reference, contains="Reply by email")
        (confirmation,) = await mailbox.wait_for(1)
        assert confirmation.header("Subject") == f"We received your request {opened.case.reference}"
        assert bridge.push.of(opened.case.id, "wait_warning")


async def test_a_mail_server_refusing_our_sender_parks_mail_until_it_is_fixed(
    mailing_bridge: Casebridge, mailbox: MailCatcher
) -> None:
    mailbox.refused_senders = ("support@acme.test",)  # MAIL_FROM not allowed (yet)
    opened = await a_customer_opens_chat(mailing_bridge)
    await customer.stop_waiting(mailing_bridge.services, opened.token)

    mail = mailing_bridge.components.mail
    assert mail is not None
    await mailing_bridge.slack.wait_for(lambda: mail.board.all(), timeout=10)
    [park] = mail.board.all()
    assert park.scope == "smtp" and park.error.startswith("553") and "MAIL_FROM" in park.fix
    async with mailing_bridge.services.db.read() as uow:
        assert await uow.outbox.failed() == []  # the customer's email waits, it is not lost

    mailbox.refused_senders = ()  # the admin fixed it

    (received,) = await mailbox.wait_for(1, timeout=15)
    assert opened.case.reference in received.header("Subject")
    await mailing_bridge.slack.wait_for(lambda: not mail.board.all(), timeout=10)
    assert len(mailbox.caught) == 1
