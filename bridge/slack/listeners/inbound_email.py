"""A customer's email in the thread: "Show original" opens it, as it came, in a modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bridge import views
from bridge.core.identifiers import case_number
from bridge.slack.email_blocks import SHOW_ORIGINAL, original_modal
from bridge.slack.listeners import Deps


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(SHOW_ORIGINAL)
    @deps.tracked
    async def on_show_original(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        value = str(action.get("value", ""))
        number = case_number(value)
        found = await views.email_original(deps.services, number) if number is not None else None
        if found is None:
            await deps.tell(
                body["channel"]["id"], body["user"]["id"], "That email is no longer kept."
            )
            return
        # The trigger expires three seconds after the click: straight to Slack.
        await client.views_open(trigger_id=body["trigger_id"], view=original_modal(*found))
