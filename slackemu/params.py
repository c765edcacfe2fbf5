"""Web API parameters: from the query string, a form or a JSON body, as slack_sdk sends them."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from slackemu.state import SlackError

_JSON_FIELDS = ("blocks", "attachments", "view", "users", "metadata", "files")


class Params(dict[str, Any]):
    """Merged request parameters with Slack's coercions."""

    def text(self, name: str, required: bool = False) -> str | None:
        value = self.get(name)
        if value in (None, ""):
            if required:
                raise SlackError(
                    "invalid_arguments" if name != "channel" else "channel_not_found", needed=name
                )
            return None
        return str(value)

    def need(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value

    def flag(self, name: str) -> bool:
        value = self.get(name)
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("1", "true", "yes") if value is not None else False

    def structured(self, name: str) -> Any:
        """A JSON-valued parameter (form posts carry it as a string)."""
        value = self.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise SlackError(
                    "invalid_json" if name != "blocks" else "invalid_blocks_format"
                ) from None
        return value


async def read_params(request: web.Request) -> Params:
    """Query string, then form or JSON body; body wins, as on Slack."""
    params = Params(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise SlackError("invalid_json") from None
            if not isinstance(body, dict):
                raise SlackError("invalid_json")
            params.update(body)
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    for name in _JSON_FIELDS:
        if name in params and isinstance(params[name], str) and params[name].startswith(("[", "{")):
            params[name] = params.structured(name)
    return params
