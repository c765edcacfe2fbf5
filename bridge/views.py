"""The read side: what adapters show, read straight from storage (cosmicpython's views.py).

Nothing here changes anything and no rule is decided here; every write goes through
`bridge.services`, every rule lives in `bridge.core`. Reads open read-only units of work,
which on SQLite never wait for (nor hold up) the writer.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.core.agents import Agent
from bridge.core.cases import Case, CaseStatus
from bridge.core.errors import CaseNotFound
from bridge.core.portals import Portal
from bridge.services.context import ServiceContext
from storage.repositories.cases import OpenThread


@dataclass(frozen=True)
class ListedCase:
    """A case and where its Slack message is, once posted: (channel, ts)."""

    case: Case
    slack_message: tuple[str, str] | None


async def case(ctx: ServiceContext, case_id: int) -> Case:
    """The case (CaseNotFound if there is none)."""
    return (await listed_case(ctx, case_id)).case


async def listed_case(ctx: ServiceContext, case_id: int) -> ListedCase:
    """The case and its Slack message (CaseNotFound if there is none)."""
    async with ctx.db.read() as uow:
        found = await uow.cases.get(case_id)
        if found is None:
            raise CaseNotFound(f"with id {case_id}")
        return ListedCase(found, await uow.cases.slack_message(case_id))


async def case_in_thread(ctx: ServiceContext, channel: str, thread_ts: str) -> Case | None:
    """The case whose Slack message starts this thread, if any."""
    async with ctx.db.read() as uow:
        return await uow.cases.by_slack_thread(channel, thread_ts)


async def newest_cases(
    ctx: ServiceContext,
    *,
    status: CaseStatus | None = None,
    assignee: str | None = None,
    limit: int = 10,
) -> tuple[list[ListedCase], int]:
    """Up to `limit` cases, newest first, with their Slack messages, and how many match."""
    async with ctx.db.read() as uow:
        found, total = await uow.cases.newest(status=status, assignee=assignee, limit=limit)
        return [ListedCase(c, await uow.cases.slack_message(c.id)) for c in found], total


async def waiting_count(ctx: ServiceContext) -> int:
    """How many cases nobody has claimed."""
    async with ctx.db.read() as uow:
        return await uow.cases.count_by_status(CaseStatus.UNASSIGNED)


async def agent(ctx: ServiceContext, agent_id: str) -> Agent | None:
    """The agent as we know them, if we do."""
    async with ctx.db.read() as uow:
        return await uow.agents.get(agent_id)


async def portals(ctx: ServiceContext) -> list[Portal]:
    """Every portal."""
    async with ctx.db.read() as uow:
        return list(await uow.portals.all())


async def portal(ctx: ServiceContext, portal_id: int) -> Portal | None:
    """One portal by id."""
    async with ctx.db.read() as uow:
        return await uow.portals.get(portal_id)


async def email_original(ctx: ServiceContext, message_id: int) -> tuple[str, str] | None:
    """(case reference, the email as it came) for an agent's "show original"."""
    async with ctx.db.read() as uow:
        found = await uow.cases.original(message_id)
        if found is None:
            return None
        owner = await uow.cases.get(found[0])
        if owner is None or owner.deleted:
            return None
        return owner.reference, found[1]


async def open_threads(ctx: ServiceContext) -> list[OpenThread]:
    """Every case thread whose assignee's replies still go to a customer, oldest case first."""
    async with ctx.db.read() as uow:
        return await uow.cases.open_threads()
