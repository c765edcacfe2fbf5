"""What a command knows about its caller, and what it answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bridge.services.context import ServiceContext
from bridge.slack.limits import SECTION_TEXT, cut, pack


@dataclass(frozen=True)
class Caller:
    user_id: str
    channel_id: str


ChannelCheck = Callable[[str], Awaitable[str | None]]


async def no_channel_check(_channel: str) -> str | None:
    return None


@dataclass(frozen=True)
class CommandContext:
    services: ServiceContext
    public_url: str
    # Can the bot work in this channel (joining it if it may)? None: yes; else why not.
    check_channel: ChannelCheck = no_channel_check


@dataclass(frozen=True)
class Reply:
    """An answer to the caller; ephemeral unless `in_channel`."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    in_channel: bool = False
    ok: bool = True


def refusal(text: str) -> Reply:
    return Reply(text=f":no_entry: {text}", ok=False)


def section(text: str) -> dict[str, Any]:
    """One section block; text past Slack's limit is cut (use `sections` for lists)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_TEXT)}}


def sections(lines: list[str]) -> list[dict[str, Any]]:
    """Lines packed into as many section blocks as Slack's limit needs."""
    return [section(text) for text in pack(lines)]


USAGE = "\n".join(
    [
        "*/casebridge* — what you can do:",
        "• `available` · `unavailable` · `status` — your availability and your cases",
        "• `pin` — a 9-digit code a customer types to reach you · `pin list` · `pin revoke <code>`",
        "• `cases [unassigned|mine|all]` — a list with links",
        "• `notify dm|mention|email|quiet on|off` — how you are alerted",
        '• `portal create <subdomain> [company="…"] [mode=match|broadcast|button|pin|queue]` '
        "(in the channel the cases go to) · `portal list` · `portal show <subdomain>` · "
        "`portal mode <subdomain> <mode>` · `portal activate|deactivate <subdomain>` · "
        "`portal channel <subdomain>` · `portal embed <subdomain>` · "
        "`portal origins <subdomain> [https://site …|none]` — admins only",
        "• `help` — this text",
    ]
)


def usage(problem: str | None = None) -> Reply:
    """The usage text, after the problem that brought the caller here, if any."""
    head = f":warning: {problem}\n\n" if problem else ""
    return Reply(text=head + USAGE, ok=problem is None)
