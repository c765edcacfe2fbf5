"""The local Slack's upload flow, driven by slack_sdk as casebridge drives real Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slackemu import SlackEmu
from slackemu.state import BOT_USER_ID

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 56
CHANNEL = "C0SUPPORT"


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmu]:
    async with SlackEmu() as emu:
        emu.workspace.scopes |= {"files:write", "files:read"}
        yield emu


def client_of(slack: SlackEmu) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)


async def upload(url: str, content: bytes) -> int:
    async with aiohttp.ClientSession() as http, http.post(url, data=content) as answer:
        return answer.status


async def test_a_file_uploaded_and_completed_is_shared_once_in_the_thread(
    slack: SlackEmu,
) -> None:
    client = client_of(slack)
    parent = await client.chat_postMessage(channel=CHANNEL, text="Case #1")
    asked = await client.files_getUploadURLExternal(filename="screen.png", length=len(PNG))
    file_id = asked["file_id"]
    assert asked["upload_url"].startswith(slack.url)

    # Completing before the bytes arrived is refused; the bytes arrive once.
    with pytest.raises(SlackApiError) as early:
        await client.files_completeUploadExternal(files=[{"id": file_id, "title": "screen.png"}])
    assert early.value.response["error"] == "file_not_found"
    assert await upload(asked["upload_url"], PNG) == 200
    assert await upload(asked["upload_url"], PNG) == 404

    done = await client.files_completeUploadExternal(
        files=[{"id": file_id, "title": "screen.png"}],
        channel_id=CHANNEL,
        thread_ts=parent["ts"],
        initial_comment="from Ana",
    )
    assert done["files"] == [{"id": file_id, "title": "screen.png"}]

    replies = (await client.conversations_replies(channel=CHANNEL, ts=parent["ts"]))["messages"]
    shared = replies[1]
    assert shared["text"] == "from Ana" and shared["thread_ts"] == parent["ts"]
    assert [f["id"] for f in shared["files"]] == [file_id]
    assert shared["files"][0]["mimetype"] == "image/png"

    info = (await client.files_info(file=file_id))["file"]
    assert info["size"] == len(PNG) and info["user"] == BOT_USER_ID
    posts = info["shares"]["public"][CHANNEL]
    assert [(p["ts"], p["thread_ts"]) for p in posts] == [(shared["ts"], parent["ts"])]


async def test_a_deleted_file_leaves_the_thread_and_answers_file_deleted(slack: SlackEmu) -> None:
    client = client_of(slack)
    parent = await client.chat_postMessage(channel=CHANNEL, text="Case #2")
    asked = await client.files_getUploadURLExternal(filename="a.pdf", length=9)
    await upload(asked["upload_url"], b"%PDF-1.4\n")
    await client.files_completeUploadExternal(
        files=[{"id": asked["file_id"]}], channel_id=CHANNEL, thread_ts=parent["ts"]
    )
    await client.files_delete(file=asked["file_id"])
    replies = (await client.conversations_replies(channel=CHANNEL, ts=parent["ts"]))["messages"]
    assert len(replies) == 1
    for call in (client.files_info, client.files_delete):
        with pytest.raises(SlackApiError) as gone:
            await call(file=asked["file_id"])
        assert gone.value.response["error"] == "file_deleted"


async def test_bad_arguments_and_missing_scope_answer_as_slack(slack: SlackEmu) -> None:
    client = client_of(slack)
    with pytest.raises(SlackApiError) as empty:
        await client.files_getUploadURLExternal(filename="x.txt", length=0)
    assert empty.value.response["error"] == "missing_argument"
    with pytest.raises(SlackApiError) as unknown:
        await client.files_info(file="F404")
    assert unknown.value.response["error"] == "file_not_found"
    slack.workspace.scopes.discard("files:write")
    with pytest.raises(SlackApiError) as scope:
        await client.files_getUploadURLExternal(filename="x.txt", length=3)
    assert scope.value.response["error"] == "missing_scope"


async def test_an_agents_file_share_carries_a_url_private_only_the_bot_token_opens(
    slack: SlackEmu,
) -> None:
    client = client_of(slack)
    parent = await client.chat_postMessage(channel=CHANNEL, text="Case #3")
    pdf = b"%PDF-1.4\nreport\n"
    posted = await slack.user_posts(
        "UBOB",
        CHANNEL,
        "here it is",
        parent["ts"],
        files=["report.pdf"],
        contents={"report.pdf": pdf},
    )
    assert posted.subtype == "file_share" and posted.files is not None
    shared = posted.files[0]
    assert shared["url_private"].startswith(slack.url) and shared["user"] == "UBOB"
    assert shared["mimetype"] == "application/pdf" and shared["size"] == len(pdf)
    async with aiohttp.ClientSession() as http:
        bot = {"Authorization": f"Bearer {slack.bot_token}"}
        async with http.get(shared["url_private_download"], headers=bot) as answer:
            assert answer.status == 200 and await answer.read() == pdf
        # Without the bot token, as Slack does: a redirect to the sign-in page, not the file
        wrong = {"Authorization": "Bearer xoxb-someone-else"}
        for headers in ({}, wrong):
            async with http.get(
                shared["url_private"], headers=headers, allow_redirects=False
            ) as stranger:
                assert stranger.status == 302
                sign_in = stranger.headers["Location"]
                assert sign_in.startswith("https://casebridge-local.slack.com/?redir=")
                assert "files-pri" in sign_in
                assert await stranger.read() != pdf
    info = (await client.files_info(file=shared["id"]))["file"]
    assert info["shares"]["public"][CHANNEL][0]["thread_ts"] == parent["ts"]
    with pytest.raises(SlackApiError) as not_ours:
        await client.files_delete(file=shared["id"])
    assert not_ours.value.response["error"] == "cant_delete_file"
