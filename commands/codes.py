"""`pin`, `pin list`, `pin revoke <code>`."""

from __future__ import annotations

from datetime import datetime

from bridge import views
from bridge.core.portals import Portal
from bridge.core.routing import Mode
from bridge.links import code_page_url, portal_url
from bridge.services import codes as code_services
from commands.parsing import Args, UsageError
from commands.replies import Caller, CommandContext, Reply, refusal


def spaced(code: str) -> str:
    """123 456 789: easier to read out on the phone."""
    return f"{code[:3]} {code[3:6]} {code[6:]}"


def when(moment: datetime) -> str:
    """A time Slack shows in each reader's own time zone."""
    stamp = int(moment.timestamp())
    return f"<!date^{stamp}^{{time}}|{moment:%H:%M} UTC>"


async def _portal_for(ctx: CommandContext, caller: Caller) -> Portal | None:
    """The portal of the channel the command runs in; else the only portal there is."""
    portals = await views.portals(ctx.services)
    here = [p for p in portals if p.channel_id == caller.channel_id]
    if here:
        return here[0]
    return portals[0] if len(portals) == 1 else None


async def pin(ctx: CommandContext, caller: Caller, args: Args) -> Reply:
    verb = args.word(1)
    if verb is None:
        portal = await _portal_for(ctx, caller)
        if portal is None:
            return refusal(
                "Run `/casebridge pin` in a portal's channel, so the customer lands "
                "on the right portal."
            )
        code = await code_services.make_code(ctx.services, caller.user_id, portal.id)
        if portal.mode is Mode.PIN:
            where = (
                f"{code_page_url(ctx.public_url)} or on "
                f"{portal_url(ctx.public_url, portal.subdomain)}"
            )
        else:
            # Only a `pin` portal's page asks for a code; the global code page always does.
            where = (
                f"{code_page_url(ctx.public_url)} (not on the {portal.subdomain} portal's page:"
                f" it is in `{portal.mode.value}` mode, which has no code field)"
            )
        text = (
            f":1234: Your code: *{spaced(code.value)}* — valid once, until "
            f"{when(code.expires_at)}.\nThe customer types it at {where} and reaches you directly."
        )
        return Reply(text)
    if verb == "list":
        if len(args.words) > 2:
            raise UsageError("`pin list` takes no arguments")
        codes = await code_services.live_codes(ctx.services, caller.user_id)
        if not codes:
            return Reply("You have no live codes. `/casebridge pin` makes one.")
        lines = [f"• *{spaced(c.value)}* until {when(c.expires_at)}" for c in codes]
        return Reply(f"Your live codes ({len(codes)}):\n" + "\n".join(lines))
    if verb == "revoke":
        typed = "".join(args.words[2:])
        if not typed:
            raise UsageError("`pin revoke` needs the code, e.g. `/casebridge pin revoke 123456789`")
        await code_services.revoke_code(ctx.services, caller.user_id, typed)
        return Reply(f"Code {spaced(typed.replace(' ', '').replace('-', ''))} is revoked.")
    raise UsageError(f"`pin {verb}` is not a pin command (pin, pin list, pin revoke <code>)")
