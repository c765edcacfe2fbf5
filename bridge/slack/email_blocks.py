"""Block Kit for customers' emails in a case's thread, and the "show original" modal."""

from __future__ import annotations

from typing import Any

from bridge.core.text import escape_mrkdwn
from bridge.slack.limits import cut

SHOW_ORIGINAL = "email_show_original"
SECTION_LIMIT = 3000
MODAL_SECTIONS = 40  # 40 × 3,000 characters: well within a modal's 100 blocks
FALLBACK_LIMIT = 3000


def email_reply_post(
    *,
    customer_name: str,
    sender: str,
    from_customer: bool,
    text: str,
    attachments: tuple[str, ...],
    mention: str | None,
    message_id: int,
) -> tuple[str, list[dict[str, Any]]]:
    """The thread post for a customer's email: who, the reply quoted, a "show original"."""
    who = escape_mrkdwn(customer_name)
    head = f":email: *{who} replied by email*"
    if mention:
        head += f" <@{mention}>"
    lines = [head]
    if not from_customer:
        lines.append(
            f":warning: Sent from {escape_mrkdwn(sender) or 'an unknown sender'}, "
            "which is not the customer's address."
        )
    quoted = "\n".join(f">{line}" for line in escape_mrkdwn(text).splitlines())
    if attachments:
        names = ", ".join(escape_mrkdwn(name) for name in attachments)
        quoted += f"\n_Attachments not passed on: {names}_"
    body = "\n".join(lines) + "\n" + quoted
    section = cut(body, SECTION_LIMIT)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": section}},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": SHOW_ORIGINAL,
                    "text": {"type": "plain_text", "text": "Show original"},
                    "value": str(message_id),
                }
            ],
        },
    ]
    return cut(body, FALLBACK_LIMIT), blocks


def original_modal(reference: str, original: str) -> dict[str, Any]:
    """The email as it came (headers and whole body), as plain text: nothing in it is parsed."""
    chunks = [original[i : i + SECTION_LIMIT] for i in range(0, len(original), SECTION_LIMIT)]
    shown = chunks[:MODAL_SECTIONS] or ["(empty)"]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "plain_text", "text": chunk, "emoji": False}}
        for chunk in shown
    ]
    if len(chunks) > MODAL_SECTIONS:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "plain_text", "text": "(the rest is too long to show)"}],
            }
        )
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": f"Email · {reference}"[:24]},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }


def unmatched_email_dm(sender: str, subject: str) -> str:
    """To admins: an email that names no case and no portal."""
    return (
        f":email: An email from {escape_mrkdwn(sender) or 'an unknown sender'} "
        f"(subject: {escape_mrkdwn(subject) or '(none)'}) names no case and no portal, so it "
        "was not posted anywhere. Write to the sender from your own mailbox, or give "
        "customers a portal address (`support+<portal>@…`) that opens a support request."
    )
