"""A real slack-bolt AsyncApp, served over HTTP or Socket Mode, wired to the stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from slackemu import SlackEmu

SECRET = "test-signing-secret"
APP_TOKEN = "xapp-1-local"


@dataclass
class Heard:
    """What the bolt app's listeners saw."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)
    submissions: list[dict[str, Any]] = field(default_factory=list)
    homes: list[str] = field(default_factory=list)


def build_bolt_app(emu: SlackEmu, heard: Heard) -> AsyncApp:
    """An ordinary bolt app: echoes thread replies, answers a command, handles a button."""
    client = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url)
    app = AsyncApp(signing_secret=SECRET, client=client)

    @app.event("message")
    async def on_message(event: dict[str, Any], say: Any) -> None:
        heard.messages.append(event)
        if event.get("subtype") is None and event.get("text", "").startswith("echo "):
            await say(
                text=f"you said {event['text'][5:]}",
                thread_ts=event.get("thread_ts") or event["ts"],
            )

    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], client: AsyncWebClient) -> None:
        heard.homes.append(event["user"])
        await client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [
                    {
                        "type": "section",
                        "block_id": "hello",
                        "text": {"type": "mrkdwn", "text": "Hello *home*"},
                    }
                ],
            },
        )

    @app.command("/casebridge")
    async def on_command(ack: Any, command: dict[str, Any]) -> None:
        heard.commands.append(command)
        await ack(text=f"you ran: {command['text']}")

    @app.action("claim")
    async def on_claim(
        ack: Any, body: dict[str, Any], respond: Any, client: AsyncWebClient
    ) -> None:
        await ack()
        heard.actions.append(body)
        await respond(replace_original=True, text=f"claimed by <@{body['user']['id']}>")

    @app.action("open_form")
    async def on_open_form(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(
            trigger_id=body["trigger_id"],
            view={
                "type": "modal",
                "callback_id": "form",
                "title": {"type": "plain_text", "text": "Reply by email"},
                "submit": {"type": "plain_text", "text": "Send"},
                "blocks": [
                    {
                        "type": "input",
                        "block_id": "body",
                        "label": {"type": "plain_text", "text": "Body"},
                        "element": {"type": "plain_text_input", "action_id": "text"},
                    }
                ],
            },
        )

    @app.view("form")
    async def on_submit(ack: Any, view: dict[str, Any]) -> None:
        text = view["state"]["values"]["body"]["text"]["value"]
        if not text.strip():
            await ack(response_action="errors", errors={"body": "Write something"})
            return
        heard.submissions.append(view)
        await ack()

    return app


@dataclass
class Rig:
    slack: SlackEmu
    app: AsyncApp
    heard: Heard


async def serve_bolt(app: AsyncApp) -> tuple[web.AppRunner, str]:
    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/slack/events"


@pytest.fixture
async def http_rig() -> AsyncIterator[Rig]:
    """The stand-in delivering signed HTTP requests to a bolt app."""
    slack = await SlackEmu(signing_secret=SECRET).start()
    heard = Heard()
    app = build_bolt_app(slack, heard)
    runner, url = await serve_bolt(app)
    slack.deliver_to(url, ack_timeout=2.0, retry_delays=(0.0, 0.1, 0.1))
    yield Rig(slack, app, heard)
    await slack.stop()
    await runner.cleanup()


@pytest.fixture
async def socket_rig() -> AsyncIterator[Rig]:
    """The stand-in serving Socket Mode to a bolt app's AsyncSocketModeHandler."""
    slack = await SlackEmu(signing_secret=SECRET, app_token=APP_TOKEN, ack_timeout=1.0).start()
    heard = Heard()
    app = build_bolt_app(slack, heard)
    handler = AsyncSocketModeHandler(app, APP_TOKEN, web_client=app.client)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    yield Rig(slack, app, heard)
    await handler.close_async()  # type: ignore[no-untyped-call]
    await slack.stop()
