"""What casebridge does with each kind of Slack `message` event, decided one subtype at a time.

Slack marks every message that is not a plain user post with a `subtype`. Some of them are
still an agent talking to the customer (a reply also sent to the channel, a reply with a file,
a `/me` line); the rest are edits, deletions, joins and other housekeeping that must never reach
a customer. An unknown subtype is ignored: Slack adds new ones, and relaying something we did
not decide on would be worse than not relaying it. The README's "Nothing is lost" section
shows this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from bridge.ports import SlackFileRef
from bridge.slack.file_fetch import file_url


class Handling(Enum):
    RELAY = "relayed to the customer"
    RELAY_WITH_FILES = "relayed to the customer with its files (copied from Slack first)"
    IGNORE = "not relayed"


# subtype (None: a plain post) → what we do, and why, in the README's words.
SUBTYPES: dict[str | None, tuple[Handling, str]] = {
    None: (Handling.RELAY, "the assignee's reply in the case's thread"),
    "thread_broadcast": (
        Handling.RELAY,
        "a thread reply also sent to the channel is still a reply",
    ),
    "me_message": (Handling.RELAY, "a `/me` line in the thread is written to the conversation"),
    "file_share": (
        Handling.RELAY_WITH_FILES,
        "the text and the files the case may take; the agent hears of any left behind",
    ),
    "message_changed": (
        Handling.IGNORE,
        "the customer keeps what was sent; the team sees the edit",
    ),
    "message_deleted": (Handling.IGNORE, "the customer keeps what was sent"),
    "message_replied": (Handling.IGNORE, "only says a thread got a reply (the reply comes too)"),
    "bot_message": (Handling.IGNORE, "our own posts and other apps' messages"),
    "channel_join": (Handling.IGNORE, "membership, not conversation"),
    "channel_leave": (Handling.IGNORE, "membership, not conversation"),
    "group_join": (Handling.IGNORE, "membership, not conversation"),
    "group_leave": (Handling.IGNORE, "membership, not conversation"),
    "channel_topic": (Handling.IGNORE, "channel settings"),
    "channel_purpose": (Handling.IGNORE, "channel settings"),
    "channel_name": (Handling.IGNORE, "channel settings"),
    "channel_archive": (Handling.IGNORE, "channel settings"),
    "channel_unarchive": (Handling.IGNORE, "channel settings"),
    "pinned_item": (Handling.IGNORE, "channel housekeeping"),
    "unpinned_item": (Handling.IGNORE, "channel housekeeping"),
    "reminder_add": (Handling.IGNORE, "Slackbot's notices"),
    "ekm_access_denied": (Handling.IGNORE, "content hidden from apps"),
    "assistant_app_thread": (Handling.IGNORE, "not a case thread"),
}


@dataclass(frozen=True)
class Incoming:
    """The parts of a `message` event the relay needs, whatever its subtype."""

    handling: Handling
    channel: str
    ts: str
    thread_ts: str
    user: str
    text: str
    files: tuple[SlackFileRef, ...]


def incoming(event: dict[str, Any]) -> Incoming | None:
    """The thread reply this event carries, or None when it is nothing to relay."""
    subtype = event.get("subtype")
    handling, _why = SUBTYPES.get(subtype, (Handling.IGNORE, "undecided"))
    # Another app's post carries bot_id without the bot_message subtype.
    if handling is Handling.IGNORE or event.get("bot_id"):
        return None
    channel, ts, thread_ts = event.get("channel"), event.get("ts"), event.get("thread_ts")
    if not channel or not ts or not thread_ts or thread_ts == ts:
        return None
    files = tuple(
        SlackFileRef(
            str(f.get("id") or ""),
            str(f.get("name") or f.get("title") or "file"),
            f["size"] if isinstance(f.get("size"), int) else None,
            file_url(f),
        )
        for f in event.get("files") or []
        if isinstance(f, dict)
    )
    return Incoming(
        handling,
        str(channel),
        str(ts),
        str(thread_ts),
        str(event.get("user") or ""),
        str(event.get("text") or ""),
        files,
    )
