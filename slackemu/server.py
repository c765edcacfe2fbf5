"""The stand-in's server: configuration, routes, and how it delivers to the app."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any, Self

from aiohttp import web

from slackemu import payloads
from slackemu.delivery import (
    EVENTS,
    SLACK_RETRY_DELAYS,
    HttpDelivery,
    Outcome,
    SocketModeServer,
)
from slackemu.faults import Faults
from slackemu.files import UploadedFile, make_file_download_handler, make_upload_handler
from slackemu.limits import RateLimits
from slackemu.mailcatcher import MailCatcher
from slackemu.params import Params
from slackemu.responses import make_response_url_handler
from slackemu.state import BOT_USER_ID, Message, Workspace
from slackemu.webapi import make_handler

log = logging.getLogger(__name__)


def bound_port(site: web.TCPSite) -> int:
    """The port the OS gave a site started on port 0."""
    server: Any = site._server
    return int(server.sockets[0].getsockname()[1])


class EmulatorServer:
    """A Slack workspace on loopback: Web API, delivery to the app, bookkeeping."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_token: str = "xoxb-local",
        signing_secret: str = "local-signing-secret",
        app_url: str | None = None,
        app_token: str | None = None,
        ack_timeout: float = 3.0,
        retry_delays: tuple[float, ...] = SLACK_RETRY_DELAYS,
        channel_posts: str | None = "3 per 3 seconds",
        tiers_enabled: bool = True,
        trigger_lifetime: float = 3.0,
        seed: Mapping[str, Any] | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.bot_token, self.signing_secret = bot_token, signing_secret
        self.app_url, self.app_token = app_url, app_token
        self.retry_delays = retry_delays
        self.workspace = Workspace(seed)  # the demo's people and channels unless given
        self.limits = RateLimits(channel_posts, tiers_enabled)
        self.faults = Faults()
        self.calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        self.http = (
            HttpDelivery(app_url, signing_secret, ack_timeout, retry_delays)
            if app_url and not app_token
            else None
        )
        self.socket = (
            SocketModeServer(ack_timeout=ack_timeout, retry_delays=retry_delays)
            if app_token
            else None
        )
        self.triggers: dict[str, tuple[float, str]] = {}
        self.trigger_lifetime = trigger_lifetime
        self.response_urls: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, UploadedFile] = {}  # file id -> file, from its upload URL on
        self.downloads: list[tuple[str, bool]] = []  # url_private requests: (file id, served)
        self.sent_with: dict[str, dict[str, Any]] = {}  # ts -> the params that made it
        self.envelopes: list[dict[str, Any]] = []  # every event_callback sent, oldest first
        self._tasks: set[asyncio.Task[Any]] = set()
        self.mail: MailCatcher | None = None  # shown at /mail when the runner starts one
        self._runner: web.AppRunner | None = None

    # --- lifecycle ---------------------------------------------------------------------
    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", make_handler(self))
        app.router.add_post("/_emu/response/{token}", make_response_url_handler(self))
        app.router.add_post("/upload/v1/{ticket}", make_upload_handler(self))
        download = make_file_download_handler(self)
        app.router.add_get("/files-pri/{team_file}/{name}", download)
        app.router.add_get("/files-pri/{team_file}/download/{name}", download)
        if self.socket is not None:
            app.router.add_get("/link/", self.socket.handle)
        return app

    async def start(self) -> Self:
        self._runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            self.port = bound_port(site)
        return self

    async def stop(self) -> None:
        await self.workspace.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.http is not None:
            await self.http.close()
        if self.socket is not None:
            await self.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """What to give slack_sdk as base_url (SLACK_API_URL)."""
        return f"{self.url}/api/"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def deliver_to(
        self,
        app_url: str,
        ack_timeout: float = 3.0,
        retry_delays: tuple[float, ...] | None = None,
    ) -> None:
        """Deliver by signed HTTP to `app_url` (for apps started, or restarted, later)."""
        self.app_url = app_url
        if retry_delays is None:
            retry_delays = self.retry_delays
        if self.http is None:
            self.http = HttpDelivery(app_url, self.signing_secret, ack_timeout, retry_delays)
        else:  # keep the one client session; only where it posts changes
            self.http.app_url, self.http.ack_timeout = app_url, ack_timeout
            self.http.retry_delays = retry_delays

    # --- what happened ----------------------------------------------------------------
    async def changed(self) -> None:
        await self.workspace.touch()

    def record_call(self, method: str, params: Params, message: Message) -> None:
        self.sent_with[message.ts] = {"method": method, **params}

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call of `method`, oldest first."""
        return [params for name, params, _ in self.calls if name == method]

    # --- delivery to the app ------------------------------------------------------------
    async def deliver(self, kind: str, body: dict[str, Any]) -> Outcome:
        """Send one request to the app by whichever way it is connected, and wait for it."""
        if self.socket is not None:
            return await self.socket.send(kind, body)
        if self.http is not None:
            return await self.http.send(kind, body)
        log.info("no app connected; %s not delivered", kind)
        return Outcome(ok=False)

    def emit_event(self, event: dict[str, Any]) -> None:
        """Deliver an event in the background, as Slack does, if the app is in that channel."""
        channel_id = event.get("channel")
        channel = self.workspace.channels.get(channel_id) if channel_id else None
        if channel is not None and BOT_USER_ID not in channel.members:
            return
        envelope = payloads.event_envelope(event, self.workspace.team)
        self.envelopes.append(envelope)
        task = asyncio.get_running_loop().create_task(self.deliver(EVENTS, envelope))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def redeliver(self, envelope: dict[str, Any]) -> Outcome:
        """Send an event again, as Slack does when it thinks the first try was lost."""
        return await self.deliver(EVENTS, envelope)

    def envelope_for(self, ts: str) -> dict[str, Any]:
        """The event_callback that carried the message `ts`."""
        found = next(
            (
                e
                for e in self.envelopes
                if e["event"].get("ts") == ts
                and e["event"].get("subtype") in (None, "file_share", "thread_broadcast")
            ),
            None,
        )
        if found is None:
            raise LookupError(f"no event carried the message {ts}")
        return found

    async def settle(self, timeout: float = 30.0) -> None:
        """Wait until every background delivery has finished (acked or given up)."""
        deadline = time.monotonic() + timeout
        while self._tasks and time.monotonic() < deadline:
            await asyncio.wait(list(self._tasks), timeout=deadline - time.monotonic())

    def new_trigger(self, user: str) -> str:
        trigger = f"{int(time.time())}.{uuid.uuid4().hex[:12]}"
        self.triggers[trigger] = (time.monotonic() + self.trigger_lifetime, user)
        return trigger

    def new_response_url(self, **context: Any) -> str:
        token = uuid.uuid4().hex
        self.response_urls[token] = context
        return f"{self.url}/_emu/response/{token}"
