"""Dispatches `/casebridge …` to its family and turns every refusal into a clear reply."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bridge.core.errors import DomainError
from bridge.slack.limits import outside
from commands import availability, caselists, codes, notify, portals
from commands.parsing import Args, UsageError, parse
from commands.replies import Caller, CommandContext, Reply, refusal, usage

log = logging.getLogger(__name__)
PROBLEM_CHARS = 1_000
Family = Callable[[CommandContext, Caller, Args], Awaitable[Reply]]

FAMILIES: dict[str, Family] = {
    "available": availability.set_availability,
    "unavailable": availability.set_availability,
    "status": availability.status,
    "pin": codes.pin,
    "cases": caselists.cases,
    "notify": notify.notify,
    "portal": portals.portal,
}


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


async def run_command(ctx: CommandContext, caller: Caller, text: str) -> Reply:
    """The reply to one `/casebridge` line: never an exception, never silence."""
    try:
        args = parse(text, allowed_options=portals.OPTIONS)
        name = args.word(0)
        if name is None or name == "help":
            return usage()
        family = FAMILIES.get(name)
        if family is None:
            return usage(f"`{name}` is not a casebridge command.")
        if args.options and name != "portal":
            raise UsageError(f"`{name}` takes no key=value options")
        return await family(ctx, caller, args)
    # Problems quote what was typed (a subdomain, an option…): escaped like any outside text.
    except UsageError as problem:
        return usage(outside(_sentence(str(problem)), PROBLEM_CHARS))
    except DomainError as problem:
        return refusal(outside(_sentence(str(problem)), PROBLEM_CHARS))
    except Exception:
        log.exception("/casebridge %r failed", text)
        return refusal("Something went wrong on our side; the error is logged. Try again?")
