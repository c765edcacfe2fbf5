"""The portal's HTTP side: pages, the JSON endpoints behind its forms, widget and transcript."""

from __future__ import annotations

import json
import logging
import math
import re
from pathlib import Path
from typing import Any

import jinja2
import socketio
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from pydantic import ValidationError

from bridge import views
from bridge.core.codes import CodeRefusal
from bridge.core.errors import (
    AgentUnavailable,
    CaseNotFound,
    CodeRefused,
    InvalidInput,
    PortalInactive,
    PortalNotFound,
)
from bridge.core.portals import LANGUAGES, Portal
from bridge.core.text import MAX_EMAIL_LENGTH, MAX_MESSAGE_LENGTH, MAX_NAME_LENGTH
from bridge.files.links import FileLinks
from bridge.http_body import read_capped
from bridge.links import portal_url, subdomain_of_host
from bridge.services import customer
from bridge.services.attachments import case_files
from bridge.services.context import ServiceContext
from bridge.services.customer import customers_gone
from bridge.services.intake import NewCase, open_case
from bridge.services.portals import portal_front
from bridge.settings import Settings
from portal.agent_ids import AgentIds
from portal.client_address import ClientAddresses
from portal.device import device_info
from portal.files_http import FileRoutes
from portal.i18n import catalog, negotiate, translate
from portal.limits import CustomerLimits
from portal.live import ChatNamespace, SocketPush
from portal.origins import Origins
from portal.schemas import NewCaseBody, field_problems
from portal.transcript import LinkedFile, transcript
from portal.websocket import without_deflate
from portal.workers import LocalSockets, PortalChanges, SharedSockets, socket_manager

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
VENDOR = HERE / "node_modules" / "socket.io-client" / "dist"
_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}")
MAX_BODY = 32 * 1024  # a pre-chat form is a few hundred bytes


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    # The brand colour goes into a <style>: only a plain hex colour may.
    env.tests["match_colour"] = lambda value: bool(_COLOUR.fullmatch(str(value)))
    return env


