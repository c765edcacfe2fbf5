"""`portal create|list|show|mode|activate|deactivate|channel|embed|origins` (admins only)."""

from __future__ import annotations

from bridge.core.errors import NotAllowed
from bridge.core.portals import Portal
from bridge.core.routing import Mode, parse_mode
from bridge.core.text import escape_mrkdwn
from bridge.links import embed_snippets, portal_url
from bridge.services import portals as portal_services
from bridge.slack.limits import outside
from commands.parsing import Args, UsageError
from commands.replies import Caller, CommandContext, Reply, refusal, section, sections

VERBS = ("create", "list", "show", "mode", "activate", "deactivate", "channel", "embed", "origins")
OPTIONS = frozenset({"company", "mode"})


def describe(portal: Portal, public_url: str) -> str:
    """A portal in a few lines."""
    status = ":large_green_circle: active" if portal.active else ":red_circle: inactive"
    channel = f"<#{portal.channel_id}>" if portal.channel_id else "no channel"
    return (
        f"*{portal.subdomain}* · {outside(portal.company, 300)} · {status} · "
        f"mode `{portal.mode.value}` · "
        f"{channel} · {portal.language}\n{portal_url(public_url, portal.subdomain)}"
    )


def _subdomain(args: Args, verb: str, extra: int = 0) -> str:
    expected = 3 + extra
    if len(args.words) < expected:
        raise UsageError(f"`portal {verb}` needs the portal's subdomain")
    if len(args.words) > expected:
        raise UsageError(
            f"`portal {verb}` got too many arguments: {' '.join(args.words[expected:])}"
        )
    return args.words[2]


async def portal(ctx: CommandContext, caller: Caller, args: Args) -> Reply:
    verb = args.word(1)
    if verb not in VERBS:
        raise UsageError(f"`portal` takes one of {', '.join(VERBS)}")
    try:
        await portal_services.require_admin(ctx.services, caller.user_id)
    except NotAllowed:
        return refusal(
            f"Only admins can use `portal {verb}` (workspace admins and owners, or "
            "people listed in CASEBRIDGE_ADMINS)."
        )
    if args.options and verb != "create":
        raise UsageError(f"`portal {verb}` takes no options")
    services = ctx.services
    if verb == "create":
        subdomain = _subdomain(args, verb)
        mode = parse_mode(args.options["mode"]) if "mode" in args.options else Mode.BROADCAST
        company = args.options.get("company") or subdomain
        if problem := await ctx.check_channel(caller.channel_id):
            return refusal(f"Portal not created: {problem}")
        created = await portal_services.create_portal(
            services, company=company, subdomain=subdomain, mode=mode, channel_id=caller.channel_id
        )
        text = (
            f":white_check_mark: Portal created; its cases come to this channel.\n"
            f"{describe(created, ctx.public_url)}"
        )
        return Reply(text, [section(text)])
    if verb == "list":
        if len(args.words) > 2:
            raise UsageError("`portal list` takes no arguments")
        found = await portal_services.list_portals(services)
        lines = [describe(p, ctx.public_url) for p in found] or ["No portals yet."]
        return Reply("\n".join(lines), sections(lines))
    if verb == "mode":
        subdomain = _subdomain(args, verb, extra=1)
        changed = await portal_services.update_portal(
            services, subdomain, mode=parse_mode(args.words[3])
        )
        return Reply(f"Mode changed.\n{describe(changed, ctx.public_url)}")
    if verb == "origins":
        return await _origins(ctx, args)
    subdomain = _subdomain(args, verb)
    if verb == "show":
        return Reply(
            describe(await portal_services.get_portal(services, subdomain), ctx.public_url)
        )
    if verb in ("activate", "deactivate"):
        changed = await portal_services.update_portal(
            services, subdomain, active=verb == "activate"
        )
        return Reply(f"Portal {verb}d.\n{describe(changed, ctx.public_url)}")
    if verb == "channel":
        await portal_services.get_portal(services, subdomain)  # an unknown name is named first
        if problem := await ctx.check_channel(caller.channel_id):
            return refusal(f"Channel not changed: {problem}")
        changed = await portal_services.update_portal(
            services, subdomain, channel_id=caller.channel_id
        )
        return Reply(f"New cases of *{changed.subdomain}* now come to this channel.")
    found_portal = await portal_services.get_portal(services, subdomain)
    snippets = {
        # Slack parses &, < and > even inside code blocks, and shows them back as typed.
        name: escape_mrkdwn(snippet)
        for name, snippet in embed_snippets(
            ctx.public_url, found_portal.subdomain, found_portal.company
        ).items()
    }
    lines = [
        f"*Ways to reach {found_portal.subdomain}*\n*Stand-alone page:*\n{snippets['url']}",
        f"*Pop-up window* (paste into your site):\n```{snippets['popup']}```",
        f"*Chat widget* (one tag before `&lt;/body&gt;`):\n```{snippets['widget']}```",
    ]
    return Reply("\n".join(lines), sections(lines))


async def _origins(ctx: CommandContext, args: Args) -> Reply:
    """`portal origins <subdomain> [origin …|none]`: the sites allowed to embed the portal."""
    if len(args.words) < 3:
        raise UsageError("`portal origins` needs the portal's subdomain")
    subdomain, given = args.words[2], list(args.words[3:])
    if given:
        origins = [] if given == ["none"] else given
        portal = await portal_services.update_portal(
            ctx.services, subdomain, allowed_origins=origins
        )
    else:
        portal = await portal_services.get_portal(ctx.services, subdomain)
    listed = ", ".join(portal.allowed_origins) or "any site (no list set)"
    return Reply(f"*{portal.subdomain}* may be embedded and reached from: {listed}")
