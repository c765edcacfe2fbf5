"""Delete case erases the customer everywhere we put them: database, its log, our logs, Slack."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from bridge.core.errors import NotAllowed
from bridge.services import casework, customer
from bridge.services.intake import NewCase, open_case
from slackemu.mailcatcher import MailCatcher
from storage.models import OutboxRow
from tests.slack.conftest import Casebridge

FIRST, LAST = "Zebulon", "Quuxworthy"
EMAIL = "zq.erasable@example.com"
QUESTION = "Erasable question about my gryphon"
SAID = "Erasable words the customer typed"
ANSWER = "Erasable answer the agent relayed"


def sqlite_files(database_url: str) -> list[Path]:
    path = Path(database_url.split("///", 1)[1])
    return [path, path.with_name(path.name + "-wal")]


def found_in(data: str | bytes, needles: list[str]) -> list[str]:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return [n for n in needles if n in text]


async def test_after_delete_case_nothing_of_the_customer_is_left(
    mailing_bridge: Casebridge,
    mailbox: MailCatcher,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    bridge, slack, ctx = mailing_bridge, mailing_bridge.slack, mailing_bridge.services
    opened = await open_case(
        ctx,
        NewCase(
            subdomain="acme",
            first_name=FIRST,
            last_name=LAST,
            email=EMAIL,
            question=QUESTION,
            device={"referrer": "https://erasable.example/help"},
        ),
    )
    case_id = opened.case.id
    card = await bridge.case_message(opened.case.reference)
    await customer.post_customer_message(ctx, opened.token, SAID)
    # The customer stops waiting: a support request, a confirmation email, alerts to agents.
    await customer.stop_waiting(ctx, opened.token)
    await slack.wait_for(lambda: [m for m in mailbox.caught if EMAIL in str(m.summary())])
    await slack.user_clicks("UBOB", "C0SUPPORT", card.ts, "case_claim")
    await bridge.case_message(opened.case.reference, contains="Assigned to")
    with pytest.raises(NotAllowed):  # a support request is answered by email, not the thread
        await casework.post_agent_message(ctx, case_id, "UBOB", ANSWER)
    await customer.end_chat(ctx, opened.token)
    await bridge.idle()

    def live_slack_text() -> str:
        """Every message Slack keeps (ephemeral ones vanish by themselves)."""
        return "\n".join(
            f"{m.username} {m.text} {m.blocks}"
            for messages in slack.workspace.messages.values()
            for m in messages
            if m.ephemeral_to is None
        )

    customer_data = [FIRST, LAST, EMAIL, QUESTION, SAID, "erasable.example"]
    # Before: the customer is in the thread, in agents' DMs, in the outbox and the database.
    assert found_in(live_slack_text(), customer_data)
    dms = [
        m
        for channel, messages in slack.workspace.messages.items()
        if channel.startswith("D")
        for m in messages
        if LAST in m.text
    ]
    assert dms, "the agents were alerted by DM"

    await slack.user_clicks("UALICE", "C0SUPPORT", card.ts, "case_delete")
    await bridge.case_message(opened.case.reference, contains="was deleted")
    await bridge.idle()

    assert found_in(live_slack_text(), customer_data) == []
    async with ctx.db.read() as uow:
        rows = (await uow.session.execute(select(OutboxRow))).scalars().all()
        kept = str([(r.payload, r.result, r.last_error) for r in rows])
    assert found_in(kept, customer_data) == []
    # Our logs (the test's SMTP server, "mail.log", stands for the world outside).
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")
    assert found_in(ours, customer_data) == []
    if database_url.startswith("sqlite"):
        # The file and its write-ahead log, byte for byte: no copy left in a free page or frame.
        for path in sqlite_files(database_url):
            if path.exists():
                leftover = found_in(path.read_bytes(), [*customer_data, ANSWER])
                assert leftover == [], f"{path.name} still holds {leftover}"
