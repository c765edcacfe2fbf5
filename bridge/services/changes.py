"""The one path every case move takes: load, let the core decide, write it if still true, commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bridge.core.cases import Case, Change
from bridge.core.errors import CaseNotFound, IllegalTransition
from bridge.core.events import Event
from bridge.services.context import ServiceContext, commit
from storage.uow import UnitOfWork

# The core's decision for a case: a Change, or a DomainError saying why not.
Decide = Callable[[Case], Change]
# How the case is found in a unit of work (by id for agents, by token for customers).
Find = Callable[[UnitOfWork], Awaitable[Case]]
# Storage work that goes with the move in the same transaction.
Also = Callable[[UnitOfWork, Change], Awaitable[None]]


async def load_case(uow: UnitOfWork, case_id: int) -> Case:
    """The case, or CaseNotFound."""
    case = await uow.cases.get(case_id)
    if case is None:
        raise CaseNotFound(f"with id {case_id}")
    return case


async def display_name(ctx: ServiceContext, agent_id: str) -> str:
    """What the customer's page calls the agent ("" when we do not know them yet)."""
    async with ctx.db.read() as uow:
        agent = await uow.agents.get(agent_id)
    return agent.display_name if agent else ""


def by_id(case_id: int) -> Find:
    """Find the case by its id."""

    async def find(uow: UnitOfWork) -> Case:
        return await load_case(uow, case_id)

    return find


async def settle(uow: UnitOfWork, case: Case, decide: Decide, find: Find) -> Change:
    """Ask the core, then write its move if its precondition still holds.

    When another writer got there first, the refusal is the one the core gives for the case
    as it is now (AlreadyClaimed naming the winner, an IllegalTransition…).
    """
    change = decide(case)
    if change.is_none or await uow.cases.apply(change):
        return change
    now_case = await find(uow)
    if decide(now_case).is_none:  # or raises the refusal that explains the lost race
        return Change.none(now_case)  # someone else already did it
    raise IllegalTransition(
        case.reference, now_case.status.value, change.new.status.value, change.action
    )


async def change_case(
    ctx: ServiceContext, find: Find, decide: Decide, also: Also | None = None
) -> list[Event]:
    """Load the case, move it as the core decides, commit and publish the move's events."""
    async with ctx.db.uow() as uow:
        change = await settle(uow, await find(uow), decide, find)
        if change.is_none:
            return []
        if also is not None:
            await also(uow, change)
        await commit(ctx, uow, change.events)
    return list(change.events)
