"""The aiohttp application that carries the portal, /slack/events and /healthz."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy import text

from bridge.bootstrap import Components
from bridge.outbox.deliverer import OutboxDeliverer
from bridge.ports import NoCustomerPush
from bridge.scheduler import build_scheduler
from bridge.slack.bridge import attach as attach_slack
from portal.web import attach as attach_portal
from storage.worker_slot import WorkerSlot, WorkerSlotTaken

log = logging.getLogger(__name__)
COMPONENTS = web.AppKey("components", Components)


HEALTH_TIMEOUT = 5.0  # seconds: a health check that waits for a busy pool answers "unhealthy"


@web.middleware
async def unavailable_not_500(request: web.Request, handler: Handler) -> web.StreamResponse:
    """An unexpected failure (the database away, its pool exhausted) is a short 503 that says
    to come back, logged once per kind (repeats are counted), never a 500 per request."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return web.json_response({"error": "unavailable"}, status=503, headers={"Retry-After": "1"})


async def healthz(request: web.Request) -> web.Response:
    """Liveness and database reachability, for load balancers and `make run`'s wait."""
    components = request.app[COMPONENTS]
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT), components.db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database is "unhealthy"
        log.warning("health check: database unreachable: %s", exc)
        return web.json_response({"status": "unhealthy", "database": "unreachable"}, status=503)
    health: dict[str, object] = {
        "status": "ok",
        "database": "ok",
        "delivery": _delivery(components),
    }
    if components.slack is not None and components.slack.health.checked_at is not None:
        # What `casebridge doctor` found at start-up; a Slack problem is not the load
        # balancer's business, so the status stays 200.
        health["slack"] = components.slack.health.as_json()
    return web.json_response(health)


async def readyz(request: web.Request) -> web.Response:
    """Which parts are up: the web server (always, or nobody would answer), the database,
    and Slack (authorised; Socket Mode connected). 200 when customers can be served (the
    database answers), whatever Slack is doing: the portal never waits for Slack."""
    components = request.app[COMPONENTS]
    parts: dict[str, str] = {"web": "up"}
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT), components.db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        parts["database"] = "up"
    except Exception:  # unreachable, for whatever reason
        parts["database"] = "down"
    slack = components.slack
    if slack is None:
        parts["slack"] = "not configured"
    else:
        authorised = slack.authorization is not None and slack.authorization.result is not None
        parts["slack_auth"] = "up" if authorised else "pending"
        if slack.app_token:
            link = slack.socket_mode
            parts["slack_socket_mode"] = (
                "up" if link is not None and await link.connected() else "connecting"
            )
        if slack.signing_secret:
            parts["slack_events_http"] = "up"
    ready = parts["database"] == "up"
    return web.json_response(
        {"status": "ready" if ready else "not ready", "parts": parts}, status=200 if ready else 503
    )


def _delivery(components: Components) -> dict[str, object]:
    """Parked delivery lanes: what is wrong, the one thing to do, how much waits on it."""
    deliverers: list[OutboxDeliverer] = [
        d for d in (components.slack.deliverer if components.slack else None, components.mail) if d
    ]
    parked = [
        {
            "kind": park.kind,
            "scope": park.scope,
            "error": park.error,
            "fix": park.fix,
            "since": park.since.isoformat(),
            "waiting": park.waiting,
        }
        for deliverer in deliverers
        for park in deliverer.board.all()
    ]
    return {"status": "parked" if parked else "ok", "parked": parked}


def _background(components: Components) -> Callable[[web.Application], AsyncIterator[None]]:
    """Mail in and out and the scheduler's sweeps, for the life of the application."""

    async def run(_app: web.Application) -> AsyncIterator[None]:
        delivering = None
        if components.mail is not None:
            delivering = asyncio.create_task(components.mail.run(), name="mail-deliverer")
        deliverers: list[OutboxDeliverer] = []
        if components.mail is not None:
            deliverers.append(components.mail)
        if components.slack is not None:
            deliverers.append(components.slack.deliverer)
        scheduler = build_scheduler(components.settings, components.services, deliverers)
        scheduler.start()
        if components.inbound is not None:
            await components.inbound.start()
        yield
        if components.inbound is not None:
            await components.inbound.stop()
        await scheduler.stop()
        if components.mail is not None and delivering is not None:
            await components.mail.stop(delivering)

    return run


def worker_slot(components: Components) -> Callable[[web.Application], AsyncIterator[None]]:
    """For `casebridge run`: take this process's place in the installation, or refuse."""

    async def hold(_app: web.Application) -> AsyncIterator[None]:
        slot = WorkerSlot()
        try:
            await slot.acquire(
                components.db, shares_state=components.settings.redis_url is not None
            )
        except WorkerSlotTaken as taken:
            raise SystemExit(f"casebridge: {taken}") from None
        yield
        await slot.release()

    return hold


def create_app(components: Components) -> web.Application:
    """The web application: health check, the customer portal, Slack, background work."""
    app = web.Application(middlewares=[unavailable_not_500])
    app[COMPONENTS] = components
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)

    async def dispose_database(_app: web.Application) -> AsyncIterator[None]:
        yield
        if components.services.files is not None:
            await components.services.files.close()
        await components.db.dispose()

    # Registered first so it is cleaned up last, after everything that still uses the database.
    app.cleanup_ctx.append(dispose_database)
    app.cleanup_ctx.append(_background(components))
    push = attach_portal(app, components.services, components.settings)
    if components.updates is not None and isinstance(components.updates.push, NoCustomerPush):
        components.updates.push = push
    if components.slack is not None:
        attach_slack(app, components.slack)
    else:
        log.warning(
            "Slack is not configured (SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET or "
            "SLACK_APP_TOKEN): cases are stored but not posted"
        )
    return app
