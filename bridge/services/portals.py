"""Creating and configuring portals.

People in Slack reach these only after `require_admin` (the rule is the core's); the writes
themselves are also called by the operator's own tools (the CLI on the server, the demo).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from bridge.core.errors import InvalidInput, PortalNotFound
from bridge.core.events import Event, PortalChanged, PortalCreated
from bridge.core.portals import (
    Portal,
    clean_language,
    clean_origins,
    clean_subdomain,
    require_portal_admin,
)
from bridge.core.routing import Mode
from bridge.services.context import ServiceContext, commit


async def require_admin(ctx: ServiceContext, user_id: str) -> None:
    """NotAllowed (code `admin_only`) unless this Slack user may configure portals."""
    async with ctx.db.read() as uow:
        agent = await uow.agents.get(user_id)
    require_portal_admin(agent is not None and agent.is_admin, user_id in ctx.policies.admins)


async def create_portal(
    ctx: ServiceContext,
    *,
    company: str,
    subdomain: str,
    mode: Mode = Mode.BROADCAST,
    channel_id: str | None = None,
    language: str = "en",
) -> Portal:
    """A company's one portal; a taken subdomain or a second portal is refused by name."""
    name = " ".join(company.split())
    if not name:
        raise InvalidInput("company", "is required")
    canonical = clean_subdomain(subdomain)
    lang = clean_language(language)
    now = ctx.clock.now()
    async with ctx.db.uow() as uow:
        if await uow.portals.by_subdomain(canonical) is not None:
            raise InvalidInput("subdomain", f"subdomain '{canonical}' is taken")
        company_id = await uow.portals.company_id(name, now)
        existing = await uow.portals.by_company(company_id)
        if existing is not None:
            raise InvalidInput(
                "company",
                f"company '{name}' already has a portal "
                f"('{existing.subdomain}'); a company has one portal",
            )
        try:
            await uow.portals.add(
                company_id=company_id,
                subdomain=canonical,
                mode=mode,
                channel_id=channel_id,
                language=lang,
                brand_name=name,
                now=now,
            )
        except IntegrityError:  # a concurrent create got there between our check and insert
            raise InvalidInput("subdomain", f"subdomain '{canonical}' is taken") from None
        portal = await uow.portals.by_subdomain(canonical)
        assert portal is not None
        events: list[Event] = [PortalCreated(portal.id, canonical)]
        await commit(ctx, uow, events)
    return portal


async def get_portal(ctx: ServiceContext, subdomain: str) -> Portal:
    async with ctx.db.read() as uow:
        portal = await uow.portals.by_subdomain(subdomain)
    if portal is None:
        raise PortalNotFound(subdomain)
    return portal


async def list_portals(ctx: ServiceContext) -> Sequence[Portal]:
    async with ctx.db.read() as uow:
        return await uow.portals.all()


async def update_portal(
    ctx: ServiceContext,
    subdomain: str,
    *,
    mode: Mode | None = None,
    active: bool | None = None,
    channel_id: str | None = None,
    language: str | None = None,
    allowed_origins: list[str] | None = None,
) -> Portal:
    """Change a portal's mode, status, channel, language or the sites that may embed it."""
    changes: dict[str, object] = {}
    if mode is not None:
        changes["mode"] = mode.value
    if active is not None:
        changes["active"] = active
    if channel_id is not None:
        changes["channel_id"] = channel_id
    if language is not None:
        changes["language"] = clean_language(language)
    if allowed_origins is not None:
        changes["allowed_origins"] = list(clean_origins(allowed_origins))
    async with ctx.db.uow() as uow:
        portal = await uow.portals.by_subdomain(subdomain)
        if portal is None:
            raise PortalNotFound(subdomain)
        if changes:
            await uow.portals.update(portal.id, **changes)
        updated = await uow.portals.get(portal.id)
        assert updated is not None
        events: list[Event] = [PortalChanged(portal.id, portal.subdomain, what) for what in changes]
        await commit(ctx, uow, events)
    return updated


@dataclass(frozen=True)
class PortalFront:
    """What the customer's page needs to decide which form to show."""

    portal: Portal
    agents: list[tuple[str, str]]  # available agents, (id, display name), by name

    @property
    def anyone_available(self) -> bool:
        return bool(self.agents)


async def portal_front(ctx: ServiceContext, subdomain: str) -> PortalFront:
    """The portal and who can answer right now (PortalNotFound for an unknown subdomain)."""
    async with ctx.db.read() as uow:
        portal = await uow.portals.by_subdomain(subdomain)
        if portal is None:
            raise PortalNotFound(subdomain)
        agents = [(a.slack_user_id, a.display_name) for a in await uow.agents.all() if a.available]
    return PortalFront(portal, sorted(agents, key=lambda a: a[1].lower()))
