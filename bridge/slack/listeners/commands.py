"""`/casebridge`: acknowledged at once, answered through the command's response_url."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bridge.slack.channels import make_postable
from bridge.slack.listeners import Deps
from commands.replies import Caller, CommandContext
from commands.router import run_command


def register(app: AsyncApp, deps: Deps) -> None:
    async def check_channel(channel: str) -> str | None:
        return await make_postable(app.client, channel)

    context = CommandContext(deps.services, deps.public_url, check_channel)

    @app.command("/casebridge")
    @deps.tracked
    async def on_casebridge(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        # Slack gives three seconds for the ack; users.info and the command's own work (a
        # channel check, a busy database) may take longer, so the answer comes afterwards.
        await ack()
        await deps.people.ensure(command["user_id"])  # who they are now, admin or not, is stored
        caller = Caller(command["user_id"], command.get("channel_id", ""))
        reply = await run_command(context, caller, command.get("text", ""))
        await respond(
            text=reply.text,
            blocks=reply.blocks or None,
            response_type="in_channel" if reply.in_channel else "ephemeral",
        )
