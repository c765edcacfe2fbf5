"""SlackEmu: the stand-in with its test API, what people do in the workspace and what they
see, so tests read like conversations: `await slack.user_clicks("UBOB", channel, ts, "claim")`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from slackemu import payloads
from slackemu.delivery import COMMANDS, EVENTS, INTERACTIVE, Outcome
from slackemu.files import UploadedFile
from slackemu.responses import apply_response
from slackemu.server import EmulatorServer
from slackemu.state import BOT_USER_ID, Channel, Message, SlackError, View, shared_file
from slackemu.ui_api import add_ui_routes

T = TypeVar("T")
UI_FOLDER = Path(__file__).parent / "ui"


def _elements(blocks: list[dict[str, Any]] | None) -> Iterator[tuple[str, dict[str, Any]]]:
    for n, block in enumerate(blocks or []):
        block_id = block.get("block_id") or f"b{n}"
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            yield block_id, element
        if "accessory" in block:
            yield block_id, block["accessory"]
        if block.get("type") == "input" and isinstance(block.get("element"), dict):
            yield block_id, block["element"]


def find_element(blocks: list[dict[str, Any]] | None, action_id: str) -> tuple[str, dict[str, Any]]:
    """The (block_id, element) whose action_id is `action_id`."""
    for block_id, element in _elements(blocks):
        if element.get("action_id") == action_id:
            return block_id, element
    raise LookupError(f"no element with action_id {action_id!r}")


def _option(element: dict[str, Any], value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    for option in element.get("options", []):
        if option.get("value") == value:
            return dict(option)
    raise LookupError(f"no option {value!r}")


class SlackEmu(EmulatorServer):
    """A Slack workspace on loopback. `async with SlackEmu(app_url=…) as slack: …`."""

    def build_app(self) -> web.Application:
        app = super().build_app()
        add_ui_routes(app, self, UI_FOLDER)
        return app

    async def user_posts(
        self,
        user: str,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        *,
        also_to_channel: bool = False,
        files: list[str] | None = None,
        contents: dict[str, bytes] | None = None,
    ) -> Message:
        """`user` writes `text` in `channel` (or in the thread of `thread_ts`); in a thread,
        `also_to_channel` ticks "Also send to #channel" (a `thread_broadcast`), and `files`
        attaches files by name (a `file_share`), as Slack's clients do; `contents` gives
        files their bytes, which the bot can then download from `url_private`."""
        where = self._visible_channel(user, channel)
        if where.is_archived:
            raise SlackError("is_archived")
        subtype = None
        if files:
            subtype = "file_share"
        elif also_to_channel and thread_ts:
            subtype = "thread_broadcast"
        message = Message(
            channel=where.id,
            ts=self.workspace.new_ts(),
            user=user,
            text=text,
            thread_ts=thread_ts,
            subtype=subtype,
            files=[self._user_file(user, name, (contents or {}).get(name)) for name in files or []]
            or None,
            team=self.workspace.team,
        )
        self.workspace.post(message)
        for shared in message.files or []:
            if shared["id"] in self.uploads:
                self.uploads[shared["id"]].shares.setdefault(where.id, []).append(
                    {"ts": message.ts, **({"thread_ts": thread_ts} if thread_ts else {})}
                )
        await self.changed()
        event = payloads.message_event(message, where)
        if subtype == "thread_broadcast" and message.thread_ts:
            event["root"] = payloads.thread_root(self.workspace.find(where.id, message.thread_ts))
        self.emit_event(event)
        return message

    def _user_file(self, user: str, name: str, content: bytes | None) -> dict[str, Any]:
        """The file object of a person's upload; with bytes, one the bot can download."""
        file_id = self.workspace.new_id("F")
        if content is None:
            return shared_file(self.workspace.team, user, name, file_id)
        upload = UploadedFile(
            file_id, name, len(content), user, ticket="", content=content, team=self.workspace.team
        )
        upload.completed = True
        self.uploads[file_id] = upload
        return upload.to_api(self.url)

    # --- what admins do to the workspace ------------------------------------------------
    async def invite_bot(self, channel: str, by: str = "UALICE") -> None:
        """`/invite @casebridge` in `channel`: the bot becomes a member and hears of it."""
        where = self.workspace.channel(channel)
        where.members.add(BOT_USER_ID)
        await self.changed()
        self.emit_event(
            payloads.channel_join_event(
                where, BOT_USER_ID, self.workspace.new_ts(), by, team=self.workspace.team
            )
        )

    async def remove_bot(self, channel: str) -> None:
        """Someone removes the bot from `channel` (`/kick @casebridge`)."""
        self.workspace.channel(channel).members.discard(BOT_USER_ID)
        await self.changed()

    async def archive(self, channel: str, archived: bool = True) -> None:
        """An admin archives (or unarchives) `channel`."""
        self.workspace.channel(channel).is_archived = archived
        await self.changed()

    async def set_token(self, state: str) -> None:
        """The bot token: "ok", "revoked" (the app was uninstalled) or "inactive"."""
        self.workspace.token_state = state
        await self.changed()

    async def user_edits(self, user: str, channel: str, ts: str, text: str) -> None:
        message = self.workspace.find(channel, ts)
        if message.user != user:
            raise SlackError("cant_update_message")
        before = message.to_api()
        message.text = text
        message.edited = {"user": user, "ts": self.workspace.new_ts()}
        await self.changed()
        self.emit_event(
            payloads.message_changed_event(
                before, message, self.workspace.channel(channel), message.edited["ts"]
            )
        )

    async def user_deletes(self, user: str, channel: str, ts: str) -> None:
        message = self.workspace.find(channel, ts)
        if message.user != user:
            raise SlackError("cant_delete_message")
        before = message.to_api()
        self.workspace.remove(message)
        await self.changed()
        self.emit_event(
            payloads.message_deleted_event(
                before, self.workspace.channel(channel), self.workspace.new_ts()
            )
        )

    async def user_clicks(
        self, user: str, channel: str, ts: str, action_id: str, option: str | None = None
    ) -> Outcome:
        """`user` presses the button (or picks `option` of the select) on a message."""
        where = self._visible_channel(user, channel)
        message = self.workspace.find(where.id, ts)
        if message.ephemeral_to not in (None, user):
            raise SlackError("message_not_found")
        block_id, element = find_element(message.blocks, action_id)
        payload = payloads.block_action(
            self.workspace.user(user),
            element,
            block_id=block_id,
            trigger_id=self.new_trigger(user),
            response_url=self.new_response_url(user=user, channel=where.id, message_ts=ts),
            message=message,
            channel=where,
            selected=_option(element, option),
        )
        return await self.deliver(INTERACTIVE, payload)

    async def user_clicks_in_view(
        self, user: str, view_id: str, action_id: str, option: str | None = None
    ) -> Outcome:
        """`user` presses a button on a modal or their App Home."""
        view = self._view(user, view_id)
        block_id, element = find_element(view.definition.get("blocks"), action_id)
        payload = payloads.block_action(
            self.workspace.user(user),
            element,
            block_id=block_id,
            trigger_id=self.new_trigger(user),
            response_url=None,
            view=view,
            selected=_option(element, option),
        )
        return await self.deliver(INTERACTIVE, payload)

    async def user_runs(self, user: str, channel: str, command_line: str) -> Outcome:
        """`user` types a slash command line, e.g. "/casebridge pin", in `channel`."""
        where = self._visible_channel(user, channel)
        command, _, text = command_line.strip().partition(" ")
        response_url = self.new_response_url(user=user, channel=where.id)
        form = payloads.slash_command(
            self.workspace.user(user),
            where,
            command,
            text.strip(),
            response_url=response_url,
            trigger_id=self.new_trigger(user),
        )
        outcome = await self.deliver(COMMANDS, form)
        if outcome.ok and isinstance(outcome.body, dict):
            await apply_response(self, {"user": user, "channel": where.id}, outcome.body)
        elif outcome.ok and isinstance(outcome.body, str) and outcome.body.strip():
            await apply_response(self, {"user": user, "channel": where.id}, {"text": outcome.body})
        return outcome

    async def user_opens_home(self, user: str) -> Outcome:
        """`user` opens the app's Home tab."""
        view = self.workspace.views.get(self.workspace.homes.get(user, ""))
        event = payloads.app_home_opened_event(user, self.workspace.dm(user), view)
        return await self.deliver(EVENTS, payloads.event_envelope(event, self.workspace.team))

    async def user_submits(
        self, user: str, view_id: str, values: dict[str, dict[str, Any]]
    ) -> Outcome:
        """`user` presses Submit; `values` is {block_id: {action_id: state}} as Slack sends."""
        view = self._view(user, view_id)
        outcome = await self.deliver(
            INTERACTIVE,
            payloads.view_submission(
                self.workspace.user(user), view, values, self.new_trigger(user)
            ),
        )
        answer = outcome.body if isinstance(outcome.body, dict) else {}
        action = answer.get("response_action")
        if action == "errors":
            view.errors = dict(answer.get("errors", {}))
        elif action == "update":
            view.definition = answer.get("view", view.definition)
        elif outcome.ok:
            self.workspace.views.pop(view.id, None)
        await self.changed()
        return outcome

    async def user_closes(self, user: str, view_id: str) -> None:
        self._view(user, view_id)
        self.workspace.views.pop(view_id, None)
        await self.changed()

    # --- what people see -----------------------------------------------------------------
    def messages(self, channel: str, viewer: str | None = None) -> list[Message]:
        """Top-level messages of a channel, oldest first (with `viewer`'s ephemerals)."""
        return self.workspace.history(channel, viewer)

    def thread(self, channel: str, ts: str, viewer: str | None = None) -> list[Message]:
        """The parent and its replies, oldest first."""
        return self.workspace.thread(channel, ts, viewer)

    def ephemerals(self, user: str) -> list[Message]:
        """Every ephemeral message `user` has been shown, oldest first, across channels."""
        shown = [
            m
            for messages in self.workspace.messages.values()
            for m in messages
            if m.ephemeral_to == user
        ]
        return sorted(shown, key=lambda m: tuple(int(part) for part in m.ts.split(".")))

    def home(self, user: str) -> View | None:
        return self.workspace.views.get(self.workspace.homes.get(user, ""))

    def open_views(self, user: str) -> list[View]:
        return [v for v in self.workspace.views.values() if v.type == "modal" and v.user == user]

    def dm_with(self, user: str) -> Channel:
        return self.workspace.dm(user)

    async def wait_for(self, check: Callable[[], T | None], timeout: float = 10.0) -> T:
        """Wait until `check()` returns something truthy, and return it."""
        deadline = time.monotonic() + timeout
        version = self.workspace.version
        while True:
            found = check()
            if found:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"nothing matched within {timeout}s")
            version = await self.workspace.wait_change(version, min(left, 0.5))

    async def wait_for_message(
        self,
        channel: str,
        *,
        contains: str = "",
        thread_ts: str | None = None,
        viewer: str | None = None,
        timeout: float = 10.0,
    ) -> Message:
        """The first message in `channel` (or the thread) whose text contains `contains`."""

        def check() -> Message | None:
            pool = (
                self.thread(channel, thread_ts, viewer)[1:]
                if thread_ts
                else self.messages(channel, viewer)
            )
            return next((m for m in pool if contains in m.text), None)

        return await self.wait_for(check, timeout)

    # --- helpers --------------------------------------------------------------------------
    def _visible_channel(self, user: str, channel: str) -> Channel:
        self.workspace.user(user)
        where = self.workspace.channel(channel)
        if user not in where.members:
            raise SlackError("not_in_channel")
        return where

    def _view(self, user: str, view_id: str) -> View:
        view = self.workspace.views.get(view_id)
        if view is None or view.user != user:
            raise SlackError("not_found")
        return view
