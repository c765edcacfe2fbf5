"""Pure Block Kit builders: the case message, alerts, device info. No I/O, no Slack client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.core.cases import Case, CaseStatus, CaseType
from bridge.core.text import MAX_SUBJECT_LENGTH
from bridge.slack import actions
from bridge.slack.limits import FIELD_TEXT, HEADER_TEXT, MESSAGE_TEXT, SECTION_TEXT, cut, outside

Block = dict[str, Any]
PREVIEW_LINES = 3
PREVIEW_CHARS = 300
NAME_CHARS = 300  # a customer's name, escaped (names are at most 100 characters as typed)
EMAIL_CHARS = 1_000  # an email address, escaped
DEVICE_CHARS = 400  # each device detail, escaped


@dataclass(frozen=True)
class CaseCard:
    """What the case message shows, gathered by the deliverer at the moment it renders."""

    case: Case
    portal: str
    assignee_name: str | None
    now: datetime


def plain_text(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": cut(text, limit)}


def button(
    text: str,
    action_id: str,
    value: str,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": plain_text(text),
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = confirm
    return button


def preview(question: str) -> str:
    """The first lines of the problem, escaped for mrkdwn, then bounded."""
    lines = [line for line in question.splitlines() if line.strip()][:PREVIEW_LINES]
    return outside("\n".join(lines), PREVIEW_CHARS)


def waited(case: Case, now: datetime) -> str:
    """How long the customer waited (until claimed), in words."""
    start = case.created_at or now
    end = case.claimed_at or now
    minutes = max(0, int((end - start).total_seconds() // 60))
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _kind(case: Case) -> str:
    return (
        ":speech_balloon: Live chat"
        if case.type is CaseType.LIVE_CHAT
        else ":envelope: Support request"
    )


def _status(card: CaseCard) -> str:
    case = card.case
    if case.status is CaseStatus.ASSIGNED:
        who = (
            f"<@{case.assignee_id}>"
            if case.assignee_id
            else outside(card.assignee_name or "", NAME_CHARS)
        )
        return f":large_green_circle: Assigned to {who}"
    if case.status is CaseStatus.RESOLVED:
        return ":white_check_mark: Resolved"
    return ":hourglass_flowing_sand: Queued" if case.queued else ":red_circle: Unassigned"


def _buttons(case: Case) -> list[dict[str, Any]]:
    value = str(case.id)
    shown: list[dict[str, Any]] = []
    if case.status is CaseStatus.UNASSIGNED:
        shown.append(button("Assign to me", actions.CLAIM, value, "primary"))
    if case.status is CaseStatus.ASSIGNED:
        shown.append(button("Resolve", actions.RESOLVE, value, "primary"))
        shown.append(button("Leave chat", actions.LEAVE, value))
    if case.status is CaseStatus.RESOLVED:
        shown.append(button("Reopen", actions.REOPEN, value))
    if case.type is CaseType.SUPPORT_REQUEST and case.status is not CaseStatus.RESOLVED:
        shown.append(button("Reply by email", actions.REPLY_EMAIL, value))
    shown.append(button("Device info", actions.DEVICE, value))
    if case.chat_ended:
        shown.append(
            button(
                "Delete case",
                actions.DELETE,
                value,
                "danger",
                confirm={
                    "title": plain_text("Delete this case?"),
                    "text": mrkdwn(
                        f"Everything about *{case.reference}* — the customer's name, email, "
                        "device and the whole conversation — is erased. This cannot be undone."
                    ),
                    "confirm": plain_text("Delete"),
                    "deny": plain_text("Keep it"),
                    "style": "danger",
                },
            )
        )
    return shown


def case_message(card: CaseCard) -> tuple[str, list[Block]]:
    """The one message a case has in its portal's channel: (fallback text, blocks)."""
    case = card.case
    if case.deleted:
        text = f"Case {case.reference} was deleted."
        return text, [
            {
                "type": "section",
                "block_id": "deleted",
                "text": mrkdwn(f":wastebasket: ~Case {case.reference}~ was deleted by an admin."),
            }
        ]
    customer = outside(case.customer.full_name, NAME_CHARS)
    email = outside(case.customer.email, EMAIL_CHARS)
    # What notifications show: Slack parses it like any message text.
    text = cut(f"{_kind(case).split(' ', 1)[1]} {case.reference} from {customer}", MESSAGE_TEXT)
    fields = [
        mrkdwn(f"*Status*\n{_status(card)}", FIELD_TEXT),
        mrkdwn(f"*Customer*\n{customer}\n{email}", FIELD_TEXT),
        mrkdwn(f"*Portal*\n{outside(card.portal, FIELD_TEXT)}", FIELD_TEXT),
        mrkdwn(f"*Waited*\n{waited(case, card.now)}", FIELD_TEXT),
    ]
    blocks: list[Block] = [
        {
            "type": "header",
            "block_id": "title",
            "text": plain_text(f"{case.reference} · {_kind(case).split(' ', 1)[1]}", HEADER_TEXT),
        },
        {"type": "section", "block_id": "summary", "text": mrkdwn(_kind(case)), "fields": fields},
    ]
    if case.question:
        blocks.append(
            {
                "type": "section",
                "block_id": "problem",
                "text": mrkdwn(f">{preview(case.question).replace(chr(10), chr(10) + '>')}"),
            }
        )
    notes = []
    if case.type is CaseType.LIVE_CHAT and case.chat_ended:
        notes.append("chat ended")
    elif case.type is CaseType.LIVE_CHAT and not case.customer_connected:
        notes.append("customer left")
    if notes:
        blocks.append(
            {"type": "context", "block_id": "notes", "elements": [mrkdwn(" · ".join(notes))]}
        )
    blocks.append({"type": "actions", "block_id": "case", "elements": _buttons(case)})
    return text, blocks


