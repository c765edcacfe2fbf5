"""casebridge's own aiohttp app, bolt listeners and deliverer, against the local Slack."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web

from bridge.bootstrap import Components, bootstrap
from bridge.core.routing import Mode
from bridge.outbox.deliverer import DeliveryPolicy
from bridge.ports import CustomerPush
from bridge.services import agents as agent_services
from bridge.services import portals as portal_services
from bridge.settings import Settings
from bridge.slack.calls import ChannelPacing
from bridge.web import create_app
from slackemu import SlackEmu
from slackemu.mailcatcher import MailCatcher
from slackemu.server import bound_port
from slackemu.state import Message
from storage.uow import Database

SECRET = "casebridge-test-secret"
APP_TOKEN = "xapp-1-casebridge"
FAST = DeliveryPolicy(
    lease=timedelta(seconds=1),
    backoff_base=0.05,
    backoff_cap=0.3,
    poll_interval=0.05,
    park_probe=0.2,
    park_probe_cap=0.5,
)


@dataclass
class RecordingPush:
    """The portal's side, recorded: what each case's browser was told (and, once the app is
    made, told for real to the sockets connected to the portal too)."""

    pushed: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    forward: CustomerPush | None = None

    async def push(self, case_id: int, kind: str, data: dict[str, Any]) -> None:
        self.pushed.append((case_id, kind, data))
        if self.forward is not None:
            await self.forward.push(case_id, kind, data)

    def of(self, case_id: int, kind: str) -> list[dict[str, Any]]:
        return [data for cid, k, data in self.pushed if cid == case_id and k == kind]


@dataclass
class Casebridge:
    """A running casebridge and the Slack it is connected to."""

    slack: SlackEmu
    components: Components
    push: RecordingPush
    runner: web.AppRunner
    restart: Callable[[], Awaitable[Casebridge]] | None = None

    @property
    def services(self) -> Any:
        return self.components.services

    async def case_message(self, reference: str, contains: str = "") -> Message:
        """The case's message in #support, once it shows `contains`."""
        return await self.slack.wait_for(
            lambda: next(
                (
                    m
                    for m in self.slack.messages("C0SUPPORT")
                    if reference in m.text and contains in str(m.blocks)
                ),
                None,
            ),
            timeout=10,
        )

    async def idle(self, timeout: float = 20) -> None:
        """Wait until the outbox has nothing left to deliver."""

        async def pending() -> int:
            async with self.services.db.uow() as uow:
                return len(await uow.outbox.due(self.services.clock.now() + timedelta(hours=1)))

        deadline = asyncio.get_running_loop().time() + timeout
        while await pending():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the outbox did not empty")
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_casebridge(
    slack: SlackEmu,
    database_url: str,
    push: RecordingPush,
    pacing: ChannelPacing | None = None,
    smtp_url: str | None = None,
    **settings_overrides: Any,
) -> Casebridge:
    socket_mode = slack.socket is not None
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        slack_bot_token="xoxb-local",
        slack_signing_secret=SECRET,
        slack_api_url=slack.api_url,
        slack_app_token=APP_TOKEN if socket_mode else None,
        smtp_url=smtp_url,
        mail_from="Acme Support <support@acme.test>",
        **settings_overrides,
    )
    components = bootstrap(settings, delivery=FAST, pacing=pacing or ChannelPacing("50 per second"))
    app = create_app(components)  # plugs the portal's Socket.IO push in
    assert components.updates is not None
    push.forward = components.updates.push
    components.updates.push = push
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    if not socket_mode:
        slack.deliver_to(
            f"http://127.0.0.1:{bound_port(site)}/slack/events", retry_delays=(0.05, 0.1, 0.2)
        )
    return Casebridge(slack, components, push, runner)


@asynccontextmanager
async def running_casebridge(
    database_url: str, socket_mode: bool, smtp_url: str | None = None, **settings_overrides: Any
) -> AsyncIterator[Casebridge]:
    """A broadcast portal on #support, Bob and Carol available, Alice (workspace admin) not."""
    files = tempfile.TemporaryDirectory(prefix="casebridge-files-")
    settings_overrides.setdefault("files_dir", files.name)
    # Method tiers off: restarts reconnect Socket Mode more often than Tier 1 allows.
    slack = await SlackEmu(
        signing_secret=SECRET,
        app_token=APP_TOKEN if socket_mode else None,
        channel_posts="50 per second",
        tiers_enabled=False,
    ).start()
    running = await start_casebridge(
        slack, database_url, RecordingPush(), smtp_url=smtp_url, **settings_overrides
    )
    ctx = running.services
    await portal_services.create_portal(
        ctx, company="Acme", subdomain="acme", mode=Mode.BROADCAST, channel_id="C0SUPPORT"
    )
    for user, name, available in (
        ("UBOB", "Bob", True),
        ("UCAROL", "Carol", True),
        ("UALICE", "Alice", False),
    ):
        await agent_services.ensure_agent(ctx, user, name, is_admin=user == "UALICE")
        if available:
            await agent_services.set_availability(ctx, user, True)
    holder = {"current": running}

    async def restart() -> Casebridge:
        holder["current"] = await start_casebridge(
            slack, database_url, running.push, smtp_url=smtp_url, **settings_overrides
        )
        return holder["current"]

    running.restart = restart
    try:
        yield running
    finally:
        await holder["current"].stop()
        await slack.stop()
        files.cleanup()


@pytest.fixture(params=["http", "socket"])
async def bridge(
    request: pytest.FixtureRequest, db: Database, database_url: str
) -> AsyncIterator[Casebridge]:
    """casebridge over signed HTTP, then over Socket Mode (see `running_casebridge`)."""
    async with running_casebridge(database_url, socket_mode=request.param == "socket") as running:
        yield running


@pytest.fixture
async def mailbox() -> AsyncIterator[MailCatcher]:
    """A real SMTP server on loopback that keeps what it receives."""
    async with MailCatcher() as catcher:
        yield catcher


@pytest.fixture
async def mailing_bridge(
    db: Database, database_url: str, mailbox: MailCatcher
) -> AsyncIterator[Casebridge]:
    """casebridge over signed HTTP, sending its email to `mailbox`."""
    async with running_casebridge(database_url, False, smtp_url=mailbox.url) as running:
        yield running
