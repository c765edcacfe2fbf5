"""A customer's file reaches the case's thread through Slack's upload flow, once, in order."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from bridge.core.errors import InvalidInput
from bridge.services import casework, customer
from bridge.services.attachments import attach_customer_file, customer_file
from slackemu.state import Message
from tests.slack.conftest import Casebridge
from tests.slack.test_case_journey import a_customer_opens_chat

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 120
CHANNEL = "C0SUPPORT"


def customer_posts(bridge: Casebridge, thread_ts: str) -> list[Message]:
    return [m for m in bridge.slack.thread(CHANNEL, thread_ts)[1:] if m.username or m.files]


def stored_files(folder: str) -> list[Path]:
    """Every file kept under the store's directory."""
    return [p for p in Path(folder).rglob("*") if p.is_file()]


def shared_names(bridge: Casebridge, thread_ts: str) -> list[str]:
    return [f["name"] for m in customer_posts(bridge, thread_ts) for f in m.files or []]


async def test_customer_attaches_a_screenshot_and_it_lands_between_their_lines(
    bridge: Casebridge,
) -> None:
    opened = await a_customer_opens_chat(bridge)
    card = await bridge.case_message(opened.case.reference)
    await customer.post_customer_message(bridge.services, opened.token, "look at this")
    sent = await attach_customer_file(bridge.services, opened.token, "C:\\tmp\\screen.png", PNG)
    await customer.post_customer_message(bridge.services, opened.token, "see?")

    await bridge.slack.wait_for(
        lambda: any("see?" in m.text for m in customer_posts(bridge, card.ts))
    )
    await bridge.idle()
    posts = customer_posts(bridge, card.ts)
    order = ["file" if m.files else m.text for m in posts]
    assert order.index("file") > next(i for i, t in enumerate(order) if "look at this" in t)
    assert order.index("file") < next(i for i, t in enumerate(order) if "see?" in t)
    [shared] = [m for m in posts if m.files]
    assert shared.files is not None and shared.files[0]["name"] == "screen.png"
    assert shared.files[0]["mimetype"] == "image/png"  # Slack got the very bytes

    # The chat's line for the file reached Slack like any other line, and reads as its name.
    async with bridge.services.db.read() as uow:
        stored = {m.id: m for m in await uow.cases.messages(opened.case.id)}
    assert stored[sent.message_id].slack_ts == shared.ts
    assert "screen.png" in stored[sent.message_id].text
    found, content = await customer_file(bridge.services, opened.token, sent.attachment_id)
    assert (found.name, found.kind, content) == ("screen.png", "image/png", PNG)


async def test_files_that_can_carry_script_or_are_too_big_are_refused_and_go_nowhere(
    bridge: Casebridge,
) -> None:
    opened = await a_customer_opens_chat(bridge)
    await bridge.case_message(opened.case.reference)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(InvalidInput) as refused:
        await attach_customer_file(bridge.services, opened.token, "cat.png", svg)
    assert refused.value.code == "file_type"
    big = PNG + b"\x00" * bridge.services.attachment_limits.file_bytes
    with pytest.raises(InvalidInput) as too_big:
        await attach_customer_file(bridge.services, opened.token, "big.png", big)
    assert too_big.value.code == "file_too_large"
    await bridge.idle()
    assert bridge.slack.calls_to("files.getUploadURLExternal") == []
    other = await a_customer_opens_chat(bridge, "another case")
    sent = await attach_customer_file(bridge.services, opened.token, "mine.png", PNG)
    with pytest.raises(InvalidInput) as not_theirs:
        await customer_file(bridge.services, other.token, sent.attachment_id)
    assert not_theirs.value.code == "unknown_file"


async def test_cut_off_after_slack_shared_the_file_the_retry_does_not_share_it_again(
    bridge: Casebridge,
) -> None:
    opened = await a_customer_opens_chat(bridge)
    card = await bridge.case_message(opened.case.reference)
    await bridge.idle()
    await bridge.stop()  # from here on we play the deliverer by hand
    slack = bridge.slack
    slack.faults.delay("files.completeUploadExternal", seconds=0.5)  # shared, answered late

    await attach_customer_file(bridge.services, opened.token, "screen.png", PNG)
    async with bridge.services.db.uow() as uow:
        [item] = [
            i
            for i in await uow.outbox.due(bridge.services.clock.now())
            if i.operation == "thread.file"
        ]
    assert bridge.components.slack is not None
    dying = asyncio.create_task(bridge.components.slack.deliverer.deliver(item))
    await slack.wait_for(
        lambda: slack.faults.planned["files.completeUploadExternal"][0].remaining == 0
    )
    dying.cancel()  # the process dies while Slack's answer is on its way
    with contextlib.suppress(asyncio.CancelledError):
        await dying

    await bridge.components.db.dispose()
    assert bridge.restart is not None
    restarted = await bridge.restart()
    await restarted.idle()
    assert shared_names(restarted, card.ts) == ["screen.png"]
    assert len(slack.calls_to("files.completeUploadExternal")) == 1
    assert len(slack.calls_to("files.getUploadURLExternal")) == 1
    assert slack.calls_to("files.info")  # the retry looked before doing anything again


async def test_deleting_the_case_removes_its_files_from_storage_and_from_slack(
    bridge: Casebridge,
) -> None:
    opened = await a_customer_opens_chat(bridge)
    card = await bridge.case_message(opened.case.reference)
    await attach_customer_file(bridge.services, opened.token, "secret-invoice.png", PNG)
    await bridge.slack.wait_for(lambda: shared_names(bridge, card.ts) == ["secret-invoice.png"])
    [uploaded] = list(bridge.slack.uploads.values())
    files_dir = bridge.components.settings.files_dir
    assert stored_files(files_dir)

    await customer.end_chat(bridge.services, opened.token)
    await casework.delete_case(bridge.services, opened.case.id, "UALICE", is_admin=True)
    await bridge.idle()

    assert uploaded.deleted  # files.delete on the bot's own upload
    assert shared_names(bridge, card.ts) == []
    assert not stored_files(files_dir)  # the bytes are gone
    async with bridge.services.db.read() as uow:
        assert await uow.attachments.of_case(opened.case.id) == []
