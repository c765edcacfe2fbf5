"""The aiohttp application that carries the portal, /slack/events and /healthz."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy import text

from bridge.bootstrap import Components
from bridge.slack.bridge import attach as attach_slack

log = logging.getLogger(__name__)
COMPONENTS = web.AppKey("components", Components)


async def healthz(request: web.Request) -> web.Response:
    """Liveness and database reachability, for load balancers and `make run`'s wait."""
    components = request.app[COMPONENTS]
    try:
        async with components.db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database is "unhealthy"
        log.warning("health check: database unreachable: %s", exc)
        return web.json_response({"status": "unhealthy", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


def create_app(components: Components) -> web.Application:
    """The web application for these components; later issues add the portal and Slack."""
    app = web.Application()
    app[COMPONENTS] = components
    app.router.add_get("/healthz", healthz)

    async def dispose_database(_app: web.Application) -> AsyncIterator[None]:
        yield
        await components.db.dispose()

    # Registered first so it is cleaned up last, after everything that still uses the database.
    app.cleanup_ctx.append(dispose_database)
    if components.slack is not None:
        attach_slack(app, components.slack)
    else:
        log.warning(
            "Slack is not configured (SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET or "
            "SLACK_APP_TOKEN): cases are stored but not posted"
        )
    return app
