"""Queue mode: waiting cases go round-robin to agents as they become available."""

from __future__ import annotations

from bridge.core.cases import CaseStatus
from bridge.core.events import CaseHandedOut, Event
from bridge.core.routing import Mode, select_queue
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
            for case in waiting:
                agent_id = select_queue(slots, cursor)
                if agent_id is None:
                    break
                won = await uow.cases.move(
                    case.id,
                    expect={"status": CaseStatus.UNASSIGNED.value, "queued": True},
                    values={
                        "status": CaseStatus.ASSIGNED.value,
                        "assignee_id": agent_id,
                        "claimed_at": now,
                        "queued": False,
                    },
                )
                if won:
                    cursor = agent_id
                    events.append(CaseHandedOut(case.id, agent_id))
            await uow.agents.set_cursor(portal.id, cursor)
        await commit(ctx, uow, events)
    return events
