"""The stand-in's own HTTP API, used by its browser UI and by tests in other processes."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosmtplib
from aiohttp import web

from slackemu.delivery import Outcome
from slackemu.faults import plan_from_json
from slackemu.state import SlackError, View

if TYPE_CHECKING:
    from slackemu.emulator import SlackEmu

Handler = Any


def _outcome(outcome: Outcome) -> dict[str, Any]:
    return {
        "ok": outcome.ok,
        "status": outcome.status,
        "attempts": len(outcome.attempts),
        "body": outcome.body if isinstance(outcome.body, dict | str) else None,
    }


def _view(view: View | None) -> dict[str, Any] | None:
    if view is None:
        return None
    return {"id": view.id, "type": view.type, "errors": view.errors, **view.definition}


def add_ui_routes(app: web.Application, emu: SlackEmu, folder: Path) -> None:
    """Mount the UI at / and its JSON API under /_emu/."""

    async def index(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(folder / "index.html")

    async def state(request: web.Request) -> web.Response:
        viewer = request.query.get("as", "")
        ws = emu.workspace
        channels = [
            {
                "id": c.id,
                "name": c.name
                if not c.is_im
                else (
                    ws.users[next(iter(c.members - {viewer}), viewer)].name
                    if c.members - {viewer}
                    else c.name
                ),
                "is_im": c.is_im,
            }
            for c in ws.channels.values()
            if viewer in c.members
        ]
        users = [
            {
                "id": u.id,
                "name": u.display_name or u.name,  # what Slack shows for a mention
                "real_name": u.real_name,
                "is_admin": u.is_admin,
                "is_bot": u.is_bot,
            }
            for u in ws.users.values()
        ]
        return web.json_response(
            {
                "version": ws.version,
                "users": users,
                "channels": channels,
                "home": _view(emu.home(viewer)) if viewer else None,
                "modals": [_view(v) for v in emu.open_views(viewer)],
            }
        )

    async def messages(request: web.Request) -> web.Response:
        viewer, channel = request.query.get("as"), request.query.get("channel", "")
        thread_ts = request.query.get("thread_ts")
        try:
            found = (
                emu.thread(channel, thread_ts, viewer)
                if thread_ts
                else emu.messages(channel, viewer)
            )
        except SlackError as unknown:  # no such channel or thread: Slack's error name, not a 500
            return web.json_response({"error": unknown.error}, status=404)
        return web.json_response(
            {"messages": [{**m.to_api(), "ephemeral": m.ephemeral_to is not None} for m in found]}
        )

    async def wait(request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        version = await emu.workspace.wait_change(since, float(request.query.get("timeout", 20)))
        return web.json_response({"version": version})

    async def act(request: web.Request) -> web.Response:
        data = await request.json()
        kind, user = request.match_info["kind"], data.get("as", "")
        try:
            if kind == "post":
                message = await emu.user_posts(
                    user,
                    data["channel"],
                    data.get("text", ""),
                    data.get("thread_ts"),
                    also_to_channel=bool(data.get("also_to_channel")),
                    files=[str(name) for name in data.get("files") or []],
                    contents=_contents(data.get("contents")),
                )
                return web.json_response({"ok": True, "ts": message.ts})
            if kind == "click" and data.get("view_id"):
                outcome = await emu.user_clicks_in_view(
                    user, data["view_id"], data["action_id"], data.get("option")
                )
            elif kind == "click":
                outcome = await emu.user_clicks(
                    user, data["channel"], data["ts"], data["action_id"], data.get("option")
                )
            elif kind == "command":
                outcome = await emu.user_runs(user, data["channel"], data["text"])
            elif kind == "home":
                outcome = await emu.user_opens_home(user)
            elif kind == "submit":
                outcome = await emu.user_submits(user, data["view_id"], data.get("values", {}))
            elif kind == "close":
                await emu.user_closes(user, data["view_id"])
                return web.json_response({"ok": True})
            elif kind == "fault":
                plan_from_json(emu.faults, data)
                return web.json_response({"ok": True, "faults": emu.faults.active()})
            elif kind == "redeliver":
                # Slack sends the same event again (same event_id), e.g. after a lost ack.
                outcome = await emu.redeliver(emu.envelope_for(data["ts"]))
            else:
                raise web.HTTPNotFound()
        except (SlackError, LookupError, KeyError, TypeError) as error:
            return web.json_response({"ok": False, "error": str(error)}, status=400)
        return web.json_response(_outcome(outcome))

    async def calls(request: web.Request) -> web.Response:
        method = request.query.get("method")
        return web.json_response(
            {
                "calls": [
                    {"method": name, "params": params, "response": response}
                    for name, params, response in emu.calls
                    if method in (None, name)
                ]
            }
        )

    async def faults(request: web.Request) -> web.Response:
        if request.method == "DELETE":
            emu.faults.clear(request.query.get("method"))
        return web.json_response({"ok": True, "faults": emu.faults.active()})

    async def mail_page(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(folder / "mail.html")

    async def mail(_request: web.Request) -> web.Response:
        caught = emu.mail.caught if emu.mail is not None else []
        replies = emu.mail is not None and emu.mail.reply_via is not None
        return web.json_response({"mail": [m.summary() for m in caught], "replies": replies})

    async def mail_reply(request: web.Request) -> web.Response:
        body = await request.json()
        text = str(body.get("text", "")).strip()
        if emu.mail is None or not text:
            return web.json_response({"ok": False, "error": "nothing to send"}, status=400)
        try:
            await emu.mail.reply(int(request.match_info["id"]), text)
        except (LookupError, ValueError, OSError, aiosmtplib.SMTPException) as error:
            return web.json_response({"ok": False, "error": str(error)}, status=400)
        return web.json_response({"ok": True})

    app.router.add_get("/", index)
    app.router.add_get("/mail", mail_page)
    app.router.add_get("/_emu/mail", mail)
    app.router.add_post("/_emu/mail/{id:\\d+}/reply", mail_reply)
    app.router.add_static("/ui/", folder)
    app.router.add_get("/_emu/state", state)
    app.router.add_get("/_emu/messages", messages)
    app.router.add_get("/_emu/wait", wait)
    app.router.add_get("/_emu/calls", calls)
    app.router.add_route("GET", "/_emu/faults", faults)
    app.router.add_route("DELETE", "/_emu/faults", faults)
    app.router.add_post("/_emu/{kind}", act)


def _contents(given: Any) -> dict[str, bytes] | None:
    """Attached files' bytes, base64 by name, as the UI's thread form sends them."""
    if not isinstance(given, dict):
        return None
    try:
        return {str(k): base64.b64decode(str(v), validate=True) for k, v in given.items()}
    except (binascii.Error, ValueError):
        raise LookupError("contents: base64 by file name") from None
