"""An agent's reply with files reaches the customer: the file is copied from Slack into
casebridge, and the customer's browser fetches it from casebridge with the case token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from bridge.services import casework, customer
from bridge.services.attachments import attach_customer_file
from slackemu.state import Message
from storage.uow import Database
from tests.files_in_browser import PDF, PNG
from tests.slack.conftest import Casebridge, running_casebridge
from tests.slack.test_case_journey import a_customer_opens_chat

CHANNEL = "C0SUPPORT"


class Chat:
    """A customer's chat, claimed by Bob, with its thread in #support."""

    def __init__(self, case_id: int, token: str, thread_ts: str) -> None:
        self.case_id, self.token, self.thread_ts = case_id, token, thread_ts


async def claimed_chat(bridge: Casebridge, question: str = "Where is my invoice?") -> Chat:
    opened = await a_customer_opens_chat(bridge, question)
    card = await bridge.case_message(opened.case.reference, contains="Assign to me")
    await casework.claim(bridge.services, opened.case.id, "UBOB")
    await bridge.idle()
    return Chat(opened.case.id, opened.token, card.ts)


def base_url(bridge: Casebridge) -> str:
    return f"http://127.0.0.1:{bridge.runner.addresses[0][1]}"


def stored_files(bridge: Casebridge) -> list[Path]:
    return [p for p in Path(bridge.components.settings.files_dir).rglob("*") if p.is_file()]


async def agent_messages(bridge: Casebridge, chat: Chat, count: int) -> list[dict[str, Any]]:
    """What the customer's page was pushed, once `count` agent lines arrived."""
    await bridge.slack.wait_for(
        lambda: len(bridge.push.of(chat.case_id, "agent_message")) >= count, timeout=15
    )
    return bridge.push.of(chat.case_id, "agent_message")


async def all_done(bridge: Casebridge) -> None:
    """Slack's deliveries, our listeners and our outbox have all finished."""
    await bridge.slack.settle()
    assert bridge.components.slack is not None
    await bridge.components.slack.listeners.drain()
    await bridge.idle()


async def download(bridge: Casebridge, url: str, token: str) -> tuple[int, bytes]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(base_url(bridge) + url, headers={"Authorization": f"Bearer {token}"}) as got,
    ):
        return got.status, await got.read()


def notes_to(bridge: Casebridge, user: str) -> list[Message]:
    return bridge.slack.ephemerals(user)


async def bob_attaches(bridge: Casebridge, chat: Chat, text: str, **files: bytes) -> Message:
    """Bob replies in the case's thread with files (name → bytes), as Slack's client does."""
    return await bridge.slack.user_posts(
        "UBOB", CHANNEL, text, chat.thread_ts, files=list(files), contents=dict(files)
    )


@pytest.fixture
async def http_bridge(db: Database, database_url: str) -> AsyncIterator[Casebridge]:
    async with running_casebridge(database_url, socket_mode=False) as running:
        yield running


async def test_the_assignees_file_reaches_the_customers_socket_and_only_their_token_opens_it(
    bridge: Casebridge,
) -> None:
    chat = await claimed_chat(bridge)
    heard: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    page = socketio.AsyncClient(reconnection=False)
    page.on("agent_message", heard.put_nowait, namespace="/chat")
    await page.connect(
        base_url(bridge), auth={"token": chat.token}, namespaces=["/chat"], transports=["websocket"]
    )
    try:
        await bob_attaches(bridge, chat, "Here is your invoice", **{"invoice.pdf": PDF})
        message = await asyncio.wait_for(heard.get(), 15)
    finally:
        await page.disconnect()

    assert message["author"] == "Bob"
    assert message["text"].startswith("Here is your invoice")
    [file] = message["files"]
    assert (file["name"], file["kind"], file["size"]) == (
        "invoice.pdf",
        "application/pdf",
        len(PDF),
    )
    assert file["url"] == f"/files/{file['id']}"  # casebridge's own address, never Slack's
    assert "slack" not in str(message) and "xoxb" not in str(message)

    assert await download(bridge, file["url"], chat.token) == (200, PDF)
    other = await a_customer_opens_chat(bridge, "someone else")
    status, _ = await download(bridge, file["url"], other.token)
    assert status == 404
    async with aiohttp.ClientSession() as http, http.get(base_url(bridge) + file["url"]) as bare:
        assert bare.status == 401
    assert [served for _, served in bridge.slack.downloads] == [
        True
    ]  # fetched once, with the token


