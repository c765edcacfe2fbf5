"""`casebridge doctor` and the start-up check: is the Slack side set up so nothing gets stuck?

Each problem is one line that says what is wrong and the one thing to do. The checks only
read (auth.test, conversations.info, apps.connections.open, one signed request to our own
request URL); nothing is posted and no channel is joined.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bridge.core.portals import Portal
from bridge.settings import Settings
from bridge.slack.diagnosis import explain

log = logging.getLogger(__name__)

# The bot scopes app_manifest.yml asks for (a test keeps the two lists equal).
MANIFEST_SCOPES = frozenset(
    {
        "chat:write",
        "chat:write.customize",
        "channels:history",
        "channels:join",
        "channels:read",
        "groups:history",
        "groups:read",
        "im:history",
        "im:write",
        "users:read",
        "users:read.email",
        "reactions:write",
        "commands",
        "files:write",
        "files:read",
    }
)
REAL_SLACK_HOST = "slack.com"
LOOPBACK = ("localhost", "127.0.0.1", "::1", "0.0.0.0")


@dataclass(frozen=True)
class Setup:
    """What the checks need to know about this installation."""

    bot_token: str | None
    api_url: str
    app_token: str | None  # set: Socket Mode
    signing_secret: str | None
    public_url: str


def setup_from(settings: Settings) -> Setup:
    """The parts of the settings the checks look at."""

    def secret(value: object) -> str | None:
        reveal = getattr(value, "get_secret_value", None)
        return str(reveal()) if reveal else (str(value) if value else None)

    return Setup(
        bot_token=secret(settings.slack_bot_token),
        api_url=settings.slack_api_url,
        app_token=secret(settings.slack_app_token),
        signing_secret=secret(settings.slack_signing_secret),
        public_url=settings.public_url,
    )


def talks_to_real_slack(setup: Setup) -> bool:
    return (urlsplit(setup.api_url).hostname or "").endswith(REAL_SLACK_HOST)


@dataclass
class Report:
    """The outcome of one check-up: one line per problem, none when all is well."""

    problems: list[str] = field(default_factory=list)
    checked_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, object]:
        return {
            "status": "ok" if self.ok else "problems",
            "problems": list(self.problems),
            "checked_at": self.checked_at.isoformat() if self.checked_at else None,
        }


def _error(exc: SlackApiError) -> tuple[str, str | None]:
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    needed = data.get("needed")
    return str(data.get("error") or f"HTTP {exc.response.status_code}"), (
        str(needed) if needed else None
    )


async def check_token(client: AsyncWebClient) -> tuple[list[str], set[str] | None]:
    """The bot token works; returns its problems and the scopes Slack says it holds."""
    try:
        answer = await client.auth_test()
    except SlackApiError as exc:
        error, _ = _error(exc)
        return [explain(error)], None
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return [
            f"Slack's Web API does not answer ({exc}). Fix: check SLACK_API_URL and the network."
        ], None
    header = answer.headers.get("x-oauth-scopes") or answer.headers.get("X-OAuth-Scopes")
    granted = {s.strip() for s in str(header).split(",") if s.strip()} if header else None
    return [], granted


def check_scopes(granted: set[str] | None) -> list[str]:
    """Every scope the manifest asks for is granted."""
    if granted is None:
        return []  # Slack did not say; nothing to compare
    return [explain("missing_scope", needed=scope) for scope in sorted(MANIFEST_SCOPES - granted)]


async def check_channel(client: AsyncWebClient, portal: Portal) -> list[str]:
    """The portal has a channel, Slack can see it, it is not archived, the bot is in it."""
    name = portal.subdomain
    if not portal.channel_id:
        return [
            f"Portal {name} has no Slack channel, so its cases cannot be posted. Fix: type "
            f"`/casebridge portal channel {name}` in the channel its cases should go to."
        ]
    try:
        info = (await client.conversations_info(channel=portal.channel_id))["channel"]
    except SlackApiError as exc:
        error, needed = _error(exc)
        return [f"Portal {name}: {explain(error, portal.channel_id, needed)}"]
    if info.get("is_archived"):
        return [f"Portal {name}: {explain('is_archived', portal.channel_id)}"]
    if not info.get("is_member") and not info.get("is_im"):
        how = (
            "type `/invite @casebridge` in it"
            if info.get("is_private")
            else f"type `/casebridge portal channel {name}` in it (casebridge joins it) "
            "or `/invite @casebridge`"
        )
        return [
            f"Portal {name}: casebridge is not a member of <#{portal.channel_id}>, so it "
            f"would not hear agents' replies. Fix: {how}."
        ]
    return []


async def check_socket_mode(client: AsyncWebClient, app_token: str) -> list[str]:
    """Slack hands out a Socket Mode connection for the app-level token."""
    try:
        await client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        error, _ = _error(exc)
        return [
            f"Slack refuses a Socket Mode connection (`{error}`). Fix: in the app's settings "
            "turn Socket Mode on and generate an app-level token with `connections:write` "
            "(Basic Information → App-Level Tokens); put it in SLACK_APP_TOKEN."
        ]
    return []


async def check_request_url(setup: Setup) -> list[str]:
    """Slack can reach PUBLIC_URL/slack/events, and what answers there is casebridge."""
    url = setup.public_url.rstrip("/") + "/slack/events"
    host = urlsplit(url).hostname or ""
    if talks_to_real_slack(setup) and (host in LOOPBACK or not url.startswith("https://")):
        return [
            f"Slack cannot deliver to {url} (it needs a public https address). Fix: set "
            "PUBLIC_URL to your public address behind TLS, or use Socket Mode (SLACK_APP_TOKEN)."
        ]
    body = json.dumps({"type": "url_verification", "token": "doctor", "challenge": "doctor"})
    timestamp = str(int(time.time()))
    verifier = SignatureVerifier(setup.signing_secret or "")
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": verifier.generate_signature(timestamp=timestamp, body=body) or "",
    }
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(10)) as r,
        ):
            answer = await r.text()
            if r.status == 200 and "doctor" in answer:
                return []
            problem = f"it answered HTTP {r.status}"
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        problem = f"it does not answer ({type(exc).__name__})"
    return [
        f"The request URL {url} is not casebridge: {problem}. Fix: make PUBLIC_URL reach "
        "this server (reverse proxy, TLS, HOST/PORT), with SLACK_SIGNING_SECRET matching the "
        "app's Signing Secret."
    ]


async def checkup(
    setup: Setup,
    portals: Sequence[Portal],
    client: AsyncWebClient | None = None,
    request_url: bool = True,
    socket_mode: bool = True,
) -> Report:
    """Every check, in the order an admin would fix things; one line per problem.

    `socket_mode=False` leaves out asking for a Socket Mode connection: a running casebridge's
    own connection already tells, and `apps.connections.open` is Tier 1 (about one a minute),
    so a second call at start-up would be refused and hold the real connection back."""
    report = Report()
    if not setup.bot_token:
        report.problems.append(explain("not_authed"))
        report.checked_at = datetime.now(UTC)
        return report
    client = client or AsyncWebClient(token=setup.bot_token, base_url=setup.api_url)
    problems, granted = await check_token(client)
    report.problems += problems
    if not problems:  # without a working token every other answer is the same refusal
        report.problems += check_scopes(granted)
        for portal in portals:
            if portal.active:
                report.problems += await check_channel(client, portal)
    if setup.app_token:
        if socket_mode:
            report.problems += await check_socket_mode(client, setup.app_token)
    elif request_url:
        report.problems += await check_request_url(setup)
    report.checked_at = datetime.now(UTC)
    return report
