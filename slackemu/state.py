"""The workspace: users, channels, messages, views. In memory, as the stand-in needs no more."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slackemu.seed import DEFAULT_SEED, check_seed

APP_ID = "A0CASEBR"
BOT_USER_ID = "U0BOT0001"
BOT_ID = "B0CASEBR"
# What an install from casebridge's app_manifest.yml grants (a test keeps the two equal).
DEFAULT_SCOPES = frozenset(
    {
        "chat:write",
        "chat:write.customize",
        "channels:history",
        "channels:join",
        "channels:read",
        "groups:history",
        "groups:read",
        "im:history",
        "im:write",
        "users:read",
        "users:read.email",
        "reactions:write",
        "commands",
        "files:write",
        "files:read",
    }
)


@dataclass(frozen=True)
class Team:
    """The workspace itself: its id and the domain in its URLs (a seed's `team` may set both)."""

    id: str = "T0CASEBR"
    domain: str = "casebridge-local"

    def to_api(self) -> dict[str, str]:
        return {"id": self.id, "domain": self.domain}


class SlackError(Exception):
    """A Slack Web API error, by Slack's own error name."""

    def __init__(self, error: str, **extra: Any) -> None:
        self.error = error
        self.extra = extra
        super().__init__(error)


@dataclass
class User:
    id: str
    name: str
    real_name: str
    email: str
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    tz: str = "Europe/Lisbon"
    display_name: str = ""  # what Slack shows; people often leave it empty
    team: Team = field(kw_only=True)

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "team_id": self.team.id,
            "name": self.name,
            "deleted": False,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": 0,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
            "profile": {
                "real_name": self.real_name,
                "display_name": self.display_name,
                "real_name_normalized": self.real_name,
                "display_name_normalized": self.display_name,
                "email": self.email,
                "image_48": "",
                "image_72": "",
                "team": self.team.id,
                **({"bot_id": BOT_ID} if self.is_bot else {}),
            },
        }


@dataclass
class Channel:
    id: str
    name: str
    members: set[str]
    is_private: bool = False
    is_im: bool = False
    created: int = field(default_factory=lambda: int(time.time()))
    is_archived: bool = False

    def to_api(self) -> dict[str, Any]:
        if self.is_im:
            other = next((m for m in self.members if m != BOT_USER_ID), BOT_USER_ID)
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": other,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "created": self.created,
            "is_archived": self.is_archived,
            "is_general": self.name == "general",
            "is_member": BOT_USER_ID in self.members,
            "name_normalized": self.name,
            "num_members": len(self.members),
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }

    @property
    def channel_type(self) -> str:
        return "im" if self.is_im else "group" if self.is_private else "channel"


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    text: str = ""
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    bot_id: str | None = None
    username: str | None = None
    icon_url: str | None = None
    icon_emoji: str | None = None
    edited: dict[str, str] | None = None
    reply_users: set[str] = field(default_factory=set)
    reply_count: int = 0
    latest_reply: str | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    ephemeral_to: str | None = None  # only this user sees it
    metadata: dict[str, Any] | None = None
    subtype: str | None = None  # a person's post: thread_broadcast, file_share, me_message
    files: list[dict[str, Any]] | None = None
    team: Team = field(kw_only=True)

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "text": self.text,
            "ts": self.ts,
            "team": self.team.id,
        }
        if self.blocks is not None:
            data["blocks"] = self.blocks
        if self.bot_id:
            data["bot_id"] = self.bot_id
            data["app_id"] = APP_ID
            if self.username or self.icon_url or self.icon_emoji:
                data["subtype"] = "bot_message"
                data["username"] = self.username or "casebridge"
                data["icons"] = {
                    k: v for k, v in (("image_48", self.icon_url), ("emoji", self.icon_emoji)) if v
                }
        if self.subtype and not self.bot_id:
            data["subtype"] = self.subtype
        if self.files:
            data["files"] = self.files
            data["upload"] = False
            data["display_as_bot"] = False
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        if self.thread_ts == self.ts or self.reply_count:
            data.update(
                reply_count=self.reply_count,
                reply_users=sorted(self.reply_users),
                reply_users_count=len(self.reply_users),
                latest_reply=self.latest_reply,
            )
        if self.edited:
            data["edited"] = self.edited
        if self.metadata:
            data["metadata"] = self.metadata
        if self.reactions:
            data["reactions"] = [
                {"name": n, "users": u, "count": len(u)} for n, u in self.reactions.items()
            ]
        return data


