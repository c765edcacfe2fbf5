"""Small steps that make service tests read like the conversation they check."""

from __future__ import annotations

from typing import Any

from bridge.core.routing import Mode
from bridge.services import agents as agent_services
from bridge.services import portals as portal_services
from bridge.services.context import ServiceContext
from bridge.services.intake import NewCase, OpenedCase, open_case


async def a_portal(
    ctx: ServiceContext, mode: Mode, subdomain: str = "acme", company: str = "Acme"
) -> int:
    portal = await portal_services.create_portal(
        ctx, company=company, subdomain=subdomain, mode=mode, channel_id="CSUPPORT"
    )
    return portal.id


async def an_agent(
    ctx: ServiceContext, slack_id: str, available: bool = True, is_admin: bool = False
) -> str:
    await agent_services.ensure_agent(
        ctx, slack_id, display_name=slack_id.lower()[1:].title(), is_admin=is_admin
    )
    if available:
        await agent_services.set_availability(ctx, slack_id, True)
    return slack_id


async def customer_opens_chat(
    ctx: ServiceContext,
    subdomain: str | None = "acme",
    question: str = "My printer is on fire",
    **extra: Any,
) -> OpenedCase:
    request = NewCase(
        subdomain=subdomain,
        first_name="Ana",
        last_name="Lima",
        email="ana@example.com",
        question=question,
        **extra,
    )
    return await open_case(ctx, request)
