"""`casebridge dev` (what `make run` runs): casebridge with local stand-ins for what is missing.

Without Slack credentials it starts the local Slack stand-in in its own process
(`python -m slackemu`), and seeds a demo company in it and in a fresh demo database; without
SMTP_URL it has the stand-in catch casebridge's email. With real credentials it seeds nothing.
It prints where to go, and Ctrl-C (or SIGTERM) stops everything it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bridge.bootstrap import bootstrap
from bridge.core.routing import Mode
from bridge.demo import DemoCompany, seed_demo
from bridge.demo_run import announce, withdraw
from bridge.links import code_page_url, portal_url
from bridge.services.portals import list_portals
from bridge.settings import Settings
from bridge.web import create_app
from storage import migrate

LOCAL_BOT_TOKEN = "xoxb-local"
LOCAL_SIGNING_SECRET = "local-signing-secret"
DEMO_DATABASE = Path(".demo") / "casebridge.db"
STARTUP_SECONDS = 30.0


class StartError(Exception):
    """Something the newcomer has to fix before casebridge can start (one line)."""


@dataclass(frozen=True)
class LocalPorts:
    web: int
    slack: int
    smtp: int
    inbound: int | None = None  # customers' email replies; next to the mail catcher's port

    @property
    def inbound_smtp(self) -> int:
        """Where replies to caught mail come back: given, else the catcher's port + 1 (or any)."""
        if self.inbound is not None:
            return self.inbound
        return self.smtp + 1 if self.smtp else 0


def local_settings(
    settings: Settings, ports: LocalPorts, local_token: str = LOCAL_BOT_TOKEN
) -> tuple[Settings, bool, bool]:
    """The settings to run with, and whether the local Slack and the mail catcher are needed."""
    given = settings.model_fields_set
    local_slack = settings.slack_bot_token is None
    local_mail = settings.smtp_url is None
    changes: dict[str, object] = {"port": ports.web}
    if "public_url" not in given:
        changes["public_url"] = f"http://localhost:{ports.web}"
    if local_slack:
        changes |= {
            "slack_bot_token": local_token,
            "slack_signing_secret": LOCAL_SIGNING_SECRET,
            "slack_app_token": None,
            "slack_api_url": f"http://127.0.0.1:{ports.slack}/api/",
        }
        if "database_url" not in given:
            # The stand-in's workspace lives in memory and starts empty; so does the demo's
            # database, or its cases would point at Slack messages that no longer exist.
            changes["database_url"] = f"sqlite+aiosqlite:///./{DEMO_DATABASE.as_posix()}"
    if local_mail:
        changes["smtp_url"] = f"smtp://127.0.0.1:{ports.smtp}"
        if "inbound_smtp" not in given:
            # The catcher's "reply as the customer" sends here: the demo closes the loop.
            changes["inbound_smtp"] = f"127.0.0.1:{ports.inbound_smtp}"
    merged = Settings.model_validate({**settings.model_dump(), **changes})
    return merged, local_slack, local_mail


def ports_needed(
    settings: Settings, ports: LocalPorts, local_slack: bool, local_mail: bool
) -> list[tuple[str, str, int]]:
    """Every (what, host, port) this run will listen on."""
    needed = [("casebridge", settings.host, ports.web)]
    if local_slack or local_mail:
        needed.append(("the local Slack", "127.0.0.1", ports.slack))
    if local_mail:
        needed.append(("the mail catcher", "127.0.0.1", ports.smtp))
    if settings.inbound_smtp:
        host, _, port = settings.inbound_smtp.rpartition(":")
        needed.append(("customers' email replies", host, int(port)))
    return needed


def check_ports(needed: Sequence[tuple[str, str, int]]) -> None:
    """Refuse, naming the port, when any is taken: before anything is started or deleted."""
    for what, host, port in needed:
        if port:  # port 0 is any free port, picked by whoever listens on it
            bind(what, host, port).close()


def bind(what: str, host: str, port: int) -> socket.socket:
    """A listening socket on host:port (0: a free port, read back), or why not in one line."""
    try:
        return socket.create_server((host, port))
    except OSError as exc:
        hint = (
            "is casebridge already running (make run)? Stop it (Ctrl-C in its terminal), "
            "or choose free ports: make run PORT=8000 SLACKEMU_PORT=3200 SMTP_PORT=2626"
        )
        raise StartError(
            f"port {port} on {host} ({what}) is not free ({exc.strerror}): {hint}"
        ) from None


def _fresh_demo_database(settings: Settings) -> None:
    if settings.database_url.endswith(DEMO_DATABASE.as_posix()):
        DEMO_DATABASE.parent.mkdir(exist_ok=True)
        for leftover in DEMO_DATABASE.parent.glob(DEMO_DATABASE.name + "*"):
            leftover.unlink()


