"""Which web origins may talk to the portal's Socket.IO server.

Our own pages (PUBLIC_URL, or the host the request came to) always may; beyond that, each
portal lists the sites allowed to embed it (`allowed_origins`). The Engine.IO CORS check is
synchronous, so it reads a cache of every portal's list, refreshed from the database; the
connect handler then checks the case's own portal exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from bridge import views
from bridge.core.events import Event, PortalChanged, PortalCreated
from bridge.services.context import ServiceContext


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _own_origin(environ: dict[str, Any]) -> str | None:
    host = environ.get("HTTP_HOST")
    scheme = environ.get("wsgi.url_scheme", "http")
    return f"{scheme}://{host}".lower() if host else None


class Origins:
    def __init__(self, ctx: ServiceContext, public_url: str) -> None:
        self.ctx = ctx
        self.public = origin_of(public_url)
        self.any_portal: frozenset[str] = frozenset()

    def _ours(self, origin: str | None, environ: dict[str, Any]) -> bool:
        # No Origin header: not a browser page (a native client, a test); the token still rules.
        return origin is None or origin.lower() in (self.public, _own_origin(environ))

    async def refresh(self) -> None:
        """Reload every portal's allowed origins into the cache the CORS check reads."""
        portals = await views.portals(self.ctx)
        self.any_portal = frozenset(o.lower() for p in portals for o in p.allowed_origins)

    async def on_events(self, events: Sequence[Event]) -> None:
        """After-commit handler: a portal's list changed, so the cache follows."""
        if any(isinstance(e, PortalChanged | PortalCreated) for e in events):
            await self.refresh()

    def cors(self, origin: str | None, environ: dict[str, Any]) -> bool:
        """Engine.IO's CORS hook (synchronous)."""
        return self._ours(origin, environ) or (origin or "").lower() in self.any_portal

    async def allowed_for_case(self, environ: dict[str, Any], portal_id: int) -> bool:
        origin = environ.get("HTTP_ORIGIN")
        if self._ours(origin, environ):
            return True
        portal = await views.portal(self.ctx, portal_id)
        return portal is not None and str(origin).lower() in {
            o.lower() for o in portal.allowed_origins
        }
