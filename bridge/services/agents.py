"""Agents: who they are, whether they are available, how they want to be alerted."""

from __future__ import annotations

from bridge.core.agents import Agent
from bridge.core.errors import InvalidInput
from bridge.core.events import AvailabilityChanged, Event
from bridge.services.context import ServiceContext, commit
from bridge.services.queue import hand_out_queued

PREFERENCES = ("dm", "mention", "email", "quiet")


async def ensure_agent(
    ctx: ServiceContext,
    slack_user_id: str,
    display_name: str,
    email: str = "",
    is_admin: bool = False,
) -> Agent:
    """The agent row for a Slack user, created on first use and refreshed after."""
    async with ctx.db.uow() as uow:
        agent = await uow.agents.upsert(
            slack_user_id,
            display_name=display_name,
            email=email,
            is_admin=is_admin,
            now=ctx.clock.now(),
        )
        await uow.commit()
    return agent


async def set_availability(ctx: ServiceContext, agent_id: str, available: bool) -> list[Event]:
    """Available or not; going available hands the waiting queue out at once."""
    async with ctx.db.uow() as uow:
        agent = await uow.agents.get(agent_id)
        if agent is None:
            raise InvalidInput("agent", f"unknown agent {agent_id}")
        events: list[Event] = []
        if agent.available != available:
            await uow.agents.update(agent_id, ctx.clock.now(), available=available)
            events.append(AvailabilityChanged(agent_id, available))
        await commit(ctx, uow, events)
    if available:
        events += await hand_out_queued(ctx)
    return events


async def set_preference(ctx: ServiceContext, agent_id: str, name: str, on: bool) -> Agent:
    """Switch one notification preference (dm, mention, email, quiet)."""
    if name not in PREFERENCES:
        raise InvalidInput("preference", f"'{name}' is not one of {', '.join(PREFERENCES)}")
    async with ctx.db.uow() as uow:
        if not await uow.agents.update(agent_id, ctx.clock.now(), **{f"notify_{name}": on}):
            raise InvalidInput("agent", f"unknown agent {agent_id}")
        agent = await uow.agents.get(agent_id)
        await uow.commit()
    assert agent is not None
    return agent
