"""casebridge's web app with its portal, on a real port; agents act through the services."""

from __future__ import annotations

import asyncio
import socket
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web

from bridge.bootstrap import Components, bootstrap
from bridge.core.routing import Mode
from bridge.services import agents as agent_services
from bridge.services import portals as portal_services
from bridge.settings import Settings
from bridge.web import create_app
from storage.uow import Database

PORTALS = {
    "acme": Mode.BROADCAST,
    "globex": Mode.MATCH,
    "initech": Mode.BUTTON,
    "umbrella": Mode.PIN,
    "hooli": Mode.QUEUE,
}


@dataclass
class Site:
    """A running casebridge portal; `url` is where the customer's browser goes."""

    url: str
    components: Components

    @property
    def services(self) -> Any:
        return self.components.services

    def portal(self, subdomain: str, **query: str) -> str:
        params = "&".join(f"{k}={v}" for k, v in query.items())
        return f"{self.url}/p/{subdomain}" + (f"?{params}" if params else "")


@asynccontextmanager
async def running_site(
    database_url: str, public_url: str | None = None, **overrides: Any
) -> AsyncIterator[Site]:
    """Five portals, one per mode; Bob and Carol available, Dave not.

    `public_url` may hold `{port}`, filled with the port the site listens on.
    """
    # Bound before the settings are made (they need the port) and served as is: no window in
    # which another process could take the port.
    files = tempfile.TemporaryDirectory(prefix="casebridge-files-")
    overrides.setdefault("files_dir", files.name)
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = int(listening.getsockname()[1])
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        public_url=(public_url or "http://127.0.0.1:{port}").format(port=port),
        **overrides,
    )
    components = bootstrap(settings)
    ctx = components.services
    for number, (subdomain, mode) in enumerate(PORTALS.items()):
        await portal_services.create_portal(
            ctx,
            company=subdomain.title(),
            subdomain=subdomain,
            mode=mode,
            channel_id=f"C0{number}",
        )
    for user, name, available in (
        ("UBOB", "Bob", True),
        ("UCAROL", "Carol", True),
        ("UDAVE", "Dave", False),
    ):
        await agent_services.ensure_agent(ctx, user, name)
        if available:
            await agent_services.set_availability(ctx, user, True)
    runner = web.AppRunner(create_app(components), access_log=None)
    await runner.setup()
    await web.SockSite(runner, listening).start()
    try:
        yield Site(f"http://127.0.0.1:{port}", components)
    finally:
        await runner.cleanup()
        files.cleanup()


@pytest.fixture
async def site(db: Database, database_url: str) -> AsyncIterator[Site]:
    """The portal site on its own port, portals at `/p/<subdomain>`."""
    async with running_site(database_url) as running:
        yield running


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """Wait until `check()` says yes (polling, as the outcome lives in another task)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.02)
