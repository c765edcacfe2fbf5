"""The bot token goes only to Slack's file host: a file_share naming another address is never
fetched, and a redirect is never followed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bridge.ports import FileFetchRefused, FileFetchTooLarge, SlackFileRef
from bridge.slack.file_fetch import SlackFileFetcher, slack_file_origins
from slackemu.server import bound_port


class Elsewhere:
    """A web server that is not Slack, keeping what each request carried."""

    def __init__(self) -> None:
        self.seen: list[dict[str, str]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(dict(request.headers))
        if request.path == "/bounce":
            raise web.HTTPFound(f"{self.url}/file")
        return web.Response(body=b"%PDF-1.4 not yours")


@pytest.fixture
async def elsewhere() -> AsyncIterator[Elsewhere]:
    server = Elsewhere()
    app = web.Application()
    app.router.add_get("/{tail:.*}", server.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.url = f"http://127.0.0.1:{bound_port(site)}"
    try:
        yield server
    finally:
        await runner.cleanup()


def test_files_come_from_slacks_file_host_or_the_stand_in_named_by_slack_api_url() -> None:
    assert slack_file_origins("https://slack.com/api/") == {("https", "files.slack.com", 443)}
    assert slack_file_origins("http://127.0.0.1:3100/api/") == {
        ("https", "files.slack.com", 443),
        ("http", "127.0.0.1", 3100),
    }


async def test_a_file_on_another_host_is_refused_before_the_token_leaves(
    elsewhere: Elsewhere,
) -> None:
    fetcher = SlackFileFetcher("xoxb-secret", slack_file_origins("https://slack.com/api/"))
    foreign = SlackFileRef("F1", "invoice.pdf", 10, f"{elsewhere.url}/files-pri/T1-F1/x.pdf")
    with pytest.raises(FileFetchRefused):
        await fetcher.fetch(foreign, 1000)
    for sneaky in ("https://files.slack.com.evil.test/x", "https://user:pw@files.slack.com/x"):
        with pytest.raises(FileFetchRefused):
            await fetcher.fetch(SlackFileRef("F2", "x", 1, sneaky), 1000)
    assert elsewhere.seen == []


async def test_a_redirect_is_a_refusal_and_is_not_followed(elsewhere: Elsewhere) -> None:
    # The stand-in's own address is allowed here: it plays Slack, so a redirect is Slack's.
    fetcher = SlackFileFetcher(
        "xoxb-secret", slack_file_origins(f"{elsewhere.url}/api/"), delays=(0.01,)
    )
    with pytest.raises(FileFetchRefused):
        await fetcher.fetch(SlackFileRef("F1", "x.pdf", 10, f"{elsewhere.url}/bounce"), 1000)
    assert len(elsewhere.seen) == 1  # asked once, not again at the redirect's address


async def test_the_bytes_are_counted_as_they_come_whatever_slack_said_the_size_was(
    elsewhere: Elsewhere,
) -> None:
    fetcher = SlackFileFetcher("xoxb-secret", slack_file_origins(f"{elsewhere.url}/api/"))
    said_small = SlackFileRef("F1", "x.pdf", 5, f"{elsewhere.url}/file")
    with pytest.raises(FileFetchTooLarge):
        await fetcher.fetch(said_small, 10)
    assert await fetcher.fetch(said_small, 1000) == b"%PDF-1.4 not yours"
    assert elsewhere.seen[-1]["Authorization"] == "Bearer xoxb-secret"
