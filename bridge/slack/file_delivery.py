"""A customer's file shared into the case's thread with Slack's upload flow, exactly once.

files.getUploadURLExternal gives a file id, which is recorded before anything else happens;
the bytes are POSTed to the upload URL; files.completeUploadExternal shares the file into the
thread. A retry (after a time-out, a crash, a 5xx) first asks files.info whether the file is
already shared in that thread, and only completes again when it is not; a file whose bytes
never reached Slack is started afresh.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from bridge.core.events import CustomerMessagesPosted
from bridge.files.store import FileStore
from bridge.outbox.deliverer import Handler, Outcome
from bridge.outbox.errors import Permanent, Transient
from bridge.services.attachments import record_slack_upload
from bridge.slack import operations as op
from bridge.slack.delivering import SlackDeliverer
from storage.repositories.attachments import StoredAttachment
from storage.uow import UnitOfWork

UPLOAD_TIMEOUT = aiohttp.ClientTimeout(total=120)
# files.info / completeUploadExternal answers meaning "this file id leads nowhere": start over.
FILE_GONE = frozenset({"file_not_found", "file_deleted"})


def _shared_at(info: dict[str, Any], channel: str, thread_ts: str) -> str | None:
    """The ts of the file's post in that thread, if files.info lists one."""
    shares = info.get("shares") or {}
    for visibility in ("public", "private"):
        for share in (shares.get(visibility) or {}).get(channel, []):
            if share.get("thread_ts") == thread_ts:
                return str(share["ts"])
    return None


async def _load(d: SlackDeliverer, attachment_id: int) -> tuple[StoredAttachment, tuple[str, str]]:
    async with d.db.read() as uow:
        found = await uow.attachments.get(attachment_id)
        if found is None:
            raise Permanent(f"attachment {attachment_id} no longer exists (case deleted)")
        where = await uow.cases.slack_message(found.case_id)
    if where is None:
        raise Permanent("the case message was never posted")
    return found, where


async def _info(d: SlackDeliverer, file_id: str) -> dict[str, Any] | None:
    """files.info's file, or None when Slack has no such (live) file."""
    try:
        return dict((await d.calls("files_info", file=file_id))["file"])
    except Permanent as refused:
        if any(name in str(refused) for name in FILE_GONE):
            return None
        raise


async def _send_bytes(url: str, content: bytes) -> None:
    try:
        async with (
            aiohttp.ClientSession(timeout=UPLOAD_TIMEOUT) as http,
            http.post(url, data=content) as answer,
        ):
            if answer.status >= 500:
                raise Transient(f"upload URL answered {answer.status}")
            if answer.status != 200:
                raise Permanent(f"upload URL refused the bytes ({answer.status})")
    except (aiohttp.ClientError, TimeoutError) as trouble:
        raise Transient(f"upload cut off: {trouble!r}") from trouble


async def _complete(
    d: SlackDeliverer, file: StoredAttachment, file_id: str, channel: str, thread_ts: str
) -> None:
    await d.calls.pacing.wait_turn(channel)  # a share is a post in the channel: same pace
    await d.calls(
        "files_completeUploadExternal",
        files=[{"id": file_id, "title": file.name}],
        channel_id=channel,
        thread_ts=thread_ts,
    )


async def _fresh_upload(
    d: SlackDeliverer, store: FileStore, file: StoredAttachment, channel: str, thread_ts: str
) -> str:
    content = await store.get(file.storage_key)
    asked = await d.calls("files_getUploadURLExternal", filename=file.name, length=len(content))
    file_id, url = str(asked["file_id"]), str(asked["upload_url"])
    await record_slack_upload(d.db, file.id, file_id, url)
    await _send_bytes(url, content)
    await _complete(d, file, file_id, channel, thread_ts)
    return file_id


async def post_file(d: SlackDeliverer, item: Any) -> Outcome:
    """Share the attachment into its case's thread; once, whatever happened before."""
    store = d.files
    if store is None:
        raise Permanent("no file store configured")
    file, (channel, thread_ts) = await _load(d, int(item.payload["attachment_id"]))
    file_id = file.slack_file_id
    info = await _info(d, file_id) if file_id else None
    ts = _shared_at(info, channel, thread_ts) if info else None
    if ts is None:
        if file_id and info is not None:
            try:
                await _complete(d, file, file_id, channel, thread_ts)
            except Permanent as refused:
                if not any(name in str(refused) for name in FILE_GONE):
                    raise
                file_id = None  # the bytes never reached Slack: begin again
        else:
            file_id = None
        if file_id is None:
            file_id = await _fresh_upload(d, store, file, channel, thread_ts)
        info = await _info(d, file_id)
        ts = _shared_at(info, channel, thread_ts) if info else None
    message_id = item.payload.get("message_id")

    async def record(uow: UnitOfWork) -> None:
        if message_id and ts:
            await uow.cases.set_message_ts(int(message_id), ts)

    async def tell_customer() -> None:
        if message_id and ts:
            await d.announce([CustomerMessagesPosted(file.case_id, (int(message_id),))])

    return Outcome({"channel": channel, "ts": ts, "file": file_id}, record, (), tell_customer)


async def purge_files(d: SlackDeliverer, item: Any) -> Outcome:
    """A deleted case's files go from Slack too (those the bot uploaded; agents' stay)."""
    case_id = int(item.payload["case_id"])
    async with d.db.read() as uow:
        file_ids = await uow.attachments.slack_files_of(case_id)
    for file_id in file_ids:
        try:
            await d.calls("files_delete", file=file_id)
        except Permanent as refused:
            if not any(name in str(refused) for name in FILE_GONE):
                raise

    async def record(uow: UnitOfWork) -> None:
        await uow.attachments.drop_for_case(case_id)

    return Outcome({"deleted": len(file_ids)}, record)


FILE_HANDLERS: dict[str, Handler] = {op.FILE_POST: post_file, op.PURGE_FILES: purge_files}