def device_info(case: Case) -> tuple[str, list[Block]]:
    """The ephemeral answer to "Device info"."""
    device = case.device
    rows = [
        ("Browser", device.browser),
        ("Operating system", device.os),
        ("Language", device.language),
        ("Time zone", device.time_zone),
        ("Screen", device.screen),
        ("Referring page", device.referrer),
    ]
    lines = [
        f"*{label}:* {outside(value, DEVICE_CHARS) if value else '_unknown_'}"
        for label, value in rows
    ]
    text = f"Device info for {case.reference}"
    return text, [{"type": "section", "text": mrkdwn(f"*{text}*\n" + "\n".join(lines))}]


def alert_dm(case: Case, link: str | None) -> str:
    """The direct message that tells one agent about a case."""
    kind = "support request" if case.type is CaseType.SUPPORT_REQUEST else "live chat"
    who = outside(case.customer.full_name, NAME_CHARS)
    where = f" <{link}|Open the case>" if link else ""
    if case.assignee_id:
        return f":bell: {case.reference} ({kind}) from {who} is yours.{where}"
    return f":bell: New {kind} {case.reference} from {who} is waiting.{where}"


def alert_mention(agent_ids: list[str], quiet_names: list[str], case: Case) -> str:
    """The thread message that mentions agents (pinging the loud, naming the quiet)."""
    loud = " ".join(f"<@{agent}>" for agent in agent_ids)
    quiet = ", ".join(outside(name, NAME_CHARS) for name in quiet_names)
    who = " ".join(part for part in (loud, quiet) if part)
    return cut(f"{who}: {case.reference} is waiting for an agent.", MESSAGE_TEXT)


def reply_email_modal(case: Case, subject: str) -> dict[str, Any]:
    """The modal an agent writes a support request's answer in."""
    return {
        "type": "modal",
        "callback_id": actions.REPLY_EMAIL_VIEW,
        "private_metadata": str(case.id),
        "title": plain_text("Reply by email"),
        "submit": plain_text("Send"),
        "close": plain_text("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": mrkdwn(
                    f"To *{outside(case.customer.full_name, NAME_CHARS)}* "
                    f"({outside(case.customer.email, EMAIL_CHARS)}) about {case.reference}"
                ),
            },
            {
                "type": "input",
                "block_id": "subject",
                "label": plain_text("Subject"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": "subject",
                    "max_length": MAX_SUBJECT_LENGTH,
                    "initial_value": subject,
                },
            },
            {
                "type": "input",
                "block_id": "body",
                "label": plain_text("Message"),
                "element": {"type": "plain_text_input", "action_id": "body", "multiline": True},
            },
        ],
    }


USERNAME_MAX = 80  # Slack cuts a post's username here


def customer_line(text: str) -> str:
    """A customer's chat message as it appears in the thread: escaped, never a ping."""
    return outside(text, MESSAGE_TEXT)


def customer_username(name: str) -> str:
    """The name a customer's thread post shows: marked as a customer's, whatever they typed
    (a customer called "casebridge" or "Alice Admin" must not pass for them)."""
    return f"Customer · {name}"[:USERNAME_MAX]
