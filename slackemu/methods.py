"""The Web API methods, each over the workspace, answering Slack's shapes and error names."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slackemu import payloads
from slackemu.blockkit import validate_blocks
from slackemu.params import Params
from slackemu.state import BOT_ID, BOT_USER_ID, Channel, Message, SlackError

if TYPE_CHECKING:
    from slackemu.server import EmulatorServer

Method = Callable[["EmulatorServer", Params], Awaitable[dict[str, Any]]]
MAX_TEXT = 40000


def _resolve_channel(emu: EmulatorServer, ref: str) -> Channel:
    """A channel id, a user id (their DM with the bot) or #name."""
    ws = emu.workspace
    if ref.startswith("#"):
        for channel in ws.channels.values():
            if channel.name == ref[1:]:
                return channel
        raise SlackError("channel_not_found")
    if ref.startswith(("U", "W")) and ref in ws.users:
        return ws.dm(ref)
    return ws.channel(ref)


def _bot_channel(emu: EmulatorServer, ref: str) -> Channel:
    channel = _resolve_channel(emu, ref)
    if BOT_USER_ID not in channel.members:
        raise SlackError("not_in_channel")
    return channel


def _postable(emu: EmulatorServer, ref: str) -> Channel:
    """Where the bot may post: a member, or any public channel with chat:write.public."""
    channel = _resolve_channel(emu, ref)
    if channel.is_archived:
        raise SlackError("is_archived")
    if BOT_USER_ID in channel.members:
        return channel
    if channel.is_private or channel.is_im:
        raise SlackError("channel_not_found")  # invisible to a bot that is not in it
    if "chat:write.public" not in emu.workspace.scopes:
        raise SlackError("not_in_channel")
    return channel


# The scopes each method needs (any one of them), from Slack's Web API reference.
SCOPES_NEEDED: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.delete": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "reactions.add": ("reactions:write",),
    "reactions.remove": ("reactions:write",),
    "conversations.open": ("im:write",),
    "conversations.join": ("channels:join",),
    "conversations.info": ("channels:read", "groups:read"),
    "conversations.history": ("channels:history", "groups:history", "im:history"),
    "conversations.replies": ("channels:history", "groups:history", "im:history"),
    "users.info": ("users:read",),
    "users.list": ("users:read",),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
    "files.delete": ("files:write",),
    "files.info": ("files:read",),
}


def check_grant(emu: EmulatorServer, method: str) -> None:
    """The bot token still works and holds a scope `method` needs; Slack's errors if not."""
    ws = emu.workspace
    if ws.token_state == "revoked":
        raise SlackError("token_revoked")
    if ws.token_state == "inactive":
        raise SlackError("account_inactive")
    needed = SCOPES_NEEDED.get(method, ())
    if needed and not ws.scopes.intersection(needed):
        raise SlackError("missing_scope", needed=needed[0], provided=",".join(sorted(ws.scopes)))


def _content(p: Params, required: bool = True) -> tuple[str, list[dict[str, Any]] | None]:
    text = p.text("text") or ""
    blocks = p.structured("blocks") if p.get("blocks") not in (None, "") else None
    if blocks is not None:
        validate_blocks(blocks)
    if required and not text and not blocks and not p.get("attachments"):
        raise SlackError("no_text")
    if len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    return text, blocks


