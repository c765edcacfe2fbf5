"""Carries out the outbox work for customers' emails: the thread post and plain DMs."""

from __future__ import annotations

from typing import Any

from bridge.links import slack_message_link
from bridge.outbox.deliverer import Handler, Outcome
from bridge.outbox.errors import Permanent
from bridge.slack import operations as op
from bridge.slack.delivering import SlackDeliverer
from bridge.slack.email_blocks import email_reply_post
from bridge.slack.fate_marks import mark_fate
from storage.repositories.outbox import OutboxItem
from storage.uow import UnitOfWork

METADATA_TYPE = "casebridge_outbox"


def _metadata(item: OutboxItem) -> dict[str, Any]:
    return {"event_type": METADATA_TYPE, "event_payload": {"outbox_id": item.id, "also": []}}


async def post_email_reply(d: SlackDeliverer, item: OutboxItem) -> dict[str, Any] | Outcome:
    """Quote the customer's email in the case's thread (rendered from the stored message)."""
    payload = item.payload
    case_id, message_id = int(payload["case_id"]), int(payload["message_id"])
    async with d.db.read() as uow:
        case = await uow.cases.get(case_id)
        where = await uow.cases.slack_message(case_id)
        message = next((m for m in await uow.cases.messages(case_id) if m.id == message_id), None)
    if case is None or case.deleted or message is None:
        return {"skipped": "the case or the email is gone"}
    if where is None:
        raise Permanent("the case message was never posted")
    channel, thread_ts = where
    if (found := await d.posted_before(item, channel, thread_ts)) is not None:
        return {"channel": channel, "ts": found["ts"]}
    text, blocks = email_reply_post(
        customer_name=case.customer.full_name,
        sender=str(payload.get("sender", "")),
        from_customer=bool(payload.get("from_customer", True)),
        text=message.text,
        attachments=tuple(payload.get("attachments", ())),
        mention=payload.get("mention"),
        message_id=message_id,
    )
    posted = await d.calls(
        "chat_postMessage",
        channel=channel,
        thread_ts=thread_ts,
        text=text,
        blocks=blocks,
        unfurl_links=False,
        unfurl_media=False,
        metadata=_metadata(item),
    )
    ts = posted["ts"]

    async def record(uow: UnitOfWork) -> None:
        await uow.cases.set_message_ts(message_id, ts)

    return Outcome({"channel": channel, "ts": ts}, record)


async def notice_dm(d: SlackDeliverer, item: OutboxItem) -> dict[str, Any]:
    """A plain direct message; a case's link is added when the case has a message."""
    text = str(item.payload["text"])
    if item.payload.get("case_id"):
        async with d.db.read() as uow:
            where = await uow.cases.slack_message(int(item.payload["case_id"]))
        if where is not None:
            text += f" <{slack_message_link(*where)}|Open the case>"
    opened = await d.calls("conversations_open", users=item.payload["user"])
    dm = opened["channel"]["id"]
    if (found := await d.posted_before(item, dm)) is not None:
        return {"channel": dm, "ts": found["ts"]}
    posted = await d.calls(
        "chat_postMessage", channel=dm, text=text, unfurl_links=False, metadata=_metadata(item)
    )
    return {"channel": dm, "ts": posted["ts"]}


EMAIL_HANDLERS: dict[str, Handler] = {
    op.EMAIL_POST: post_email_reply,
    op.NOTICE_DM: notice_dm,
    op.FATE_MARK: mark_fate,
}