def _start_stand_in(
    ports: LocalPorts, token: str, local_slack: bool, local_mail: bool
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "slackemu", "--port", str(ports.slack), "--bot-token", token]
    command += ["--print-ports"]  # the ports it listens on, once it does: port 0 is fine
    if local_slack:
        command += ["--app-url", f"http://127.0.0.1:{ports.web}/slack/events"]
        command += ["--signing-secret", LOCAL_SIGNING_SECRET]
    if local_mail:
        command += ["--smtp-port", str(ports.smtp)]
        command += ["--reply-smtp", f"127.0.0.1:{ports.inbound_smtp}"]
    # Its warnings and errors still show; its stdout is the one line of its ports.
    return subprocess.Popen(command, stdout=subprocess.PIPE)


async def _stand_in_ports(process: subprocess.Popen[bytes], ports: LocalPorts) -> LocalPorts:
    """The stand-in's ports once it listens (it prints them then): `ports` with them filled."""
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(
            asyncio.to_thread(process.stdout.readline), timeout=STARTUP_SECONDS
        )
    except TimeoutError:
        raise StartError(f"the local Slack stand-in did not start on port {ports.slack}") from None
    try:
        listening = json.loads(line)
    except ValueError:
        raise StartError(
            f"the local Slack stand-in stopped at start-up (is port {ports.slack} in use?)"
        ) from None
    smtp = listening["smtp_port"]
    return replace(ports, slack=int(listening["port"]), smtp=ports.smtp if smtp is None else smtp)


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def banner(
    settings: Settings,
    ports: LocalPorts,
    portals: Sequence[tuple[str, Mode]],
    demo: DemoCompany | None,
    local_mail: bool,
) -> str:
    """Where to go, as the lines printed once everything answers."""
    lines = ["", "casebridge is running. Open:"]
    for subdomain, mode in portals:
        lines.append(
            f"  customer portal ({mode.value:<9}) {portal_url(settings.public_url, subdomain)}"
        )
    if not portals:
        lines.append("  (no portals yet: `/casebridge portal create` in a support channel)")
    lines.append(f"  global code page            {code_page_url(settings.public_url)}")
    if demo is not None:
        lines.append(f"  agents' Slack (local)       http://127.0.0.1:{ports.slack}/")
        people = ", ".join(f"{a.name}{' (admin)' if a.is_admin else ''}" for a in demo.agents)
        lines.append(f"  agents, all available:      {people}")
    if local_mail:
        lines.append(f"  caught email (reply there)  http://127.0.0.1:{ports.slack}/mail")
    lines.append(f"  health                      {settings.public_url.rstrip('/')}/healthz")
    if demo is not None:
        lines.append(
            "The demo starts afresh each time (local Slack and its database). "
            "Set SLACK_BOT_TOKEN to use a real workspace."
        )
    lines.append("Ctrl-C stops everything.")
    return "\n".join(lines)


async def run_local(settings: Settings, ports: LocalPorts) -> None:
    """Start the stand-ins needed, seed the demo, serve casebridge until a stop signal."""
    token = f"{LOCAL_BOT_TOKEN}-{secrets.token_hex(6)}"
    _, local_slack, local_mail = local_settings(settings, ports, token)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stand_in = None
    runner = None
    with contextlib.ExitStack() as held:
        # A second `make run` must leave the first one's database and processes alone: every
        # port is held or checked before anything is started or deleted. casebridge's own
        # listeners are bound here, so port 0 gets a free port with no race, and the stand-in
        # is told the real ones.
        web_socket = held.enter_context(bind("casebridge", settings.host, ports.web))
        inbound_socket = None
        if local_mail and "inbound_smtp" not in settings.model_fields_set:
            where = ("customers' email replies", "127.0.0.1", ports.inbound_smtp)
            inbound_socket = held.enter_context(bind(*where))
        ports = replace(
            ports,
            web=web_socket.getsockname()[1],
            inbound=inbound_socket.getsockname()[1] if inbound_socket else ports.inbound,
        )
        check_ports(ports_needed(settings, ports, local_slack, local_mail)[1:])  # web: held
        try:
            if local_slack or local_mail:
                stand_in = _start_stand_in(ports, token, local_slack, local_mail)
                ports = await _stand_in_ports(stand_in, ports)
            settings, _, _ = local_settings(settings, ports, token)
            if local_slack:
                _fresh_demo_database(settings)
            await migrate.upgrade(settings.database_url)
            components = bootstrap(settings)
            if inbound_socket is not None and components.inbound and components.inbound.smtp:
                components.inbound.smtp.listen_on(inbound_socket)
            app_runner = web.AppRunner(create_app(components), access_log=None)
            await app_runner.setup()
            runner = app_runner  # from here on, cleaning up also disposes of the database
            demo = None
            if local_slack:
                client = AsyncWebClient(token=token, base_url=settings.slack_api_url)
                demo = await seed_demo(components.services, client)
            await web.SockSite(runner, web_socket).start()
            portals = [(p.subdomain, p.mode) for p in await list_portals(components.services)]
            if demo is not None:  # a real workspace's database is where DATABASE_URL says
                announce(settings)
            print(banner(settings, ports, portals, demo, local_mail), flush=True)
            await stop.wait()
            print("\nstopping…", flush=True)
        finally:
            withdraw()
            if runner is not None:
                await runner.cleanup()
            _stop(stand_in)
