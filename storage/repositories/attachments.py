"""Files attached to cases."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
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
