"""Slack's current upload flow: ask for an upload URL, POST the bytes, complete and share.

files.getUploadURLExternal hands out a file id and a one-use URL on this stand-in; the bytes
are POSTed there (raw or multipart, as Slack accepts both); files.completeUploadExternal shares
the uploaded files into a channel or thread as one message carrying them. files.info shows
where a file was shared (`shares`), files.delete removes a file the bot uploaded.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from slackemu import payloads
from slackemu.methods import _postable
from slackemu.params import Params
from slackemu.state import BOT_ID, BOT_USER_ID, Message, SlackError, Team

if TYPE_CHECKING:
    from slackemu.server import EmulatorServer

MAX_FILE_BYTES = 1024 * 1024 * 1024  # Slack's 1 GB per file
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF8", "image/gif", "gif"),
    (b"%PDF-", "application/pdf", "pdf"),
)


@dataclass
class UploadedFile:
    """A file as the workspace holds it, from its upload URL to its shares."""

    id: str
    name: str
    length: int
    user: str
    ticket: str
    created: int = field(default_factory=lambda: int(time.time()))
    content: bytes | None = None  # None until the bytes arrive at the upload URL
    title: str = ""
    completed: bool = False
    deleted: bool = False
    shares: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel -> posts
    private_channels: set[str] = field(default_factory=set)
    team: Team = field(kw_only=True)

    def kind(self) -> tuple[str, str]:
        """Slack's mimetype and filetype, from the bytes as Slack's own processing does."""
        for magic, mimetype, filetype in _SIGNATURES:
            if (self.content or b"").startswith(magic):
                return mimetype, filetype
        if self.name.lower().endswith(".txt"):
            return "text/plain", "text"
        return "application/octet-stream", "binary"

    def to_api(self, files_host: str = "https://files.slack.com") -> dict[str, Any]:
        """The file object; its url_private is served by `files_host` (the stand-in's own)."""
        mimetype, filetype = self.kind()
        public = {c: s for c, s in self.shares.items() if c not in self.private_channels}
        private = {c: s for c, s in self.shares.items() if c in self.private_channels}
        shares: dict[str, Any] = {}
        if public:
            shares["public"] = public
        if private:
            shares["private"] = private
        base = f"{files_host}/files-pri/{self.team.id}-{self.id}"
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title or self.name,
            "mimetype": mimetype,
            "filetype": filetype,
            "pretty_type": filetype.upper(),
            "user": self.user,
            "user_team": self.team.id,
            "editable": False,
            "size": len(self.content or b""),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": bool(public),
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{base}/{self.name}",
            "url_private_download": f"{base}/download/{self.name}",
            "permalink": f"https://{self.team.domain}.slack.com/files/{self.user}/{self.id}/{self.name}",
            "permalink_public": f"https://slack-files.com/{self.team.id}-{self.id}",
            "channels": sorted(public),
            "groups": sorted(private),
            "ims": [],
            "shares": shares,
            "comments_count": 0,
            "has_rich_preview": False,
        }


def _file(emu: EmulatorServer, file_id: str) -> UploadedFile:
    found = emu.uploads.get(file_id)
    if found is None:
        raise SlackError("file_not_found")
    if found.deleted:
        raise SlackError("file_deleted")
    return found


def _pending(emu: EmulatorServer, file_id: str) -> UploadedFile:
    """A file whose bytes arrived and which still exists (Slack lists only file_not_found)."""
    found = emu.uploads.get(file_id)
    if found is None or found.deleted or found.content is None:
        raise SlackError("file_not_found")
    return found


