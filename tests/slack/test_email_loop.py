"""The email loop, for real: casebridge emails the customer, the customer answers by email,
and the answer shows up in the case's thread in Slack — over SMTP and from an IMAP mailbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.message import EmailMessage

import aiosmtplib
import pytest
from sqlalchemy import delete

from bridge import views
from bridge.mail.inbound.reading import read_email
from bridge.services import agents, casework, customer
from bridge.services.email_intake import receive_email
from bridge.services.intake import NewCase, OpenedCase, open_case
from slackemu.mailcatcher import CaughtMail, MailCatcher
from slackemu.state import Message
from storage.models import ProcessedEventRow
from storage.uow import Database
from tests.imap_server import ImapServer
from tests.slack.conftest import Casebridge, running_casebridge


@pytest.fixture
async def looping_bridge(
    db: Database, database_url: str, mailbox: MailCatcher
) -> AsyncIterator[Casebridge]:
    """casebridge sending to `mailbox` and receiving on its own SMTP listener."""
    async with running_casebridge(
        database_url, False, smtp_url=mailbox.url, inbound_smtp="127.0.0.1:0"
    ) as running:
        yield running


async def a_support_request(bridge: Casebridge, mailbox: MailCatcher) -> tuple[OpenedCase, Message]:
    opened = await open_case(
        bridge.services,
        NewCase(
            subdomain="acme",
            first_name="Ana",
            last_name="Lima",
            email="ana@example.com",
            question="My printer is on fire",
            support_request=True,
        ),
    )
    card = await bridge.case_message(opened.case.reference, contains="Reply by email")
    await mailbox.wait_for(1)
    return opened, card


def the_customer_answers(
    to: CaughtMail, text: str, sender: str = "Ana Lima <ana@example.com>"
) -> EmailMessage:
    """What Ana's mail program sends when she presses Reply: quoted history included."""
    answer = EmailMessage()
    answer["From"] = sender
    answer["To"] = to.header("Reply-To")
    answer["Subject"] = "Re: " + to.header("Subject")
    answer["In-Reply-To"] = to.header("Message-ID")
    answer["References"] = to.header("Message-ID")
    answer["Message-ID"] = f"<answer-{abs(hash(text))}@example.com>"
    quoted = "\n".join(f"> {line}" for line in to.part("plain").splitlines())
    answer.set_content(f"{text}\n\nOn Monday, Acme Support wrote:\n{quoted}\n")
    return answer


def an_email_to_the_portal(message_id: str) -> EmailMessage:
    """A first email from a new customer to acme's portal address."""
    new = EmailMessage()
    new["From"] = "Zoe Quinn <zoe@example.org>"
    new["To"] = "support+acme@acme.test"
    new["Subject"] = "Invoice question"
    new["Message-ID"] = message_id
    new.set_content("Why was I charged twice?")
    return new


async def send_to(bridge: Casebridge, message: EmailMessage) -> None:
    inbound = bridge.components.inbound
    assert inbound is not None and inbound.smtp is not None
    await aiosmtplib.send(message, hostname="127.0.0.1", port=inbound.smtp.port)


def emails_in(bridge: Casebridge, card: Message) -> list[Message]:
    return [m for m in bridge.slack.thread("C0SUPPORT", card.ts) if "replied by email" in m.text]


async def test_the_customer_answers_by_email_and_the_thread_shows_only_the_new_words(
    looping_bridge: Casebridge, mailbox: MailCatcher
) -> None:
    bridge, slack = looping_bridge, looping_bridge.slack
    opened, card = await a_support_request(bridge, mailbox)
    confirmation = mailbox.caught[0]

    answer = the_customer_answers(confirmation, "It still smells of smoke <b>& sparks</b>")
    await send_to(bridge, answer)

    (post,) = await slack.wait_for(lambda: emails_in(bridge, card) or None)
    assert "Ana Lima replied by email" in post.text
    assert "It still smells of smoke &lt;b&gt;&amp; sparks&lt;/b&gt;" in post.text
    assert "We received your request" not in post.text  # the quoted history stays out
    assert ":warning:" not in post.text  # it came from the customer's own address

    # The agent can read it as it came
    await slack.user_clicks("UBOB", "C0SUPPORT", post.ts, "email_show_original")
    (modal,) = await slack.wait_for(lambda: slack.open_views("UBOB"))
    shown = str(modal.definition)
    assert "We received your request" in shown and "From: Ana Lima <ana@example.com>" in shown

    # The case keeps it as the customer's; the same email delivered again changes nothing
    await send_to(bridge, answer)
    await bridge.idle()
    assert len(emails_in(bridge, card)) == 1
    view = await customer.view_case(bridge.services, opened.token)
    assert [m.text for m in view.messages if m.direction == "customer"][-1].startswith(
        "It still smells"
    )


