"""The shapes Slack sends to apps: event envelopes, block_actions, view_submission, commands."""

from __future__ import annotations

import time
import uuid
from typing import Any

from slackemu.state import APP_ID, BOT_USER_ID, Channel, Message, Team, User, View


def event_envelope(event: dict[str, Any], team: Team) -> dict[str, Any]:
    """An Events API `event_callback` wrapping `event`."""
    return {
        "token": "verification-token-unused",
        "team_id": team.id,
        "context_team_id": team.id,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team.id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }


def message_event(message: Message, channel: Channel) -> dict[str, Any]:
    """A `message` event as the app receives it for a new channel, group or DM message."""
    event = message.to_api()
    event.pop("reply_count", None)
    event.pop("reply_users", None)
    event.pop("reply_users_count", None)
    event.pop("latest_reply", None)
    event.update(channel=channel.id, event_ts=message.ts, channel_type=channel.channel_type)
    if not message.bot_id:
        event["client_msg_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, message.ts))
        if message.text and "blocks" not in event:  # what Slack's clients send
            event["blocks"] = rich_text(message.text, message.ts)
    if message.thread_ts and message.thread_ts != message.ts:
        event["parent_user_id"] = message.user
    return event


def rich_text(text: str, ts: str) -> list[dict[str, Any]]:
    """A person's plain message as the rich_text block Slack's clients attach to it."""
    return [
        {
            "type": "rich_text",
            "block_id": uuid.uuid5(uuid.NAMESPACE_OID, ts).hex[:4],
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
            ],
        }
    ]


def thread_root(parent: Message) -> dict[str, Any]:
    """The thread's first message as a `thread_broadcast` event carries it in `root`."""
    root = parent.to_api()
    if not parent.bot_id:
        root["client_msg_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, parent.ts))
    root["is_locked"] = False
    return root


def channel_join_event(
    channel: Channel, user: str, ts: str, inviter: str | None = None, *, team: Team
) -> dict[str, Any]:
    """The `channel_join` message Slack posts when someone (or the bot) joins a channel."""
    event: dict[str, Any] = {
        "type": "message",
        "subtype": "channel_join",
        "user": user,
        "text": f"<@{user}> has joined the channel",
        "team": team.id,
        "channel": channel.id,
        "ts": ts,
        "event_ts": ts,
        "channel_type": channel.channel_type,
    }
    if inviter:
        event["inviter"] = inviter
    return event


def message_changed_event(
    before: dict[str, Any], after: Message, channel: Channel, event_ts: str
) -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel.id,
        "channel_type": channel.channel_type,
        "message": after.to_api(),
        "previous_message": before,
        "event_ts": event_ts,
        "ts": event_ts,
    }


def message_deleted_event(
    before: dict[str, Any], channel: Channel, event_ts: str
) -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": channel.id,
        "channel_type": channel.channel_type,
        "deleted_ts": before["ts"],
        "previous_message": before,
        "event_ts": event_ts,
        "ts": event_ts,
    }


def app_home_opened_event(user: str, dm: Channel, view: View | None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": dm.id,
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }
    if view is not None:
        event["view"] = view.to_api()
    return event


def _user_ref(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": user.team.id}


def block_action(
    user: User,
    action: dict[str, Any],
    *,
    block_id: str,
    trigger_id: str,
    response_url: str | None,
    message: Message | None = None,
    channel: Channel | None = None,
    view: View | None = None,
    selected: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A `block_actions` payload for a click on a message's or a view's element."""
    action_out: dict[str, Any] = {
        "action_id": action.get("action_id", ""),
        "block_id": block_id,
        "type": action.get("type", "button"),
        "action_ts": f"{time.time():.6f}",
    }
    if action.get("type") == "button":
        action_out["text"] = action.get("text")
        if "value" in action:
            action_out["value"] = action["value"]
        if "style" in action:
            action_out["style"] = action["style"]
    elif selected is not None:
        action_out["selected_option"] = selected
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user_ref(user),
        "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "trigger_id": trigger_id,
        "team": user.team.to_api(),
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": {}},
        "actions": [action_out],
    }
    if message is not None and channel is not None:
        payload["container"] = {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": channel.id,
            "is_ephemeral": False,
        }
        payload["channel"] = {"id": channel.id, "name": channel.name}
        payload["message"] = message.to_api()
        payload["response_url"] = response_url
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.id}
        payload["view"] = view.to_api()
    return payload


def view_submission(
    user: User, view: View, values: dict[str, dict[str, Any]], trigger_id: str
) -> dict[str, Any]:
    """A `view_submission` payload; `values` is {block_id: {action_id: state}}."""
    body = view.to_api()
    body["state"] = {"values": values}
    return {
        "type": "view_submission",
        "team": user.team.to_api(),
        "user": _user_ref(user),
        "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "trigger_id": trigger_id,
        "view": body,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def slash_command(
    user: User, channel: Channel, command: str, text: str, *, response_url: str, trigger_id: str
) -> dict[str, str]:
    """The form fields Slack posts for a slash command."""
    return {
        "token": "verification-token-unused",
        "team_id": user.team.id,
        "team_domain": user.team.domain,
        "channel_id": channel.id,
        "channel_name": "directmessage" if channel.is_im else channel.name,
        "user_id": user.id,
        "user_name": user.name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
