"""Builds the Slack side (bolt app, deliverer) and attaches it to the aiohttp application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bridge import views
from bridge.core.events import Event
from bridge.outbox.deliverer import DeliveryPolicy
from bridge.services.context import ServiceContext
from bridge.settings import Settings
from bridge.slack.authorization import CachedAuthorization
from bridge.slack.calls import ChannelPacing, SlackCalls
from bridge.slack.catch_up import ThreadCatchUp
from bridge.slack.delivering import SlackDeliverer
from bridge.slack.delivery_ops import HANDLERS
from bridge.slack.doctor import Report, Setup, checkup, setup_from, talks_to_real_slack
from bridge.slack.file_fetch import SlackFileFetcher, slack_file_origins
from bridge.slack.inbox import SlackInbox, note_authorized
from bridge.slack.listeners import Deps, cases, commands, email, home, inbound_email, messages
from bridge.slack.outbox_writer import SlackOutbox
from bridge.slack.people import People
from bridge.slack.requests import read_form_fields
from bridge.slack.signature import SlackSignature, readable_body
from bridge.slack.socket_mode import DurableSocketModeHandler, SocketModeLink

log = logging.getLogger(__name__)


@dataclass
class SlackBridge:
    app: AsyncApp
    deliverer: SlackDeliverer
    listeners: Deps
    app_token: str | None = field(repr=False)  # set: Socket Mode
    signing_secret: str | None = field(repr=False)  # set: HTTP mode (/slack/events)
    setup: Setup | None = field(default=None, repr=False)
    health: Report = field(default_factory=Report)  # the start-up check's findings
    inbox: SlackInbox | None = field(default=None, repr=False)
    authorization: CachedAuthorization | None = field(default=None, repr=False)
    socket_mode: SocketModeLink | None = field(default=None, repr=False)  # once attached
    catch_up: ThreadCatchUp | None = field(default=None, repr=False)


def shared_limits(settings: Settings) -> str:
    """Where limits are counted: Redis when workers share one, else this process's memory."""
    return settings.redis_url.get_secret_value() if settings.redis_url else "memory://"


def build_slack(
    settings: Settings,
    services: ServiceContext,
    policy: DeliveryPolicy | None = None,
    pacing: ChannelPacing | None = None,
) -> SlackBridge:
    """The bolt app and the outbox deliverer, hooked into the services' event bus."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = AsyncWebClient(token=token, base_url=settings.slack_api_url)
    # The deliverer retries by itself; slack_sdk's own retry of a dropped connection could
    # post a message twice behind its back.
    delivery_client = AsyncWebClient(
        token=token, base_url=settings.slack_api_url, retry_handlers=[], timeout=15
    )
    deliverer = SlackDeliverer(
        services.db,
        # Slack's per-channel limit is the workspace's, not a worker's: shared through Redis.
        SlackCalls(delivery_client, pacing or ChannelPacing(storage_uri=shared_limits(settings))),
        services.clock,
        HANDLERS,
        policy,
    )
    services.bus.staging.append(SlackOutbox(services.clock))
    services.bus.published.append(deliverer.on_events)

    async def announce(events: Sequence[Event]) -> None:
        for publish in services.bus.published:
            await publish(events)

    deliverer.announce = announce
    deliverer.files = services.files
    signing_secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    authorization = CachedAuthorization(client, on_authorized=note_authorized)
    app = AsyncApp(
        signing_secret=signing_secret or "socket-mode-only",
        client=client,
        authorize=authorization.for_bolt(),
    )
    inbox = SlackInbox(services, app)
    inbox.is_own_event = authorization.is_own_event
    catch_up = ThreadCatchUp(services, client, inbox)
    inbox.gap_listeners.append(catch_up.request)
    deliverer.resumed_listeners.append(catch_up.after_repair)
    deliverer.calls.joined_listeners.append(catch_up.request)
    deps = Deps(
        services,
        People(client, services),
        deliverer,
        settings.public_url,
        inbox=inbox,
        files=SlackFileFetcher(token, slack_file_origins(settings.slack_api_url)),
    )
    for area in (cases, messages, home, commands, email, inbound_email):
        area.register(app, deps)
    return SlackBridge(
        app,
        deliverer,
        deps,
        settings.slack_app_token.get_secret_value() if settings.slack_app_token else None,
        signing_secret=signing_secret,
        setup=setup_from(settings),
        inbox=inbox,
        authorization=authorization,
        catch_up=catch_up,
    )


async def _startup_checkup(bridge: SlackBridge) -> None:
    """`casebridge doctor`'s checks, once at start-up: in the log and in /healthz."""
    if bridge.setup is None:
        return
    # Our own request URL only answers once the server listens, a moment after start-up;
    # the local stand-in delivers wherever it is told, so only real Slack's path is tried.
    if talks_to_real_slack(bridge.setup):
        await asyncio.sleep(2)
    try:
        portals = await views.portals(bridge.listeners.services)
        report = await checkup(
            bridge.setup,
            portals,
            bridge.app.client,
            request_url=talks_to_real_slack(bridge.setup),
            socket_mode=False,
        )
    except Exception:  # a check-up must never take casebridge down
        log.exception("the Slack start-up check failed")
        return
    bridge.health = report
    for problem in report.problems:
        log.warning("Slack set-up: %s", problem)
    if report.ok:
        log.info("Slack set-up: token, scopes and every portal's channel are fine")


