"""The App Home tab: unassigned count at the top, the agent's own switches, three case lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bridge.core.agents import Agent
from bridge.core.cases import Case, CaseType
from bridge.core.text import escape_mrkdwn
from bridge.slack import actions
from bridge.slack.blocks import Block, button, mrkdwn, plain_text

LIST_LIMIT = 10


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
    failed_deliveries: Sequence[str] = ()  # shown to admins only


def _line(case: Case, link: str | None) -> str:
    kind = ":envelope:" if case.type is CaseType.SUPPORT_REQUEST else ":speech_balloon:"
    ref = f"<{link}|{case.reference}>" if link else case.reference
    who = escape_mrkdwn(case.customer.full_name)
    assignee = f" · <@{case.assignee_id}>" if case.assignee_id else ""
    return f"{kind} {ref} · {who} · {case.status.value}{assignee}"


def _section(listing: CaseList, links: dict[int, str]) -> list[Block]:
    blocks: list[Block] = [
        {"type": "header", "text": plain_text(f"{listing.title} ({listing.total})")}
    ]
    if not listing.cases:
        blocks.append({"type": "context", "elements": [mrkdwn("Nothing here.")]})
        return blocks
    lines = [_line(case, links.get(case.id)) for case in listing.cases]
    blocks.append({"type": "section", "text": mrkdwn("\n".join(lines))})
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
    for listing in (data.unassigned, data.mine, data.everything):
        blocks += _section(listing, data.links)
    if data.failed_deliveries:
        failures = "\n".join(f"• {escape_mrkdwn(line)}" for line in data.failed_deliveries)
        blocks += [
            {"type": "divider"},
            {"type": "section", "text": mrkdwn(f"*Deliveries that failed*\n{failures}")},
        ]
    return {"type": "home", "blocks": blocks}
