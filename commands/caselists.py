"""`cases [unassigned|mine|all]`."""

from __future__ import annotations

from bridge.core.cases import CaseStatus
from commands.availability import case_line
from commands.parsing import Args, UsageError
from commands.replies import Caller, CommandContext, Reply, section

LIMIT = 20
SCOPES = ("unassigned", "mine", "all")


async def cases(ctx: CommandContext, caller: Caller, args: Args) -> Reply:
    scope = args.word(1) or "unassigned"
    if scope not in SCOPES or len(args.words) > 2:
        raise UsageError(f"`cases` takes one of {', '.join(SCOPES)}")
    async with ctx.services.db.uow() as uow:
        if scope == "unassigned":
            found, total = await uow.cases.newest(status=CaseStatus.UNASSIGNED, limit=LIMIT)
        elif scope == "mine":
            found, total = await uow.cases.newest(
                status=CaseStatus.ASSIGNED, assignee=caller.user_id, limit=LIMIT
            )
        else:
            found, total = await uow.cases.newest(limit=LIMIT)
        lines = [case_line(case, await uow.cases.slack_message(case.id)) for case in found]
    title = {"unassigned": "Unassigned", "mine": "My cases", "all": "All cases"}[scope]
    more = f"\n…and {total - len(found)} more" if total > len(found) else ""
    text = f"*{title} ({total})*\n" + ("\n".join(lines) if lines else "Nothing here.") + more
    return Reply(text, [section(text)])
