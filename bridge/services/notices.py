"""Things worth telling that change no case: recorded as events, so the adapter that shows
them (Slack, through its outbox) reacts like it does to every other event."""

from __future__ import annotations

from typing import Any

from bridge.core.events import AgentAnswered, EmailBounced, Event, HomeRequested
from bridge.services.context import ServiceContext, commit


async def _record(ctx: ServiceContext, event: Event) -> None:
    async with ctx.db.uow() as uow:
        await commit(ctx, uow, [event])


async def answer_agent(
    ctx: ServiceContext,
    channel: str,
    user: str,
    text: str,
    case_id: int | None = None,
    blocks: list[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
    response_url: str | None = None,
) -> None:
    """An answer only `user` sees, to something they did (a refusal, device info…)."""
    answer = AgentAnswered(
        channel, user, text, case_id, thread_ts, tuple(blocks or ()), response_url
    )
    await _record(ctx, answer)


async def refresh_home(ctx: ServiceContext, agent_id: str) -> None:
    """The agent's Home tab should show the current state (they opened it, or pressed a button)."""
    await _record(ctx, HomeRequested(agent_id))


async def email_bounced(ctx: ServiceContext, case_id: int, address: str, problem: str) -> None:
    """An email to the customer was refused for good: the team hears of it in the case."""
    await _record(ctx, EmailBounced(case_id, address, problem))
