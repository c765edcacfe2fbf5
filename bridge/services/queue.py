"""Queue mode: waiting cases go round-robin to agents as they become available."""

from __future__ import annotations

from functools import partial

from bridge.core.cases import Case
from bridge.core.errors import DomainError
from bridge.core.events import Event
from bridge.core.routing import Mode, select_queue
from bridge.services.changes import by_id, settle
from bridge.services.context import ServiceContext, commit


async def hand_out_queued(ctx: ServiceContext) -> list[Event]:
    """Give every queued case of every queue portal to the next available agent, oldest first."""
    now = ctx.clock.now()
    events: list[Event] = []
    async with ctx.db.uow() as uow:
        portals = [p for p in await uow.portals.all() if p.mode is Mode.QUEUE and p.active]
        for portal in portals:
            waiting = await uow.cases.queued(portal.id)
            if not waiting:
                continue
            cursor = await uow.agents.cursor(portal.id)
            slots = await uow.agents.slots()
            names = {a.slack_user_id: a.display_name for a in await uow.agents.all()}
            for case in waiting:
                agent_id = select_queue(slots, cursor)
                if agent_id is None:
                    break
                hand_out = partial(
                    Case.hand_out, agent_id=agent_id, now=now, agent_name=names.get(agent_id, "")
                )
                try:
                    change = await settle(uow, case, hand_out, by_id(case.id))
                except DomainError:
                    continue  # claimed or converted meanwhile: the next agent's turn stays
                cursor = agent_id
                events += change.events
            await uow.agents.set_cursor(portal.id, cursor)
        await commit(ctx, uow, events)
    return events
