"""Thread relay, Slack → customer: the assignee's replies in a case's thread go to the browser.

Which messages count is decided per subtype in `bridge.slack.subtypes` (replies also sent to
the channel and replies with files are relayed, the files copied from Slack first; edits,
deletions, joins and bots' posts are not). Never relayed either: other agents' messages,
internal notes (starting with //, marked with a :lock: reaction) and messages outside case
threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp

from bridge import views
from bridge.core.errors import InvalidInput, NotAllowed
from bridge.core.text import escape_mrkdwn, plain_from_slack
from bridge.services import agent_files, casework
from bridge.services.agent_files import LeftBehind
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
        try:
            if reply.files:
                outcome = await agent_files.post_agent_reply_with_files(
                    ctx,
                    case.id,
                    reply.user,
                    plain_from_slack(reply.text),
                    reply.files,
                    deps.files,
                    slack_ts=reply.ts,
                    event_id=body.get("event_id"),
                )
                if outcome.left_behind:
                    await deps.tell(
                        reply.channel,
                        reply.user,
                        files_left_behind(outcome.left_behind, with_text=outcome.relayed),
                        case.id,
                        thread_ts=reply.thread_ts,
                    )
            elif reply.text.strip():
                await casework.post_agent_message(
                    ctx,
                    case.id,
                    reply.user,
                    plain_from_slack(reply.text),
                    slack_ts=reply.ts,
                    event_id=body.get("event_id"),
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


# Why a file stayed behind, in the agent's words (by the refusal's code).
_WHY = {
    "file_too_large": "larger than casebridge takes (FILE_MAX_BYTES)",
    "case_files_full": "the case's files would pass their total (CASE_FILES_MAX_BYTES)",
    "file_type": "not a kind casebridge passes on (PNG, JPEG, GIF, WebP, PDF, plain text)",
    "file_empty": "it is empty",
    "not_fetched": "casebridge could not download it from Slack",
    "not_stored": "casebridge could not store it",
    "files_disabled": "files are not enabled here",
}


def files_left_behind(left: Sequence[LeftBehind], with_text: bool) -> str:
    """The note to an agent whose reply carried files the customer did not get."""
    lines = [f"• `{escape_mrkdwn(f.name)}`: {_WHY.get(f.code, 'refused')}" for f in left[:10]]
    if len(left) > 10:
        lines.append(f"… and {len(left) - 10} more")
    told = (
        "The customer got the rest of your reply, but not"
        if with_text
        else ("The customer did not get")
    )
    return f":paperclip: {told}:\n" + "\n".join(lines)
