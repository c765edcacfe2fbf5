"""Connection codes that agents read out to customers on the phone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bridge.core.codes import Code, generate_code, new_code, normalize_code
from bridge.core.errors import InvalidInput, NotAllowed
from bridge.core.events import CodeIssued, Event
from bridge.services.context import ServiceContext, commit

_COLLISION_RETRIES = 5


async def make_code(ctx: ServiceContext, agent_id: str, portal_id: int | None) -> Code:
    """A fresh single-use code for `agent_id`, bounded to a few live codes per agent."""
    now = ctx.clock.now()
    limit = ctx.policies.max_codes_per_agent
    async with ctx.db.uow() as uow:
        if await uow.codes.count_live(agent_id, now) >= limit:
            raise NotAllowed(
                f"you already have {limit} live codes; revoke one or wait for one to expire",
                "too_many_codes",
            )
        for _ in range(_COLLISION_RETRIES):
            value = generate_code()
            if not await uow.codes.exists(value):
                break
        else:  # a billion values and a handful live: reaching here means the RNG is broken
            raise RuntimeError("could not find an unused code")
        code = new_code(agent_id, now, ctx.policies.code_lifetime, value, portal_id)
        await uow.codes.add(code)
        events: list[Event] = [CodeIssued(agent_id, value)]
        await commit(ctx, uow, events)
    return code


async def live_codes(ctx: ServiceContext, agent_id: str) -> Sequence[Code]:
    """The agent's codes that can still be used, oldest first."""
    async with ctx.db.read() as uow:
        return await uow.codes.live_for(agent_id, ctx.clock.now())


async def revoke_code(ctx: ServiceContext, agent_id: str, text: str) -> None:
    """Withdraw one of the agent's own unused codes."""
    value = normalize_code(text)
    if value is None:
        raise InvalidInput("code", f"'{text}' is not a 9-digit code")
    async with ctx.db.uow() as uow:
        if not await uow.codes.revoke(value, agent_id, ctx.clock.now()):
            raise InvalidInput(
                "code", f"{value} is not one of your live codes (used, expired or someone else's)"
            )
        await uow.commit()


async def purge_codes(ctx: ServiceContext) -> int:
    """Forget codes that expired or were used more than a day ago."""
    async with ctx.db.uow() as uow:
        count = await uow.codes.purge(ctx.clock.now() - timedelta(days=1))
        await uow.commit()
    return count
