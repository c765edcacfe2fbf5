"""Thread relay, Slack → customer: the assignee's replies in a case's thread go to the browser.

Not relayed: the bot's own posts, other agents' messages, internal notes (starting with //,
marked with a :lock: reaction), messages outside case threads, and edits and deletions
(the customer keeps what they were sent; Slack shows the edit to the team).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bridge.core.errors import InvalidInput
from bridge.core.text import is_internal_note, plain_from_slack
from bridge.services import casework
from bridge.slack.listeners import Deps
from bridge.slack.outbox_writer import enqueue_reaction

NOTE_REACTION = "lock"


def register(app: AsyncApp, deps: Deps) -> None:
    ctx = deps.services

    @app.event("message")
    @deps.tracked
    async def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        # Every message event needs a listener (bolt would 404 an unhandled one and Slack
        # would retry it); those we do not relay simply stop here.
        if event.get("subtype") or event.get("bot_id"):
            return
        channel, ts, thread_ts = event.get("channel"), event.get("ts"), event.get("thread_ts")
        if not channel or not ts or not thread_ts or thread_ts == ts:
            return
        async with ctx.db.uow() as uow:
            case = await uow.cases.by_slack_thread(channel, thread_ts)
            if case is None:
                return
            text = event.get("text", "")
            if is_internal_note(text):
                await enqueue_reaction(
                    uow, ctx.clock, channel=channel, ts=ts, name=NOTE_REACTION, case_id=case.id
                )
                await uow.commit()
                deps.deliverer.wake()
                return
        user = event.get("user", "")
        try:
            await casework.post_agent_message(
                ctx,
                case.id,
                user,
                plain_from_slack(text),
                slack_ts=ts,
                event_id=body.get("event_id"),
            )
        except InvalidInput as problem:
            await deps.tell(
                channel, user, f":warning: Not sent to the customer: {problem}", case.id
            )