def _metadata(p: Params) -> dict[str, Any] | None:
    metadata = p.structured("metadata") if p.get("metadata") else None
    if metadata is not None and (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        raise SlackError("invalid_metadata_format")
    return metadata


async def auth_test(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    return {
        "url": f"{emu.url}/",
        "team": emu.workspace.team.domain,
        "user": "casebridge",
        "team_id": emu.workspace.team.id,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


async def chat_post_message(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    channel = _postable(emu, p.need("channel"))
    text, blocks = _content(p)
    thread_ts = p.text("thread_ts")
    if thread_ts:
        emu.workspace.find(channel.id, thread_ts)
    message = Message(
        channel=channel.id,
        ts=emu.workspace.new_ts(),
        user=BOT_USER_ID,
        text=text,
        blocks=blocks,
        thread_ts=thread_ts,
        bot_id=BOT_ID,
        username=p.text("username"),
        icon_url=p.text("icon_url"),
        team=emu.workspace.team,
        icon_emoji=p.text("icon_emoji"),
        metadata=_metadata(p),
    )
    emu.workspace.post(message)
    emu.record_call("chat.postMessage", p, message)
    await emu.changed()
    emu.emit_event(payloads.message_event(message, channel))
    return {"channel": channel.id, "ts": message.ts, "message": message.to_api()}


async def chat_update(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    channel = _resolve_channel(emu, p.need("channel"))
    message = emu.workspace.find(channel.id, p.need("ts"))
    if message.bot_id != BOT_ID:
        raise SlackError("cant_update_message")
    text, blocks = _content(p, required=False)
    if not text and blocks is None:
        raise SlackError("no_text")
    before = message.to_api()
    message.text = text
    if blocks is not None:
        message.blocks = blocks
    message.edited = {"user": BOT_USER_ID, "ts": emu.workspace.new_ts()}
    emu.record_call("chat.update", p, message)
    await emu.changed()
    emu.emit_event(payloads.message_changed_event(before, message, channel, message.edited["ts"]))
    return {
        "channel": channel.id,
        "ts": message.ts,
        "text": message.text,
        "message": message.to_api(),
    }


async def chat_delete(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    channel = _resolve_channel(emu, p.need("channel"))
    message = emu.workspace.find(channel.id, p.need("ts"))
    if message.bot_id != BOT_ID:
        raise SlackError("cant_delete_message")
    before = message.to_api()
    emu.workspace.remove(message)
    emu.record_call("chat.delete", p, message)
    await emu.changed()
    emu.emit_event(payloads.message_deleted_event(before, channel, emu.workspace.new_ts()))
    return {"channel": channel.id, "ts": message.ts}


async def chat_post_ephemeral(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    channel = _resolve_channel(emu, p.need("channel"))
    if channel.is_archived:
        raise SlackError("is_archived")
    if BOT_USER_ID not in channel.members:  # Slack's answer here, unlike chat.postMessage's
        raise SlackError("channel_not_found")
    user = emu.workspace.user(p.need("user"))
    if user.id not in channel.members:
        raise SlackError("user_not_in_channel")
    text, blocks = _content(p)
    message = Message(
        channel=channel.id,
        ts=emu.workspace.new_ts(),
        user=BOT_USER_ID,
        text=text,
        blocks=blocks,
        bot_id=BOT_ID,
        thread_ts=p.text("thread_ts"),
        ephemeral_to=user.id,
        team=emu.workspace.team,
    )
    emu.workspace.messages[channel.id].append(message)
    emu.record_call("chat.postEphemeral", p, message)
    await emu.changed()
    return {"message_ts": message.ts}


async def reactions_add(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    channel = _resolve_channel(emu, p.need("channel"))
    message = emu.workspace.find(channel.id, p.need("timestamp"))
    users = message.reactions.setdefault(p.need("name"), [])
    if BOT_USER_ID in users:
        raise SlackError("already_reacted")
    users.append(BOT_USER_ID)
    await emu.changed()
    return {}


async def reactions_remove(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    channel = _resolve_channel(emu, p.need("channel"))
    message = emu.workspace.find(channel.id, p.need("timestamp"))
    name = p.need("name")
    users = message.reactions.get(name, [])
    if BOT_USER_ID not in users:
        raise SlackError("no_reaction")  # Slack's answer when we had not reacted with it
    users.remove(BOT_USER_ID)
    if not users:
        del message.reactions[name]
    await emu.changed()
    return {}


async def conversations_open(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    users = p.get("users") or p.get("user")
    ids = users if isinstance(users, list) else str(users or "").split(",")
    ids = [u.strip() for u in ids if u and u.strip()]
    if len(ids) != 1:
        raise SlackError("not_enough_users" if not ids else "too_many_users")
    channel = emu.workspace.dm(ids[0])
    return {
        "no_op": False,
        "already_open": False,
        "channel": channel.to_api() if p.flag("return_im") else {"id": channel.id},
    }


_CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


async def conversations_create(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    """A new channel with the bot as its only member, as when a bot creates one in Slack."""
    name = p.need("name")
    if not _CHANNEL_NAME.match(name):
        raise SlackError("invalid_name_specials")
    if any(c.name == name for c in emu.workspace.channels.values()):
        raise SlackError("name_taken")
    channel = emu.workspace.add_channel(
        emu.workspace.new_id("C"), name, {BOT_USER_ID}, is_private=p.flag("is_private")
    )
    await emu.changed()
    return {"channel": channel.to_api()}


async def conversations_invite(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    channel = _bot_channel(emu, p.need("channel"))
    ids = [u.strip() for u in p.need("users").split(",") if u.strip()]
    for user in ids:
        emu.workspace.user(user)  # user_not_found for a stranger
    if all(user in channel.members for user in ids):
        raise SlackError("already_in_channel")
    channel.members.update(ids)
    await emu.changed()
    return {"channel": channel.to_api()}


async def conversations_info(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    channel = _resolve_channel(emu, p.need("channel"))
    if channel.is_private and BOT_USER_ID not in channel.members:
        raise SlackError("channel_not_found")  # a private channel is invisible from outside
    return {"channel": channel.to_api()}


async def conversations_join(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    """The bot joins a public channel (Slack answers a private one as not found)."""
    channel = _resolve_channel(emu, p.need("channel"))
    if channel.is_im:
        raise SlackError("method_not_supported_for_channel_type")
    if channel.is_private and BOT_USER_ID not in channel.members:
        raise SlackError("channel_not_found")
    if channel.is_archived:
        raise SlackError("is_archived")
    already = BOT_USER_ID in channel.members
    channel.members.add(BOT_USER_ID)
    await emu.changed()
    if not already:
        emu.emit_event(
            payloads.channel_join_event(
                channel, BOT_USER_ID, emu.workspace.new_ts(), team=emu.workspace.team
            )
        )
    answer: dict[str, Any] = {"channel": channel.to_api()}
    if already:
        answer["warning"] = "already_in_channel"
        answer["response_metadata"] = {"warnings": ["already_in_channel"]}
    return answer


def _page(items: list[Any], p: Params, default: int = 100) -> tuple[list[Any], str]:
    start = int(p.text("cursor") or 0)
    limit = max(1, min(int(p.text("limit") or default), 1000))
    chunk = items[start : start + limit]
    following = start + limit
    return chunk, str(following) if following < len(items) else ""


async def conversations_list(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    kinds = set((p.text("types") or "public_channel").split(","))
    wanted = [
        c
        for c in emu.workspace.channels.values()
        if ("im" in kinds and c.is_im)
        or ("private_channel" in kinds and c.is_private)
        or ("public_channel" in kinds and not c.is_im and not c.is_private)
    ]
    chunk, following = _page(wanted, p)
    return {
        "channels": [c.to_api() for c in chunk],
        "response_metadata": {"next_cursor": following},
    }


async def conversations_members(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    channel = _resolve_channel(emu, p.need("channel"))
    chunk, following = _page(sorted(channel.members), p)
    return {"members": chunk, "response_metadata": {"next_cursor": following}}


async def conversations_history(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    channel = _bot_channel(emu, p.need("channel"))
    messages = [m for m in emu.workspace.history(channel.id) if m.ephemeral_to is None]
    oldest, latest = float(p.text("oldest") or 0), float(p.text("latest") or time.time() + 1e6)
    messages = [m for m in messages if oldest <= float(m.ts) <= latest]
    newest_first = list(reversed(messages))
    chunk, following = _page(newest_first, p)
    return {
        "messages": [m.to_api() for m in chunk],
        "has_more": bool(following),
        "pin_count": 0,
        "response_metadata": {"next_cursor": following},
    }


async def conversations_replies(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    channel = _bot_channel(emu, p.need("channel"))
    try:
        found = emu.workspace.thread(channel.id, p.need("ts"))
    except SlackError:
        raise SlackError("thread_not_found") from None
    thread = [m for m in found if m.ephemeral_to is None]
    chunk, following = _page(thread, p, default=1000)
    return {
        "messages": [m.to_api() for m in chunk],
        "has_more": bool(following),
        "response_metadata": {"next_cursor": following},
    }


async def users_info(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    return {"user": emu.workspace.user(p.need("user")).to_api()}


async def users_list(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    chunk, following = _page(list(emu.workspace.users.values()), p)
    return {
        "members": [u.to_api() for u in chunk],
        "cache_ts": int(time.time()),
        "response_metadata": {"next_cursor": following},
    }


async def apps_connections_open(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    if emu.socket is None:
        raise SlackError("invalid_auth")
    return {"url": f"{emu.ws_url}/link/?ticket={emu.socket.new_ticket()}&app_id=A0CASEBR"}


METHODS: dict[str, Method] = {
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.postEphemeral": chat_post_ephemeral,
    "reactions.add": reactions_add,
    "reactions.remove": reactions_remove,
    "conversations.open": conversations_open,
    "conversations.create": conversations_create,
    "conversations.invite": conversations_invite,
    "conversations.info": conversations_info,
    "conversations.join": conversations_join,
    "conversations.list": conversations_list,
    "conversations.members": conversations_members,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
    "users.info": users_info,
    "users.list": users_list,
    "apps.connections.open": apps_connections_open,
}
