"""The /api/<method> endpoint: faults, auth, rate limits, then the method itself."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from slackemu.files import FILE_METHODS
from slackemu.methods import METHODS, check_grant
from slackemu.params import Params, read_params
from slackemu.state import SlackError
from slackemu.views import VIEW_METHODS

if TYPE_CHECKING:
    from slackemu.server import EmulatorServer

log = logging.getLogger(__name__)
ALL_METHODS = {**METHODS, **VIEW_METHODS, **FILE_METHODS}
APP_TOKEN_METHODS = {"apps.connections.open"}


def _json(body: dict[str, Any], status: int = 200, **headers: str) -> web.Response:
    return web.json_response(body, status=status, headers=headers or None)


def _token(request: web.Request, params: Params) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    return params.text("token")


def make_handler(emu: EmulatorServer) -> Any:
    """The aiohttp handler for every Web API method of this stand-in."""

    async def handle(request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        fault = emu.faults.next_for(name)
        if fault is not None and fault.kind != "delay":
            if fault.kind == "drop":
                if request.transport is not None:
                    request.transport.close()
                raise web.HTTPServiceUnavailable()  # never reaches the closed socket
            else:
                return _json(
                    {"ok": False, "error": fault.error}, status=fault.status, **fault.headers()
                )
        method = ALL_METHODS.get(name)
        if method is None:
            return _json({"ok": False, "error": "unknown_method"})
        params = Params()
        try:
            params = await read_params(request)
            token = _token(request, params)
            expected = emu.app_token if name in APP_TOKEN_METHODS else emu.bot_token
            if not token:
                raise SlackError("not_authed")
            if token != expected:
                raise SlackError("invalid_auth")
            if name not in APP_TOKEN_METHODS:
                check_grant(emu, name)
            wait = await emu.limits.retry_after(name, params.text("channel"))
            if wait:
                emu.calls.append((name, dict(params), {"ok": False, "error": "ratelimited"}))
                return _json(
                    {"ok": False, "error": "ratelimited"}, status=429, **{"Retry-After": str(wait)}
                )
            result = await method(emu, params)
            body = {"ok": True, **result}
        except SlackError as error:
            body = {"ok": False, "error": error.error, **error.extra}
        emu.calls.append((name, dict(params), body))
        if fault is not None and fault.kind == "delay":
            # A slow Slack has done the work; only the answer is late (and may never arrive).
            await asyncio.sleep(fault.seconds)
        if name in APP_TOKEN_METHODS:
            return _json(body)
        # Slack tells every bot-token call which scopes the token holds.
        response = _json(body)
        response.headers["X-OAuth-Scopes"] = ",".join(sorted(emu.workspace.scopes))
        return response

    return handle
