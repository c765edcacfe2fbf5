"""`available`, `unavailable`, `status`."""

from __future__ import annotations

from bridge import views
from bridge.core.agents import Agent
from bridge.core.cases import CaseStatus, CaseType
from bridge.links import slack_message_link
from bridge.services import agents as agent_services
from bridge.slack.limits import outside
from commands.parsing import Args, UsageError
from commands.replies import Caller, CommandContext, Reply, section


def case_line(listed: views.ListedCase) -> str:
    """One case as a line with a link to its message."""
    case, where = listed.case, listed.slack_message
    ref = f"<{slack_message_link(*where)}|{case.reference}>" if where else case.reference
    kind = "support request" if case.type is CaseType.SUPPORT_REQUEST else "live chat"
    return f"• {ref} · {outside(case.customer.full_name, 200)} · {kind} · {case.status.value}"


async def set_availability(ctx: CommandContext, caller: Caller, args: Args) -> Reply:
    if len(args.words) > 1:
        raise UsageError(f"`{args.words[0]}` takes no arguments")
    available = args.words[0] == "available"
    await agent_services.set_availability(ctx.services, caller.user_id, available)
    waiting = await views.waiting_count(ctx.services)
    mine, _ = await views.newest_cases(
        ctx.services, status=CaseStatus.ASSIGNED, assignee=caller.user_id
    )
    if available:
        text = (
            f":large_green_circle: You are now *available*. {waiting} unassigned "
            f"case{'s' if waiting != 1 else ''} waiting; you have {len(mine)} open."
        )
    else:
        text = ":white_circle: You are now *unavailable*: no alerts, and routing skips you."
    return Reply(text)


def _preferences(agent: Agent) -> str:
    prefs = agent.preferences
    switches = [
        ("DM", prefs.dm),
        ("mention", prefs.mention),
        ("email", prefs.email),
        ("quiet", prefs.quiet),
    ]
    return " · ".join(f"{name} {'on' if on else 'off'}" for name, on in switches)


async def status(ctx: CommandContext, caller: Caller, args: Args) -> Reply:
    if len(args.words) > 1:
        raise UsageError("`status` takes no arguments")
    agent = await views.agent(ctx.services, caller.user_id)
    assert agent is not None  # the adapter makes the agent row before any command
    waiting = await views.waiting_count(ctx.services)
    mine, total = await views.newest_cases(
        ctx.services, status=CaseStatus.ASSIGNED, assignee=caller.user_id, limit=20
    )
    lines = [case_line(listed) for listed in mine]
    state = ":large_green_circle: available" if agent.available else ":white_circle: unavailable"
    text = (
        f"*You are* {state}\n*Alerts:* {_preferences(agent)}\n"
        f"*Unassigned:* {waiting}\n*Your open cases ({total}):*\n"
        + ("\n".join(lines) if lines else "none")
    )
    return Reply(text, [section(text)])