class PortalSite:
    """Route handlers, bound to the services they call."""

    def __init__(
        self,
        ctx: ServiceContext,
        public_url: str,
        limits: CustomerLimits,
        addresses: ClientAddresses,
        agent_ids: AgentIds,
    ) -> None:
        self.ctx, self.public_url, self.limits = ctx, public_url, limits
        self.addresses, self.agent_ids = addresses, agent_ids
        self.templates = _templates()
        self.file_links: FileLinks | None = None  # the transcript's links to files

    # --- helpers -----------------------------------------------------------------------
    def _language(self, request: web.Request, default: str) -> str:
        return negotiate(default, request.headers.get("Accept-Language"), request.query.get("lang"))

    def _render(self, name: str, status: int = 200, **context: Any) -> web.Response:
        language = context["lang"]
        html = self.templates.get_template(name).render(
            t=lambda key, **values: translate(language, key, **values),
            languages=[(code, catalog(code)["language_name"]) for code in LANGUAGES],
            **context,
        )
        return web.Response(text=html, content_type="text/html", status=status)

    def _not_found(self, request: web.Request) -> web.Response:
        lang = self._language(request, "en")
        return self._render("not_found.html", status=404, lang=lang)

    def _errors(self, lang: str, errors: dict[str, str], status: int = 400) -> web.Response:
        messages = {
            field: translate(lang, f"errors.{key}", **_error_values(field, key))
            for field, key in errors.items()
        }
        return web.json_response({"errors": messages, "codes": errors}, status=status)

    # --- pages -------------------------------------------------------------------------
    def _subdomain(self, request: web.Request) -> str | None:
        """The portal a request is for: `/p/<sub>/…`, or the Host under a wildcard PUBLIC_URL."""
        named = request.match_info.get("subdomain")
        return named.lower() if named else subdomain_of_host(self.public_url, request.host)

    async def portal_page(self, request: web.Request) -> web.Response:
        subdomain = self._subdomain(request)
        if subdomain is None:
            return self._not_found(request)
        try:
            front = await portal_front(self.ctx, subdomain)
        except PortalNotFound:
            return self._not_found(request)
        portal = front.portal
        lang = self._language(request, portal.language)
        view = portal.page(front.anyone_available)
        embedded = request.query.get("embed") == "1"
        host = _embed_host(request.query.get("host")) if embedded else None
        response = self._render(
            "portal.html",
            status=503 if view == "unavailable" else 200,
            lang=lang,
            portal=portal,
            company=portal.brand_name or portal.company,
            view=view,
            agents=[(self.agent_ids.public(i), n) for i, n in front.agents],
            embedded=embedded,
            embed_query=("&embed=1" + (f"&host={host}" if host else "")) if embedded else "",
            api=f"/p/{portal.subdomain}",
            config=self._page_config(
                lang, view, f"/p/{portal.subdomain}", portal.subdomain, embed_host=host
            ),
        )
        _frame_policy(response, portal)
        return response

    async def code_page(self, request: web.Request) -> web.Response:
        lang = self._language(request, "en")
        return self._render(
            "portal.html",
            lang=lang,
            portal=None,
            company="casebridge",
            view="code",
            agents=[],
            embedded=False,
            embed_query="",
            api="/code",
            config=self._page_config(lang, "code", "/code", ""),
        )

    def _page_config(
        self, lang: str, view: str, api: str, key: str, embed_host: str | None = None
    ) -> str:
        """What the page's script needs, as JSON for a <script type=application/json>."""
        return json.dumps(
            {
                "lang": lang,
                "view": view,
                "api": api,
                "storageKey": f"casebridge:{key or 'code'}",
                "maxMessage": MAX_MESSAGE_LENGTH,
                "maxFileBytes": self.ctx.attachment_limits.file_bytes,
                # The site whose widget frames this page keeps the token when we may not.
                "embedHost": embed_host,
                "strings": {k: v for k, v in catalog(lang).items() if k != "mail"},
            },
            ensure_ascii=False,
        ).replace("</", "<\\/")

    async def _agent(self, subdomain: str | None, public_id: str | None) -> str | None:
        """The Slack user behind the id the customer chose (an unknown id stays refused)."""
        if not public_id or subdomain is None:
            return None
        try:
            front = await portal_front(self.ctx, subdomain.lower())
        except PortalNotFound:
            return None
        found = self.agent_ids.resolve(public_id, (i for i, _ in front.agents))
        # Not one of the available agents: the routing refuses it as it would any unknown id.
        return found or "?"

    # --- the form's endpoints ----------------------------------------------------------
    async def agents(self, request: web.Request) -> web.Response:
        try:
            front = await portal_front(self.ctx, request.match_info["subdomain"].lower())
        except PortalNotFound:
            return web.json_response({"error": "unknown_portal"}, status=404)
        return web.json_response(
            {"agents": [{"id": self.agent_ids.public(i), "name": n} for i, n in front.agents]}
        )

    async def open_case(self, request: web.Request) -> web.Response:
        subdomain = request.match_info.get("subdomain")
        lang = negotiate("en", request.headers.get("Accept-Language"), request.query.get("lang"))
        wait = await self.limits.opening(self.addresses.of_request(request))
        if wait > 0:
            response = self._errors(lang, {"form": "too_many_cases"}, status=429)
            response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            return response
        raw = await read_capped(request, MAX_BODY)
        if raw is None:
            return self._errors(lang, {"form": "too_large"}, status=413)
        try:
            body = NewCaseBody.model_validate_json(raw or b"{}")
        except ValidationError as problem:
            return self._errors(lang, field_problems(problem, _FORM_FIELDS))
        lang = negotiate("en", None, body.language or lang)
        fields = {"first_name": body.first_name, "last_name": body.last_name, "email": body.email}
        missing = {k: "required" for k, v in fields.items() if not v.strip()}
        if missing:
            return self._errors(lang, missing)
        if body.support_request and await self.limits.confirmation(body.email) > 0:
            return self._errors(lang, {"email": "too_many_for_email"}, status=429)
        request_ = NewCase(
            subdomain=subdomain.lower() if subdomain else None,
            first_name=body.first_name,
            last_name=body.last_name,
            email=body.email,
            question=body.question or "",
            device=device_info(
                body.device,
                request.headers.get("User-Agent", ""),
                request.headers.get("Referer", ""),
            ),
            language=lang,
            agent=await self._agent(subdomain, body.agent),
            code=body.code if body.code is not None else ("" if subdomain is None else None),
            support_request=body.support_request,
            request_id=body.request_id,
        )
        try:
            opened = await open_case(self.ctx, request_)
        except InvalidInput as problem:
            return self._errors(lang, {problem.field: _problem_key(problem)})
        except CodeRefused as refused:
            reason = refused.reason if isinstance(refused.reason, CodeRefusal) else "unknown"
            return self._errors(lang, {"code": f"code_{reason}"}, status=409)
        except AgentUnavailable:
            return self._errors(lang, {"agent": "agent_unavailable"}, status=409)
        except PortalInactive:
            return self._errors(lang, {"form": "inactive"}, status=503)
        except PortalNotFound:
            return web.json_response({"error": "unknown_portal"}, status=404)
        case = opened.case
        portal = await views.portal(self.ctx, case.portal_id)
        return web.json_response(
            {
                "token": opened.token,
                "reference": case.reference,
                "type": case.type.value,
                "status": case.status.value,
                "portal": portal.subdomain if portal else None,
                "portal_url": portal_url(self.public_url, portal.subdomain) if portal else None,
            },
            status=201,
        )

    async def transcript(self, request: web.Request) -> web.Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return web.json_response({"error": "no_token"}, status=401)
        try:
            view = await customer.view_case(self.ctx, token.strip())
        except CaseNotFound:
            return web.json_response({"error": "unknown_case"}, status=404)
        portal = await views.portal(self.ctx, view.case.portal_id)
        company = (portal.brand_name or portal.company) if portal else "casebridge"
        lang = view.case.language
        files: list[LinkedFile] = []
        if self.file_links is not None:
            now = self.ctx.clock.now()
            where = portal.subdomain if portal else None
            files = [
                LinkedFile(f, self.file_links.link(f.id, where, now))
                for f in await case_files(self.ctx, view.case.id)
            ]
        return web.Response(
            text=transcript(view, company, lang, files),
            content_type="text/plain",
            charset="utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{view.case.reference}.txt"',
                "Cache-Control": "no-store",
            },
        )

    async def widget(self, request: web.Request) -> web.Response:
        subdomain = self._subdomain(request) or ""
        try:
            front = await portal_front(self.ctx, subdomain)
        except PortalNotFound:
            return web.Response(
                text=f"/* casebridge: no portal '{subdomain}' */",
                status=404,
                content_type="application/javascript",
            )
        portal = front.portal
        lang = self._language(request, portal.language)
        script = (HERE / "static" / "widget.js").read_text(encoding="utf-8")
        settings = json.dumps(
            {
                "url": portal_url(self.public_url, portal.subdomain) + f"?embed=1&lang={lang}",
                "label": translate(lang, "open_chat"),
                "close": translate(lang, "close"),
                "colour": portal.colour,
            },
            ensure_ascii=False,
        )
        return web.Response(
            text=script.replace("__CASEBRIDGE_SETTINGS__", settings),
            content_type="application/javascript",
            headers={"Cache-Control": "max-age=300"},
        )

    async def vendor(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = VENDOR / name
        if name not in ("socket.io.esm.min.js", "socket.io.esm.min.js.map") or not path.exists():
            log.error("portal: %s missing; run `npm ci` in portal/ (make run does)", path)
            raise web.HTTPNotFound()
        return web.FileResponse(path)


_FORM_FIELDS = frozenset(NewCaseBody.model_fields)


_FIELD_LIMITS = {
    "first_name": MAX_NAME_LENGTH,
    "last_name": MAX_NAME_LENGTH,
    "email": MAX_EMAIL_LENGTH,
}


def _error_values(field: str, key: str) -> dict[str, object]:
    """What a refusal's text needs: "too long" says the limit."""
    return {"max": _FIELD_LIMITS.get(field, MAX_MESSAGE_LENGTH)} if key == "too_long" else {}


_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def _embed_host(value: str | None) -> str | None:
    """The embedding page's origin the widget passed (`scheme://host[:port]`), or None."""
    return value if value and _ORIGIN.fullmatch(value) else None


def _problem_key(problem: InvalidInput) -> str:
    """The catalog key for a validation refusal, chosen by the core's code."""
    if problem.field == "code":
        return "code_unknown" if problem.code == "unlinked" else "code_format"
    if problem.field == "agent":
        return "agent"
    return problem.code if problem.code in ("email", "too_long") else "required"


def _turn_away_flooders(limits: CustomerLimits, addresses: ClientAddresses) -> Middleware:
    """A new Socket.IO connection from an address cut off for flooding gets a bare 429 before
    any handshake work; existing connections (their requests carry a `sid`) are not touched."""

    @web.middleware
    async def turn_away(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/socket.io/") and "sid" not in request.query:
            wait = await limits.banned_for(addresses.of_request(request))
            if wait > 0:
                retry = str(max(1, math.ceil(wait)))
                return web.Response(status=429, text="rate_limited", headers={"Retry-After": retry})
        return await handler(request)

    return turn_away


async def _no_sniffing(_request: web.BaseRequest, response: web.StreamResponse) -> None:
    """Browsers must take every answer as the type we say (a transcript is never a page)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")


def _frame_policy(response: web.Response, portal: Portal) -> None:
    """Only the portal's allowed origins may frame it, when it names any."""
    if portal.allowed_origins:
        response.headers["Content-Security-Policy"] = "frame-ancestors 'self' " + " ".join(
            portal.allowed_origins
        )


def attach(app: web.Application, ctx: ServiceContext, settings: Settings) -> SocketPush:
    """Add the portal's routes and Socket.IO server to `app`; returns the push to wire in."""
    public_url = settings.public_url
    redis_url = settings.redis_url.get_secret_value() if settings.redis_url else None
    # Several workers count every customer's actions together, through Redis.
    limits = CustomerLimits(redis_url or "memory://")
    addresses = ClientAddresses(settings.trusted_proxy_networks)
    app.on_response_prepare.append(_no_sniffing)
    app.middlewares.append(_turn_away_flooders(limits, addresses))
    origins = Origins(ctx, public_url)
    if redis_url is None:
        ctx.bus.published.append(origins.on_events)
    else:
        changes = PortalChanges(redis_url, origins.refresh)
        ctx.bus.published.append(changes.on_events)
        app.cleanup_ctx.append(changes.lifecycle())
    server = socketio.AsyncServer(
        async_mode="aiohttp",
        cors_allowed_origins=origins.cors,
        max_http_buffer_size=64 * 1024,
        client_manager=socket_manager(redis_url),
    )
    without_deflate(server)
    sockets = LocalSockets()
    if redis_url is not None:
        shared = SharedSockets(redis_url, lambda cases: customers_gone(ctx, cases))
        app.cleanup_ctx.append(shared.lifecycle())
        sockets = shared
    server.register_namespace(ChatNamespace(ctx, limits, origins, addresses, sockets))
    server.attach(app, socketio_path="socket.io")
    site = PortalSite(ctx, public_url, limits, addresses, AgentIds(settings.portal_key))
    app.router.add_get("/p/{subdomain}", site.portal_page)
    app.router.add_get("/p/{subdomain}/", site.portal_page)
    app.router.add_get("/p/{subdomain}/agents", site.agents)
    app.router.add_post("/p/{subdomain}/cases", site.open_case)
    app.router.add_get("/p/{subdomain}/widget.js", site.widget)
    # Under a wildcard PUBLIC_URL, `<sub>.<host>/` is the portal (its forms still post to /p/<sub>).
    app.router.add_get("/", site.portal_page)
    app.router.add_get("/widget.js", site.widget)
    app.router.add_get("/code", site.code_page)
    app.router.add_post("/code/cases", site.open_case)
    app.router.add_get("/transcript", site.transcript)
    links = FileLinks.of(settings.file_link_key, settings.file_link_seconds, public_url)
    site.file_links = links
    files = FileRoutes(ctx, site._errors, site._language, limits, addresses, links)
    app.router.add_post("/files", files.upload)
    app.router.add_get("/files/{attachment_id:[0-9]+}", files.download)
    app.router.add_get(
        "/files/{attachment_id:[0-9]+}/{expires:[0-9]+}/{signature:[A-Za-z0-9_-]+}", files.linked
    )
    app.router.add_get("/portal/vendor/{name}", site.vendor)
    app.router.add_static("/portal/static/", HERE / "static")

    async def load_origins(_app: web.Application) -> Any:
        # A database that is down at start-up must not stop the app (healthz reports it); the
        # cache fills on the next portal change, and the connect check reads the database.
        try:
            await origins.refresh()
        except Exception as trouble:
            log.warning("portal: allowed origins not loaded yet (%s)", type(trouble).__name__)
        yield

    app.cleanup_ctx.append(load_origins)

    async def close_limits(_app: web.Application) -> None:
        await limits.limiter.aclose()

    app.on_cleanup.append(close_limits)
    return SocketPush(server)
