"""The mark on an agent's reply in Slack: one reaction, replaced as the reply's fate moves on."""

from __future__ import annotations

from typing import Any

from bridge.core.fates import fate_of
from bridge.outbox.errors import Permanent
from bridge.slack.delivering import SlackDeliverer
from storage.repositories.outbox import OutboxItem


async def mark_fate(d: SlackDeliverer, item: OutboxItem) -> dict[str, Any]:
    """Show the reply's current fate (rendered now, so a late mark is never stale)."""
    message_id = int(item.payload["message_id"])
    async with d.db.uow() as uow:
        fate = await uow.cases.reply_fate(message_id)
        where = await uow.cases.slack_message(fate.case_id) if fate is not None else None
    if fate is None or fate.slack_ts is None or where is None:
        return {"skipped": "the reply or its case is gone"}
    wanted = fate_of(fate.delivered, fate.seen, fate.emailed)
    mark = wanted.value if wanted is not None else None
    if mark == fate.shown:
        return {"mark": mark}
    channel = where[0]
    if mark is not None:
        try:
            await d.calls("reactions_add", channel=channel, timestamp=fate.slack_ts, name=mark)
        except Permanent as refused:
            if "already_reacted" not in str(refused):
                raise
    if fate.shown is not None:
        try:
            await d.calls(
                "reactions_remove", channel=channel, timestamp=fate.slack_ts, name=fate.shown
            )
        except Permanent as refused:
            if "no_reaction" not in str(refused):
                raise
    async with d.db.uow() as uow:
        await uow.cases.set_fate_mark(message_id, mark)
        await uow.commit()
    return {"mark": mark}
