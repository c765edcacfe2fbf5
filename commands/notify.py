"""`notify dm|mention|email|quiet on|off`."""

from __future__ import annotations

from bridge.services import agents as agent_services
from commands.parsing import Args, UsageError
from commands.replies import Caller, CommandContext, Reply

MEANING = {
    "dm": "a direct message for each new case",
    "mention": "a mention in the case's thread",
    "email": "an email for each new case",
    "quiet": "quiet alerts (named, not pinged)",
}


async def notify(ctx: CommandContext, caller: Caller, args: Args) -> Reply:
    name, state = args.word(1), args.word(2)
    if name not in MEANING or state not in ("on", "off") or len(args.words) != 3:
        raise UsageError(
            "`notify` takes one of dm, mention, email, quiet and then on or off, "
            "e.g. `/casebridge notify dm off`"
        )
    await agent_services.set_preference(ctx.services, caller.user_id, name, state == "on")
    return Reply(f"{MEANING[name].capitalize()}: *{state}*.")
