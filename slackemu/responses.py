"""What the app says back: response_url POSTs and the bodies of acks to commands."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from slackemu import payloads
from slackemu.blockkit import validate_blocks
from slackemu.state import BOT_ID, BOT_USER_ID, Message, SlackError

if TYPE_CHECKING:
    from slackemu.server import EmulatorServer

MAX_USES = 5


async def apply_response(
    emu: EmulatorServer, context: dict[str, Any], body: dict[str, Any]
) -> None:
    """Show a response (ephemeral, in channel, replacing or deleting the original) as Slack."""
    ws = emu.workspace
    channel = ws.channel(context["channel"])
    original_ts = context.get("message_ts")
    if body.get("blocks") is not None:
        validate_blocks(body["blocks"])
    if body.get("delete_original") and original_ts:
        original = ws.find(channel.id, original_ts)
        before = original.to_api()
        ws.remove(original)
        await emu.changed()
        emu.emit_event(payloads.message_deleted_event(before, channel, ws.new_ts()))
        return
    if body.get("replace_original") and original_ts:
        original = ws.find(channel.id, original_ts)
        before = original.to_api()
        # Slack replaces the whole message: blocks not sent are gone.
        original.text = body.get("text", "")
        original.blocks = body.get("blocks")
        await emu.changed()
        emu.emit_event(payloads.message_changed_event(before, original, channel, ws.new_ts()))
        return
    if not body.get("text") and not body.get("blocks"):
        return
    message = Message(
        channel=channel.id,
        ts=ws.new_ts(),
        user=BOT_USER_ID,
        text=body.get("text", ""),
        blocks=body.get("blocks"),
        bot_id=BOT_ID,
        thread_ts=body.get("thread_ts"),
        team=ws.team,
    )
    if body.get("response_type") == "in_channel":
        ws.post(message)
        await emu.changed()
        emu.emit_event(payloads.message_event(message, channel))
    else:
        message.ephemeral_to = context["user"]
        ws.messages[channel.id].append(message)
        await emu.changed()


def make_response_url_handler(emu: EmulatorServer) -> Any:
    """POST /_emu/response/{token}: a response_url the app was handed."""

    async def handle(request: web.Request) -> web.Response:
        context = emu.response_urls.get(request.match_info["token"])
        if context is None:
            return web.json_response({"ok": False, "error": "expired_url"}, status=404)
        context["uses"] = context.get("uses", 0) + 1
        if context["uses"] > MAX_USES:
            return web.json_response({"ok": False, "error": "used_url"}, status=404)
        try:
            body = json.loads(await request.text() or "{}")
            if not isinstance(body, dict):
                raise ValueError("not an object")
            await apply_response(emu, context, body)
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        except SlackError as error:
            return web.json_response({"ok": False, "error": error.error, **error.extra}, status=400)
        return web.json_response({"ok": True})

    return handle
