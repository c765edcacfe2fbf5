"""`/casebridge`: the reply goes back in the ack, visible only to the caller."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bridge.slack.listeners import Deps
from commands.replies import Caller, CommandContext
from commands.router import run_command


def register(app: AsyncApp, deps: Deps) -> None:
    context = CommandContext(deps.services, deps.public_url)

    @app.command("/casebridge")
    @deps.tracked
    async def on_casebridge(ack: Any, command: dict[str, Any]) -> None:
        # The agent row is made (or refreshed) from users.info before any subcommand runs,
        # which is also where admin standing comes from.
        agent = await deps.people.ensure(command["user_id"])
        caller = Caller(command["user_id"], command.get("channel_id", ""), agent.is_admin)
        reply = await run_command(context, caller, command.get("text", ""))
        await ack(
            text=reply.text,
            blocks=reply.blocks or None,
            response_type="in_channel" if reply.in_channel else "ephemeral",
        )
