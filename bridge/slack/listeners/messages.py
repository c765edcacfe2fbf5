"""Thread relay, Slack → customer: the assignee's replies in a case's thread go to the browser.

Which messages count is decided per subtype in `bridge.slack.subtypes` (replies also sent to
the channel and replies with files are relayed; edits, deletions, joins and bots' posts are
not). Never relayed either: other agents' messages, internal notes (starting with //, marked
with a :lock: reaction) and messages outside case threads.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bridge import views
from bridge.core.errors import InvalidInput, NotAllowed
from bridge.core.text import escape_mrkdwn, plain_from_slack
from bridge.services import casework
from bridge.slack.listeners import Deps
from bridge.slack.subtypes import incoming
from bridge.slack.thread_turns import thread_of


def register(app: AsyncApp, deps: Deps) -> None:
    ctx = deps.services

    @app.event("message")
    @deps.tracked
    async def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        # A thread's replies are relayed in the order they arrived (asked before any await).
        async with deps.turns.of(thread_of(body)):
            await relay(event, body)

    async def relay(event: dict[str, Any], body: dict[str, Any]) -> None:
        # Every message event needs a listener (bolt would 404 an unhandled one and Slack
        # would retry it); what bridge.slack.subtypes does not relay simply stops here.
        reply = incoming(event)
        if reply is None:
            return
        # Most thread messages are relayed: finding the case only reads, so the write lock
        # is taken once, by the relay's own transaction.
        case = await views.case_in_thread(ctx, reply.channel, reply.thread_ts)
        if case is None:
            return
        if await casework.keep_internal_note(ctx, case.id, reply.text, reply.channel, reply.ts):
            return
        relayed = False
        if reply.text.strip():
            try:
                relayed = bool(
                    await casework.post_agent_message(
                        ctx,
                        case.id,
                        reply.user,
                        plain_from_slack(reply.text),
                        slack_ts=reply.ts,
                        event_id=body.get("event_id"),
                    )
                )
            except NotAllowed as refused:
                await deps.tell(
                    reply.channel,
                    reply.user,
                    f":no_entry: Not sent to the customer: {refused}.",
                    case.id,
                    thread_ts=reply.thread_ts,
                )
            except InvalidInput as problem:
                await deps.tell(
                    reply.channel,
                    reply.user,
                    f":warning: Not sent to the customer: {problem}",
                    case.id,
                    thread_ts=reply.thread_ts,
                )
        # Only the assignee's messages go to the customer, so only they need to hear that a
        # file stayed behind; a retried event (relayed False) was already answered.
        to_customer = relayed or (not reply.text.strip() and case.assignee_id == reply.user)
        if reply.files and to_customer:
            await deps.tell(
                reply.channel,
                reply.user,
                files_not_passed_on(reply.files, with_text=relayed),
                case.id,
                thread_ts=reply.thread_ts,
            )


def files_not_passed_on(names: tuple[str, ...], with_text: bool) -> str:
    """The note to an agent whose reply carried files the customer will not get."""
    listed = ", ".join(f"`{escape_mrkdwn(name)}`" for name in names[:5])
    if len(names) > 5:
        listed += f" and {len(names) - 5} more"
    told = "The customer got your text, but not" if with_text else "The customer did not get"
    return (
        f":paperclip: {told} {listed}: casebridge does not pass files on yet. "
        "Paste the content or a link in the thread instead."
    )