async def test_a_redelivered_file_share_is_neither_stored_nor_relayed_twice(
    http_bridge: Casebridge,
) -> None:
    bridge = http_bridge
    chat = await claimed_chat(bridge)
    posted = await bob_attaches(bridge, chat, "", **{"screen.png": PNG})
    [first] = await agent_messages(bridge, chat, 1)
    assert first["files"][0]["name"] == "screen.png"
    assert first["text"] == "📎 screen.png"  # a file alone: its line names it

    # Slack sends the same event again (a lost ack), then once more under a new event id
    # (as after a reconnect): both are known.
    await bridge.slack.redeliver(bridge.slack.envelope_for(posted.ts))
    again = bridge.slack.envelope_for(posted.ts)
    again["event_id"] = "Ev0ANOTHERID"
    await bridge.slack.redeliver(again)
    await all_done(bridge)

    assert len(bridge.push.of(chat.case_id, "agent_message")) == 1
    assert len(stored_files(bridge)) == 1
    async with bridge.services.db.read() as uow:
        assert len(await uow.attachments.of_case(chat.case_id)) == 1
    assert [served for _, served in bridge.slack.downloads] == [True]


async def test_files_from_anyone_but_the_assignee_or_in_a_note_never_reach_the_customer(
    http_bridge: Casebridge,
) -> None:
    bridge = http_bridge
    chat = await claimed_chat(bridge)
    await bridge.slack.user_posts(
        "UCAROL", CHANNEL, "try this", chat.thread_ts, files=["fix.pdf"], contents={"fix.pdf": PDF}
    )
    note = await bridge.slack.wait_for(lambda: notes_to(bridge, "UCAROL"), timeout=10)
    assert "Not sent to the customer" in note[-1].text
    await bob_attaches(bridge, chat, "// the log, for the team only", **{"log.txt": b"secret\n"})
    await all_done(bridge)

    assert bridge.push.of(chat.case_id, "agent_message") == []
    assert bridge.slack.downloads == []  # nothing was even fetched
    assert stored_files(bridge) == []
    async with bridge.services.db.read() as uow:
        assert await uow.attachments.of_case(chat.case_id) == []


async def test_a_file_too_big_or_of_a_refused_kind_stays_behind_and_the_agent_is_told(
    db: Database, database_url: str
) -> None:
    async with running_casebridge(
        database_url, socket_mode=False, file_max_bytes=len(PDF) + 10
    ) as bridge:
        chat = await claimed_chat(bridge)
        page = b"<html><script>alert(1)</script></html>"
        big = PNG + b"\x00" * (len(PDF) + 100)
        await bob_attaches(
            bridge, chat, "Three files", **{"page.html": page, "huge.png": big, "ok.pdf": PDF}
        )
        [message] = await agent_messages(bridge, chat, 1)
        assert [f["name"] for f in message["files"]] == ["ok.pdf"]
        assert message["text"] == "Three files\n📎 ok.pdf"
        note = await bridge.slack.wait_for(lambda: notes_to(bridge, "UBOB"), timeout=10)
        told = note[-1].text
        assert "`page.html`" in told and "not a kind" in told
        assert "`huge.png`" in told and "larger" in told
        assert "ok.pdf" not in told
        assert note[-1].thread_ts == chat.thread_ts
        await all_done(bridge)
        assert len(stored_files(bridge)) == 1
        # Slack said how big the file was: it was not even downloaded.
        assert len(bridge.slack.downloads) == 2


