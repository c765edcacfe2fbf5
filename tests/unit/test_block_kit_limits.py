"""Every Block Kit builder fits Slack's limits whatever the customer typed, checked by slack_sdk.

The input is hostile on purpose: names far past what the portal accepts, made of `&` (five
characters once escaped) and `<!channel>`, long e-mails, long device details. slack_sdk's own
models validate each block and view; on top, the text limits slack_sdk does not check are
checked here, and no cut may leave half an entity or a live `<…>` of the customer's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bridge.core.agents import Agent
from bridge.core.cases import Case, CaseStatus, CaseType, Customer, DeviceInfo
from bridge.core.portals import Portal
from bridge.slack.blocks import (
    CaseCard,
    alert_dm,
    alert_mention,
    case_message,
    customer_line,
    device_info,
    reply_email_modal,
)
from bridge.slack.email_blocks import email_reply_post, original_modal, unmatched_email_dm
from bridge.slack.home import CaseList, HomeData, home_view
from bridge.slack.limits import cut, outside
from bridge.views import ListedCase
from commands.availability import case_line
from commands.portals import describe
from commands.replies import sections

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HOSTILE = "&<!channel>&" * 400  # 4,800 characters, 14,400 once escaped
LIMITS = {"section": 3000, "field": 2000, "header": 150, "context": 2000, "text": 40000}
BROKEN_ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


def hostile_case(case_id: int = 1, **changes: Any) -> Case:
    case = Case(
        id=case_id,
        portal_id=1,
        customer=Customer(HOSTILE, HOSTILE, f"{'&' * 240}@{'x' * 3000}.example"),
        question="\n".join([HOSTILE] * 5),
        device=DeviceInfo(*([HOSTILE] * 7)),
        created_at=NOW,
    )
    return replace(case, **changes)


CASES = [
    hostile_case(),
    hostile_case(status=CaseStatus.ASSIGNED, assignee_id="UBOB"),
    hostile_case(status=CaseStatus.RESOLVED, chat_ended=True),
    hostile_case(type=CaseType.SUPPORT_REQUEST),
    hostile_case(deleted_at=NOW),
]


def texts(blocks: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    """(where, text) for every text Slack parses or shows in these blocks."""
    for block in blocks:
        kind = block["type"]
        if "text" in block:
            yield (kind if kind != "section" else "section", block["text"]["text"])
        for field in block.get("fields", []):
            yield "field", field["text"]
        for element in block.get("elements", []):
            if "text" in element and isinstance(element["text"], str):
                yield "context", element["text"]


def check_blocks(blocks: list[dict[str, Any]]) -> None:
    for block in blocks:
        Block.parse(block).validate_json()  # type: ignore[union-attr]
    for where, text in texts(blocks):
        assert len(text) <= LIMITS.get(where, 3000), (where, len(text))
        check_text(text)


def check_text(text: str) -> None:
    assert len(text) <= LIMITS["text"]
    assert not BROKEN_ENTITY.search(text), "a cut left half an entity, or & went unescaped"
    assert "<!channel>" not in text, "the customer's text pings nobody"


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.status}-{c.type}-{c.deleted}")
def test_the_case_message_and_everything_about_a_case_fit(case: Case) -> None:
    card = CaseCard(case, outside(HOSTILE, 100_000), HOSTILE, NOW)
    text, blocks = case_message(card)
    check_text(text)
    check_blocks(blocks)
    text, blocks = device_info(case)
    check_text(text)
    check_blocks(blocks)
    check_text(alert_dm(case, "https://slack.example/archives/C1/p1"))
    check_text(alert_mention(["UBOB"] * 50, [HOSTILE] * 50, case))
    View(**reply_email_modal(case, "Re: your request")).validate_json()
    check_blocks(reply_email_modal(case, "Re: your request")["blocks"])
    check_text(customer_line("&" * 4000 + "<!channel>"))


def test_app_home_with_ten_hostile_names_in_every_list_fits() -> None:
    cases = [hostile_case(n, status=CaseStatus.ASSIGNED, assignee_id="UBOB") for n in range(10)]
    link = "https://slack.example/archives/C0SUPPORT/p1700000000000100"
    view = home_view(
        HomeData(
            Agent("UBOB", HOSTILE, available=True, is_admin=True),
            CaseList("Unassigned", cases, 999),
            CaseList("My cases", cases, 10),
            CaseList("All cases", cases, 10_000),
            {case.id: link for case in cases},
            [
                (f"Posting the case for <https://slack.com/archives/C1/p1|C-00000{n}>: ", HOSTILE)
                for n in range(5)
            ],
        )
    )
    View(**view).validate_json()
    check_blocks(view["blocks"])
    assert len(view["blocks"]) <= 100


def test_command_answers_with_hostile_names_fit() -> None:
    lines = [
        case_line(ListedCase(hostile_case(n), ("C0SUPPORT", f"17000000{n:02d}.000100")))
        for n in range(20)
    ]
    portal = Portal(1, HOSTILE, "payload-co", channel_id="C0SUPPORT")
    lines += [describe(portal, "https://support.example.com")] * 20
    blocks = sections(lines)
    check_blocks(blocks)
    assert "\n".join(b["text"]["text"] for b in blocks) == "\n".join(lines)  # nothing dropped


@pytest.mark.parametrize("limit", range(1, 12))
def test_a_cut_never_splits_an_entity_or_a_link(limit: int) -> None:
    for text in (outside("a&b<c>d", 1000), "<@UBOB> &amp;&lt;", "x<https://a.b|ref>&gt;"):
        shown = cut(text, limit)
        assert len(shown) <= limit
        assert not BROKEN_ENTITY.search(shown)
        assert shown.count("<") == shown.count(">")


def test_customers_emails_in_the_thread_and_their_original_fit() -> None:
    text, blocks = email_reply_post(
        customer_name=HOSTILE,
        sender=HOSTILE,
        from_customer=False,
        text="\n".join([HOSTILE] * 20),
        attachments=(HOSTILE, HOSTILE),
        mention="UBOB",
        message_id=7,
    )
    check_text(text)
    check_blocks(blocks)
    View(**original_modal("C-000001", HOSTILE * 100)).validate_json()
    check_text(unmatched_email_dm(HOSTILE, HOSTILE))
