"""agent replies remember whether the customer's browser got them, and the mark shown

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 22:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("delivered_at", storage.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("fate_mark", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("fate_mark")
        batch_op.drop_column("delivered_at")