async def test_a_slack_download_that_fails_for_a_moment_is_tried_again(
    http_bridge: Casebridge,
) -> None:
    bridge = http_bridge
    chat = await claimed_chat(bridge)
    bridge.slack.faults.fail("files-pri", times=1, status=503)
    bridge.slack.faults.drop("files-pri", times=1)
    await bob_attaches(bridge, chat, "the report", **{"report.pdf": PDF})
    [message] = await agent_messages(bridge, chat, 1)
    assert await download(bridge, message["files"][0]["url"], chat.token) == (200, PDF)
    assert notes_to(bridge, "UBOB") == []


async def test_a_download_slack_does_not_allow_is_told_to_the_agent_and_the_text_still_goes(
    http_bridge: Casebridge,
) -> None:
    bridge = http_bridge
    chat = await claimed_chat(bridge)
    bridge.slack.workspace.scopes.discard("files:read")  # the app was installed without it
    await bob_attaches(bridge, chat, "see the attachment", **{"report.pdf": PDF})
    [message] = await agent_messages(bridge, chat, 1)
    assert message["text"] == "see the attachment" and "files" not in message
    note = await bridge.slack.wait_for(lambda: notes_to(bridge, "UBOB"), timeout=10)
    assert "`report.pdf`" in note[-1].text and "could not download" in note[-1].text
    assert [served for _, served in bridge.slack.downloads] == [False]  # redirected, not retried


async def test_after_a_reload_both_sides_files_are_links(http_bridge: Casebridge) -> None:
    bridge = http_bridge
    chat = await claimed_chat(bridge)
    mine = await attach_customer_file(bridge.services, chat.token, "screen.png", PNG)
    await bob_attaches(bridge, chat, "and the invoice", **{"invoice.pdf": PDF})
    await agent_messages(bridge, chat, 1)

    page = socketio.AsyncClient(reconnection=False)
    await page.connect(
        base_url(bridge), auth={"token": chat.token}, namespaces=["/chat"], transports=["websocket"]
    )
    try:
        hello = await page.call("hello", namespace="/chat")
    finally:
        await page.disconnect()
    lines = {m["id"]: m for m in hello["case"]["messages"]}
    [customer_file] = lines[mine.message_id]["files"]
    assert customer_file == {
        "id": mine.attachment_id,
        "name": "screen.png",
        "kind": "image/png",
        "size": len(PNG),
        "url": f"/files/{mine.attachment_id}",
    }
    [agent_line] = [m for m in hello["case"]["messages"] if m["direction"] == "agent"]
    [agent_file] = agent_line["files"]
    assert (agent_file["name"], agent_file["size"]) == ("invoice.pdf", len(PDF))
    assert await download(bridge, agent_file["url"], chat.token) == (200, PDF)
    assert await download(bridge, customer_file["url"], chat.token) == (200, PNG)


async def test_deleting_the_case_removes_the_agents_files_we_stored(
    http_bridge: Casebridge,
) -> None:
    bridge = http_bridge
    chat = await claimed_chat(bridge)
    posted = await bob_attaches(bridge, chat, "", **{"invoice.pdf": PDF})
    await agent_messages(bridge, chat, 1)
    assert len(stored_files(bridge)) == 1

    await customer.end_chat(bridge.services, chat.token)
    await casework.delete_case(bridge.services, chat.case_id, "UALICE", is_admin=True)
    await all_done(bridge)

    assert stored_files(bridge) == []
    async with bridge.services.db.read() as uow:
        assert await uow.attachments.of_case(chat.case_id) == []
    # Bob's own upload is his in Slack: the bot does not (and cannot) delete it.
    assert posted.files is not None
    assert not bridge.slack.uploads[posted.files[0]["id"]].deleted
    assert bridge.slack.calls_to("files.delete") == []