@dataclass
class View:
    id: str
    type: str  # modal | home
    user: str
    definition: dict[str, Any]
    hash: str
    errors: dict[str, str] = field(default_factory=dict)
    root_view_id: str | None = None
    team: Team = field(kw_only=True)

    def to_api(self) -> dict[str, Any]:
        d = self.definition
        return {
            "id": self.id,
            "team_id": self.team.id,
            "type": self.type,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "blocks": d.get("blocks", []),
            "private_metadata": d.get("private_metadata", ""),
            "callback_id": d.get("callback_id", ""),
            "external_id": d.get("external_id", ""),
            "title": d.get("title"),
            "submit": d.get("submit"),
            "close": d.get("close"),
            "state": {"values": {}},
            "hash": self.hash,
            "clear_on_close": False,
            "notify_on_close": False,
            "root_view_id": self.root_view_id or self.id,
            "previous_view_id": None,
            "app_installed_team_id": self.team.id,
        }


class Workspace:
    """Everything the stand-in knows, plus a change counter that waiters can watch."""

    def __init__(self, seed: Mapping[str, Any] | None = None) -> None:
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, list[Message]] = {}
        self.views: dict[str, View] = {}
        self.homes: dict[str, str] = {}  # user -> home view id
        self.version = 0
        self.closing = False
        self.changed = asyncio.Condition()
        # The bot token's grant, as real Slack keeps it: which scopes the install has, and
        # whether the token still works ("revoked" after an uninstall, "inactive" when the
        # workspace or the bot is deactivated).
        self.scopes: set[str] = set(DEFAULT_SCOPES)
        self.token_state = "ok"
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self.team = Team()
        self._seed(DEFAULT_SEED if seed is None else seed)

    def _seed(self, seed: Mapping[str, Any]) -> None:
        check_seed(seed)
        self.team = Team(**seed.get("team", {}))
        for entry in seed.get("users", []):
            person = User(**{"email": "", **entry}, team=self.team)
            self.users[person.id] = person
        self.users[BOT_USER_ID] = User(
            BOT_USER_ID, "casebridge", "casebridge", "", is_bot=True, team=self.team
        )
        everyone = set(self.users)
        members = {"everyone": everyone, "people": everyone - {BOT_USER_ID}}
        for channel in seed.get("channels", []):
            chosen = channel.get("members", "everyone")
            self.add_channel(
                channel["id"],
                channel["name"],
                members[chosen] if isinstance(chosen, str) else set(chosen) | {BOT_USER_ID},
                is_private=bool(channel.get("is_private", False)),
            )

    def add_user(self, user: User) -> User:
        self.users[user.id] = user
        for channel in self.channels.values():
            if channel.name == "general":
                channel.members.add(user.id)
        return user

    def add_channel(
        self, channel_id: str, name: str, members: set[str], is_private: bool = False
    ) -> Channel:
        channel = Channel(channel_id, name, set(members), is_private=is_private)
        self.channels[channel_id] = channel
        self.messages.setdefault(channel_id, [])
        return channel

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def new_ts(self) -> str:
        """Unique, increasing message timestamps in Slack's `seconds.micro` form."""
        return f"{int(time.time())}.{next(self._ts):06d}"

    def channel(self, channel_id: str) -> Channel:
        found = self.channels.get(channel_id)
        if found is None:
            raise SlackError("channel_not_found")
        return found

    def user(self, user_id: str) -> User:
        found = self.users.get(user_id)
        if found is None:
            raise SlackError("user_not_found")
        return found

    def dm(self, user_id: str) -> Channel:
        """The bot's direct-message channel with `user_id`, opened on first use."""
        self.user(user_id)
        for channel in self.channels.values():
            if channel.is_im and channel.members == {BOT_USER_ID, user_id}:
                return channel
        return self.add_channel_im(user_id)

    def add_channel_im(self, user_id: str) -> Channel:
        channel = Channel(f"D{user_id[1:]}", user_id, {BOT_USER_ID, user_id}, is_im=True)
        self.channels[channel.id] = channel
        self.messages.setdefault(channel.id, [])
        return channel

    def find(self, channel_id: str, ts: str) -> Message:
        for message in self.messages.get(channel_id, []):
            if message.ts == ts:
                return message
        raise SlackError("message_not_found")

    def post(self, message: Message) -> Message:
        """Add a message (or thread reply) and keep the parent's reply counters right."""
        self.channel(message.channel)
        if message.thread_ts:
            parent = self.find(message.channel, message.thread_ts)
            if parent.thread_ts and parent.thread_ts != parent.ts:
                message.thread_ts = parent.thread_ts  # replies to replies join the thread
                parent = self.find(message.channel, parent.thread_ts)
            parent.thread_ts = parent.ts
            parent.reply_count += 1
            parent.reply_users.add(message.user)
            parent.latest_reply = message.ts
        self.messages[message.channel].append(message)
        return message

    def remove(self, message: Message) -> None:
        self.messages[message.channel].remove(message)
        if message.thread_ts and message.thread_ts != message.ts:
            parent = self.find(message.channel, message.thread_ts)
            parent.reply_count = max(0, parent.reply_count - 1)

    def history(self, channel_id: str, viewer: str | None = None) -> list[Message]:
        """Top-level messages, oldest first, with the viewer's own ephemerals."""
        return [
            m
            for m in self.messages.get(self.channel(channel_id).id, [])
            # A reply also sent to the channel shows in both places.
            if (not m.thread_ts or m.thread_ts == m.ts or m.subtype == "thread_broadcast")
            and (m.ephemeral_to is None or m.ephemeral_to == viewer)
        ]

    def thread(self, channel_id: str, ts: str, viewer: str | None = None) -> list[Message]:
        parent = self.find(channel_id, ts)
        replies = [
            m
            for m in self.messages[channel_id]
            if m.thread_ts == ts
            and m.ts != ts
            and (m.ephemeral_to is None or m.ephemeral_to == viewer)
        ]
        return [parent, *replies]

    async def touch(self) -> None:
        """Record that something changed and wake everyone waiting for a change."""
        async with self.changed:
            self.version += 1
            self.changed.notify_all()

    async def close(self) -> None:
        """Release everyone waiting for a change (the server is stopping)."""
        async with self.changed:
            self.closing = True
            self.changed.notify_all()

    async def wait_change(self, since: int, timeout: float) -> int:
        """Return once the version passes `since` (or on timeout); the version then."""
        async with self.changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self.changed.wait_for(lambda: self.version > since or self.closing), timeout
                )
            return self.version


def shared_file(team: Team, user: str, name: str, file_id: str) -> dict[str, Any]:
    """A file object as a `file_share` message carries it (the fields apps commonly read)."""
    now = int(time.time())
    return {
        "id": file_id,
        "created": now,
        "timestamp": now,
        "name": name,
        "title": name,
        "mimetype": "application/octet-stream",
        "filetype": name.rsplit(".", 1)[-1] if "." in name else "binary",
        "pretty_type": "File",
        "user": user,
        "editable": False,
        "size": 0,
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": True,
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": f"https://files.slack.com/files-pri/{team.id}-{file_id}/{name}",
        "url_private_download": (
            f"https://files.slack.com/files-pri/{team.id}-{file_id}/download/{name}"
        ),
        "permalink": f"https://{team.domain}.slack.com/files/{user}/{file_id}/{name}",
        "permalink_public": f"https://slack-files.com/{team.id}-{file_id}",
        "has_rich_preview": False,
    }
