"""`cases [unassigned|mine|all]`."""

from __future__ import annotations

from bridge import views
from bridge.core.cases import CaseStatus
from commands.availability import case_line
from commands.parsing import Args, UsageError
from commands.replies import Caller, CommandContext, Reply, sections

LIMIT = 20
SCOPES = ("unassigned", "mine", "all")


async def cases(ctx: CommandContext, caller: Caller, args: Args) -> Reply:
    scope = args.word(1) or "unassigned"
    if scope not in SCOPES or len(args.words) > 2:
        raise UsageError(f"`cases` takes one of {', '.join(SCOPES)}")
    if scope == "unassigned":
        found, total = await views.newest_cases(
            ctx.services, status=CaseStatus.UNASSIGNED, limit=LIMIT
        )
    elif scope == "mine":
        found, total = await views.newest_cases(
            ctx.services, status=CaseStatus.ASSIGNED, assignee=caller.user_id, limit=LIMIT
        )
    else:
        found, total = await views.newest_cases(ctx.services, limit=LIMIT)
    lines = [case_line(listed) for listed in found]
    title = {"unassigned": "Unassigned", "mine": "My cases", "all": "All cases"}[scope]
    more = [f"…and {total - len(found)} more"] if total > len(found) else []
    shown = [f"*{title} ({total})*", *(lines or ["Nothing here."]), *more]
    return Reply("\n".join(shown), sections(shown))
