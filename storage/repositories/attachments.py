"""Files attached to cases."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AttachmentRow


@dataclass(frozen=True)
class StoredAttachment:
    id: int
    case_id: int
    message_id: int | None
    direction: str
    name: str
    kind: str
    size: int
    storage_key: str
    slack_file_id: str | None
    slack_upload_url: str | None
    created_at: datetime


def _to_attachment(row: AttachmentRow) -> StoredAttachment:
    return StoredAttachment(
        row.id,
        row.case_id,
        row.message_id,
        row.direction,
        row.name,
        row.kind,
        row.size,
        row.storage_key,
        row.slack_file_id,
        row.slack_upload_url,
        row.created_at,
    )


class AttachmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        case_id: int,
        *,
        message_id: int | None,
        direction: str,
        name: str,
        kind: str,
        size: int,
        storage_key: str,
        now: datetime,
    ) -> int:
        """Record a stored file; its id."""
        return int(
            (
                await self.session.execute(
                    insert(AttachmentRow)
                    .values(
                        case_id=case_id,
                        message_id=message_id,
                        direction=direction,
                        name=name,
                        kind=kind,
                        size=size,
                        storage_key=storage_key,
                        created_at=now,
                    )
                    .returning(AttachmentRow.id)
                )
            ).scalar_one()
        )

    async def get(self, attachment_id: int) -> StoredAttachment | None:
        """One file by id."""
        row = await self.session.get(AttachmentRow, attachment_id)
        return _to_attachment(row) if row else None

    async def of_case(self, case_id: int) -> Sequence[StoredAttachment]:
        """A case's files, oldest first."""
        rows = await self.session.scalars(
            select(AttachmentRow).where(AttachmentRow.case_id == case_id).order_by(AttachmentRow.id)
        )
        return [_to_attachment(r) for r in rows]

    async def case_total(self, case_id: int) -> int:
        """Bytes the case's files take together."""
        total = await self.session.scalar(
            select(func.coalesce(func.sum(AttachmentRow.size), 0)).where(
                AttachmentRow.case_id == case_id
            )
        )
        return int(total or 0)

    async def set_slack_upload(self, attachment_id: int, file_id: str, upload_url: str) -> None:
        """The Slack file id and upload URL a delivery asked for (before sending the bytes)."""
        await self.session.execute(
            update(AttachmentRow)
            .where(AttachmentRow.id == attachment_id)
            .values(slack_file_id=file_id, slack_upload_url=upload_url)
        )

    async def erase_for_case(self, case_id: int) -> list[str]:
        """Forget a deleted case's files; their storage keys, for the bytes to go too.

        A file shared in Slack keeps only its ids (no name, no key) until the bot's upload is
        deleted there; the others go at once.
        """
        keys = list(
            await self.session.scalars(
                select(AttachmentRow.storage_key).where(
                    AttachmentRow.case_id == case_id, AttachmentRow.storage_key != ""
                )
            )
        )
        await self.session.execute(
            delete(AttachmentRow).where(
                AttachmentRow.case_id == case_id, AttachmentRow.slack_file_id.is_(None)
            )
        )
        await self.session.execute(
            update(AttachmentRow)
            .where(AttachmentRow.case_id == case_id)
            .values(name="", storage_key="", slack_upload_url=None, message_id=None)
        )
        return keys

    async def slack_files_of(self, case_id: int) -> list[str]:
        """The Slack file ids of a case's files the bot uploaded."""
        return [
            str(file_id)
            for file_id in await self.session.scalars(
                select(AttachmentRow.slack_file_id).where(
                    AttachmentRow.case_id == case_id, AttachmentRow.slack_file_id.is_not(None)
                )
            )
        ]

    async def drop_for_case(self, case_id: int) -> None:
        """The last of a deleted case's files (once Slack's copies are gone)."""
        await self.session.execute(delete(AttachmentRow).where(AttachmentRow.case_id == case_id))
