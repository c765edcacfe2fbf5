"""The App Home tab and its buttons (availability, notification preferences)."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncApp

from bridge.services import agents as agent_services
from bridge.services import notices
from bridge.slack import actions
from bridge.slack.listeners import Deps


def register(app: AsyncApp, deps: Deps) -> None:
    ctx = deps.services

    @app.event("app_home_opened")
    @deps.tracked
    async def on_home_opened(event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        await deps.people.ensure(event["user"])
        await notices.refresh_home(ctx, event["user"])

    @app.action(actions.HOME_AVAILABLE)
    @deps.tracked
    async def on_available(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        agent = await deps.people.ensure(body["user"]["id"])
        await agent_services.set_availability(ctx, agent.slack_user_id, True)
        await notices.refresh_home(ctx, agent.slack_user_id)

    @app.action(actions.HOME_UNAVAILABLE)
    @deps.tracked
    async def on_unavailable(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        agent = await deps.people.ensure(body["user"]["id"])
        await agent_services.set_availability(ctx, agent.slack_user_id, False)
        await notices.refresh_home(ctx, agent.slack_user_id)

    @app.action(re.compile(f"^{actions.HOME_PREFERENCE}_"))
    @deps.tracked
    async def on_preference(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        name, _, state = str(action.get("value", "")).partition(":")
        agent = await deps.people.ensure(body["user"]["id"])
        await agent_services.set_preference(ctx, agent.slack_user_id, name, state == "on")
        await notices.refresh_home(ctx, agent.slack_user_id)
