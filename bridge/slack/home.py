"""The App Home tab: unassigned count at the top, the agent's own switches, three case lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bridge.core.agents import Agent
from bridge.core.cases import Case, CaseType
from bridge.slack import actions
from bridge.slack.blocks import NAME_CHARS, Block, button, mrkdwn, plain_text
from bridge.slack.limits import HEADER_TEXT, outside, pack

LINE_CHARS = 280  # one case in a list: ten fit a section whatever the names

LIST_LIMIT = 10
PARKED_LINES, PARKED_LINE_CHARS = 5, 500  # within a section's 3,000 characters


@dataclass(frozen=True)
class CaseList:
    title: str
    cases: Sequence[Case]
    total: int


@dataclass(frozen=True)
class HomeData:
    agent: Agent
    unassigned: CaseList
    mine: CaseList
    everything: CaseList
    links: dict[int, str]  # case id -> link to its message
    # Shown to admins only: (what failed, for which case — ours; the reason — outside text).
    failed_deliveries: Sequence[tuple[str, str]] = ()
    parked_deliveries: Sequence[str] = ()  # lanes waiting for an admin's fix: a banner on top


def _line(case: Case, link: str | None) -> str:
    kind = ":envelope:" if case.type is CaseType.SUPPORT_REQUEST else ":speech_balloon:"
    ref = f"<{link}|{case.reference}>" if link else case.reference
    assignee = f" · <@{case.assignee_id}>" if case.assignee_id else ""
    head, tail = f"{kind} {ref} · ", f" · {case.status.value}{assignee}"
    room = max(NAME_CHARS // 10, LINE_CHARS - len(head) - len(tail))
    return head + outside(case.customer.full_name, room) + tail


def _section(listing: CaseList, links: dict[int, str]) -> list[Block]:
    blocks: list[Block] = [
        {"type": "header", "text": plain_text(f"{listing.title} ({listing.total})", HEADER_TEXT)}
    ]
    if not listing.cases:
        blocks.append({"type": "context", "elements": [mrkdwn("Nothing here.")]})
        return blocks
    lines = [_line(case, links.get(case.id)) for case in listing.cases]
    blocks += [{"type": "section", "text": mrkdwn(text)} for text in pack(lines)]
    more = listing.total - len(listing.cases)
    if more > 0:
        blocks.append(
            {
                "type": "context",
                "elements": [mrkdwn(f"and {more} more… (`/casebridge cases` lists them)")],
            }
        )
    return blocks


def _switch(label: str, name: str, on: bool) -> dict[str, Any]:
    return button(
        f"{label}: {'on' if on else 'off'}",
        f"{actions.HOME_PREFERENCE}_{name}",
        f"{name}:{'off' if on else 'on'}",
        "primary" if on else None,
    )


def home_view(data: HomeData) -> dict[str, Any]:
    """The whole Home tab view for one agent."""
    agent, prefs = data.agent, data.agent.preferences
    availability = (
        ":large_green_circle: You are *available*"
        if agent.available
        else ":white_circle: You are *unavailable*"
    )
    toggle = (
        button("Go unavailable", actions.HOME_UNAVAILABLE, "off")
        if agent.available
        else button("Go available", actions.HOME_AVAILABLE, "on", "primary")
    )
    blocks: list[Block] = [
        {"type": "header", "text": plain_text(f"{data.unassigned.total} unassigned")},
        {"type": "section", "text": mrkdwn(availability), "accessory": toggle},
        {
            "type": "actions",
            "block_id": "preferences",
            "elements": [
                _switch("DM alerts", "dm", prefs.dm),
                _switch("Mentions", "mention", prefs.mention),
                _switch("Email", "email", prefs.email),
                _switch("Quiet", "quiet", prefs.quiet),
            ],
        },
        {"type": "divider"},
    ]
    if data.parked_deliveries:
        lines = "\n".join(
            f"• {line[:PARKED_LINE_CHARS]}"  # our own words (already escaped where outside)
            for line in data.parked_deliveries[:PARKED_LINES]
        )
        banner = f":warning: *Delivery to Slack is paused* (nothing is lost):\n{lines}"
        blocks[1:1] = [{"type": "section", "text": mrkdwn(banner)}]
    for listing in (data.unassigned, data.mine, data.everything):
        blocks += _section(listing, data.links)
    if data.failed_deliveries:
        failures = ["*Deliveries that failed*"] + [
            f"• {head}{outside(reason, max(40, LINE_CHARS - len(head)))}"
            for head, reason in data.failed_deliveries
        ]
        blocks += [{"type": "divider"}]
        blocks += [{"type": "section", "text": mrkdwn(text)} for text in pack(failures)]
    return {"type": "home", "blocks": blocks}