async def get_upload_url_external(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    name = p.text("filename")
    length = p.text("length")
    if not name or not length:
        raise SlackError("invalid_arguments")
    try:
        size = int(length)
    except ValueError:
        raise SlackError("invalid_arguments") from None
    if size <= 0:
        raise SlackError("missing_argument")  # Slack's answer for a length of 0
    if size > MAX_FILE_BYTES:
        raise SlackError("file_upload_size_restricted")
    file_id = emu.workspace.new_id("F")
    ticket = emu.workspace.new_id("u").lower()
    emu.uploads[file_id] = UploadedFile(
        file_id, name, size, BOT_USER_ID, ticket, team=emu.workspace.team
    )
    return {"upload_url": f"{emu.url}/upload/v1/{ticket}", "file_id": file_id}


def _files_argument(p: Params) -> list[dict[str, Any]]:
    wanted = p.structured("files")
    if not isinstance(wanted, list) or not wanted:
        raise SlackError("invalid_arguments")
    for entry in wanted:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise SlackError("invalid_arguments")
    return wanted


async def complete_upload_external(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    wanted = _files_argument(p)
    uploads = [_pending(emu, entry["id"]) for entry in wanted]
    for upload, entry in zip(uploads, wanted, strict=True):
        upload.title = str(entry.get("title") or upload.title or upload.name)
        upload.completed = True
    channel_ref = p.text("channel_id") or p.text("channels")
    if channel_ref:
        channel = _postable(emu, channel_ref.split(",")[0])
        thread_ts = p.text("thread_ts")
        if thread_ts:
            emu.workspace.find(channel.id, thread_ts)
        message = Message(
            channel=channel.id,
            ts=emu.workspace.new_ts(),
            user=BOT_USER_ID,
            text=p.text("initial_comment") or "",
            thread_ts=thread_ts,
            bot_id=BOT_ID,
            files=[u.to_api(emu.url) for u in uploads],
            team=emu.workspace.team,
        )
        emu.workspace.post(message)
        share = {"ts": message.ts, "channel_name": channel.name, "team_id": emu.workspace.team.id}
        if message.thread_ts:
            share["thread_ts"] = message.thread_ts
        for upload in uploads:
            upload.shares.setdefault(channel.id, []).append(share)
            if channel.is_private or channel.is_im:
                upload.private_channels.add(channel.id)
        message.files = [u.to_api(emu.url) for u in uploads]
        emu.record_call("files.completeUploadExternal", p, message)
        await emu.changed()
        emu.emit_event(payloads.message_event(message, channel))
    return {"files": [{"id": u.id, "title": u.title} for u in uploads]}


async def files_info(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    upload = _file(emu, p.need("file"))
    return {
        "file": upload.to_api(emu.url),
        "comments": [],
        "response_metadata": {"next_cursor": ""},
    }


async def files_delete(emu: EmulatorServer, p: Params) -> dict[str, Any]:
    upload = _file(emu, p.need("file"))
    if upload.user != BOT_USER_ID:
        raise SlackError("cant_delete_file")
    upload.deleted = True
    for channel_id in upload.shares:
        for message in list(emu.workspace.messages.get(channel_id, [])):
            if not message.files or not any(f["id"] == upload.id for f in message.files):
                continue
            message.files = [f for f in message.files if f["id"] != upload.id]
            if not message.files and not message.text:
                emu.workspace.remove(message)
    await emu.changed()
    return {}


def make_upload_handler(emu: EmulatorServer) -> Any:
    """POST /upload/v1/{ticket}: the bytes of a file, raw or as a multipart form."""

    async def handle(request: web.Request) -> web.Response:
        ticket = request.match_info["ticket"]
        upload = next((u for u in emu.uploads.values() if u.ticket == ticket), None)
        if upload is None or upload.deleted or upload.content is not None:
            return web.Response(status=404, text="upload url unknown or used")
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            content = b""
            async for part in reader:
                if getattr(part, "filename", None) or getattr(part, "name", "") == "file":
                    content = await part.read()  # type: ignore[union-attr]
                    break
        else:
            content = await request.read()
        if len(content) != upload.length:
            return web.Response(status=400, text="length does not match")
        upload.content = content
        await emu.changed()
        return web.Response(text=f"OK - {len(content)}")

    return handle


# What Slack answers a request for a private file without a token it accepts: its sign-in page.
def login_redirect(domain: str, path: str) -> str:
    return f"https://{domain}.slack.com/?redir={quote(path, safe='')}"


DOWNLOAD_FAULTS = "files-pri"  # the name fault plans use for url_private downloads


def make_file_download_handler(emu: EmulatorServer) -> Any:
    """GET /files-pri/T…-F…/[download/]name: the bytes, only to the bot token (files:read).

    As Slack does, a request without a token it accepts is redirected to the sign-in page
    (302), not refused with a status: an app that follows redirects gets HTML, not the file.
    Faults planned for `files-pri` (fail, drop, delay, outage…) apply to downloads.
    """

    async def handle(request: web.Request) -> web.StreamResponse:
        fault = emu.faults.next_for(DOWNLOAD_FAULTS)
        if fault is not None:
            if fault.kind == "drop":
                if request.transport is not None:
                    request.transport.close()
                raise web.HTTPServiceUnavailable()
            if fault.kind == "delay":
                await asyncio.sleep(fault.seconds)
            else:
                return web.Response(status=fault.status, text=fault.error, headers=fault.headers())
        file_id = request.match_info["team_file"].removeprefix(f"{emu.workspace.team.id}-")
        header = request.headers.get("Authorization", "")
        if header != f"Bearer {emu.bot_token}" or "files:read" not in emu.workspace.scopes:
            emu.downloads.append((file_id, False))
            raise web.HTTPFound(login_redirect(emu.workspace.team.domain, request.path))
        upload = emu.uploads.get(file_id)
        if upload is None or upload.deleted or upload.content is None:
            return web.Response(status=404, text="file not found")
        emu.downloads.append((file_id, True))
        return web.Response(body=upload.content, content_type=upload.kind()[0])

    return handle


FILE_METHODS = {
    "files.getUploadURLExternal": get_upload_url_external,
    "files.completeUploadExternal": complete_upload_external,
    "files.info": files_info,
    "files.delete": files_delete,
}