async def test_an_answer_to_a_resolved_request_reopens_it_for_the_same_agent(
    looping_bridge: Casebridge, mailbox: MailCatcher
) -> None:
    bridge, slack = looping_bridge, looping_bridge.slack
    opened, card = await a_support_request(bridge, mailbox)
    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim")
    await bridge.case_message(opened.case.reference, contains="Assigned to")
    await casework.resolve(bridge.services, opened.case.id, "UBOB")
    await bridge.case_message(opened.case.reference, contains="Reopen")

    await send_to(bridge, the_customer_answers(mailbox.caught[0], "It broke again."))

    await slack.wait_for(lambda: emails_in(bridge, card) or None)
    card = await bridge.case_message(opened.case.reference, contains="Resolve")
    async with bridge.services.db.uow() as uow:
        case = await uow.cases.get(opened.case.id)
    assert case is not None and case.status.value == "assigned" and case.assignee_id == "UBOB"
    # Bob prefers DMs: he is told directly
    dm = await slack.wait_for_message(slack.dm_with("UBOB").id, contains="replied by email")
    assert opened.case.reference in dm.text


async def test_someone_else_answering_is_flagged_and_auto_replies_never_reopen(
    looping_bridge: Casebridge, mailbox: MailCatcher
) -> None:
    bridge, slack = looping_bridge, looping_bridge.slack
    _, card = await a_support_request(bridge, mailbox)
    confirmation = mailbox.caught[0]

    out_of_office = the_customer_answers(confirmation, "I am out of the office until Monday.")
    out_of_office["Auto-Submitted"] = "auto-replied"
    await send_to(bridge, out_of_office)
    await send_to(
        bridge, the_customer_answers(confirmation, "I am Ana's colleague.", "mallory@evil.test")
    )

    (post,) = await slack.wait_for(lambda: emails_in(bridge, card) or None)
    assert "I am Ana's colleague." in post.text
    assert ":warning: Sent from mallory@evil.test" in post.text
    await bridge.idle()
    assert len(emails_in(bridge, card)) == 1  # the auto-reply was never posted


async def test_an_email_for_a_portal_opens_a_support_request_and_stray_mail_reaches_admins(
    looping_bridge: Casebridge, mailbox: MailCatcher
) -> None:
    bridge, slack = looping_bridge, looping_bridge.slack
    await send_to(bridge, an_email_to_the_portal("<new-1@example.org>"))
    card = await slack.wait_for(
        lambda: next((m for m in slack.messages("C0SUPPORT") if "Zoe Quinn" in m.text), None)
    )
    assert "Support request" in card.text

    stray = EmailMessage()
    stray["From"] = "someone@example.net"
    stray["To"] = "support@acme.test"
    stray["Subject"] = "Hello?"
    stray["Message-ID"] = "<stray-1@example.net>"
    stray.set_content("Is anyone there?")
    await send_to(bridge, stray)
    told = await slack.wait_for_message(slack.dm_with("UALICE").id, contains="names no case")
    assert "someone@example.net" in told.text


async def test_replies_read_from_a_real_imap_mailbox_reach_the_thread(
    db: Database, database_url: str, mailbox: MailCatcher, imap_server: ImapServer
) -> None:
    async with running_casebridge(
        database_url, False, smtp_url=mailbox.url, imap_url=imap_server.url
    ) as bridge:
        opened, card = await a_support_request(bridge, mailbox)
        answer = the_customer_answers(mailbox.caught[0], "Replying from my phone.")
        await bridge.idle()
        imap_server.deliver(bytes(answer))

        (post,) = await bridge.slack.wait_for(lambda: emails_in(bridge, card) or None, 20)
        assert "Replying from my phone." in post.text
        assert opened.case.reference in card.text


async def test_an_email_that_opened_a_request_opens_nothing_more_when_delivered_again(
    looping_bridge: Casebridge,
) -> None:
    bridge = looping_bridge
    new = an_email_to_the_portal("<new-twice@example.org>")
    first = await receive_email(bridge.services, read_email(bytes(new)))
    # A crash before it was recorded as handled: the same email comes again.
    async with bridge.services.db.uow() as uow:
        key = ProcessedEventRow.key == "mail:<new-twice@example.org>"
        await uow.session.execute(delete(ProcessedEventRow).where(key))
        await uow.commit()
    again = await receive_email(bridge.services, read_email(bytes(new)))
    assert first.outcome == "opened" and again.case_id == first.case_id


async def test_an_assignee_who_chose_email_alerts_is_emailed_of_the_customers_answer(
    looping_bridge: Casebridge, mailbox: MailCatcher
) -> None:
    bridge, slack = looping_bridge, looping_bridge.slack
    await agents.ensure_agent(bridge.services, "UBOB", "Bob", email="bob@acme.test")
    await agents.set_preference(bridge.services, "UBOB", "email", True)
    opened, card = await a_support_request(bridge, mailbox)
    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim")
    await bridge.case_message(opened.case.reference, contains="Assigned to")
    confirmation = next(m for m in mailbox.caught if "ana@example.com" in m.header("To"))

    await send_to(bridge, the_customer_answers(confirmation, "Still broken."))

    bob = await views.agent(bridge.services, "UBOB")  # his address comes from his Slack profile
    assert bob is not None and bob.email
    alert = await mailbox_waits_for(mailbox, bob.email, "email reply")
    assert opened.case.reference in alert.header("Subject")


async def mailbox_waits_for(mailbox: MailCatcher, to: str, subject: str) -> CaughtMail:
    """The first caught email to `to` whose subject says `subject`, once it arrives."""
    for count in range(len(mailbox.caught) + 1, len(mailbox.caught) + 6):
        for mail in await mailbox.wait_for(count):
            if to in mail.header("To") and subject in mail.header("Subject"):
                return mail
    raise AssertionError(f"no email to {to} about {subject}")