def _bolt_request(request: web.Request, body: bytes) -> AsyncBoltRequest | None:
    """Bolt's view of a signed request, or None when even Slack's body cannot be read."""
    text = readable_body(body, request.content_type)
    if text is None:
        return None
    return read_form_fields(
        AsyncBoltRequest(body=text, query=request.query_string, headers=dict(request.headers))
    )


async def _warm(authorization: CachedAuthorization) -> None:
    try:
        await authorization.warm()
    except Exception as exc:  # bolt asks again with the first request
        log.warning("could not authorise with Slack yet: %s", exc)


def attach(web_app: web.Application, bridge: SlackBridge) -> None:
    """POST /slack/events (HTTP mode), Socket Mode if configured, and the deliverer task."""
    inbox, authorization = bridge.inbox, bridge.authorization
    assert inbox is not None and authorization is not None, "built by build_slack"
    if bridge.signing_secret:
        signature = SlackSignature(bridge.signing_secret)

        async def slack_events(request: web.Request) -> web.Response:
            body = await signature.signed_body(request)  # always the very first step
            if isinstance(body, web.Response):
                return body
            bolt_request = _bolt_request(request, body)
            if bolt_request is None:
                return web.json_response({"error": "unreadable_body"}, status=400)
            # Stored in the inbox before bolt acknowledges it; a 503 when it cannot be.
            return await to_aiohttp_response(await inbox.handle(bolt_request))

        web_app.router.add_post("/slack/events", slack_events)

    async def background(_app: web.Application) -> AsyncIterator[None]:
        delivering = asyncio.create_task(bridge.deliverer.run(), name="slack-deliverer")
        # Authorise once, before the first burst of events asks for it.
        warming = asyncio.create_task(_warm(authorization), name="slack-auth")
        inbox_task = asyncio.create_task(inbox.run(), name="slack-inbox")
        if bridge.app_token:
            # The portal must not wait for Slack: connect in the background, keep trying.
            handler = DurableSocketModeHandler(
                bridge.app, bridge.app_token, inbox, web_client=bridge.app.client
            )
            bridge.socket_mode = SocketModeLink(handler, inbox.gap)
            bridge.socket_mode.start()
        checking = asyncio.create_task(_startup_checkup(bridge), name="slack-checkup")
        yield
        checking.cancel()
        if bridge.socket_mode is not None:
            await bridge.socket_mode.close()
        warming.cancel()
        if bridge.catch_up is not None:
            await bridge.catch_up.stop()
        await inbox.stop(inbox_task)
        await inbox.drain()
        await bridge.listeners.drain()
        await bridge.deliverer.stop(delivering)
        await bridge.deliverer.calls.pacing.limiter.aclose()  # Redis connections, if shared

    web_app.cleanup_ctx.append(background)
