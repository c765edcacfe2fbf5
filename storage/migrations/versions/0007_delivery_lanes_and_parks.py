"""delivery lanes: real-failure counts, parked lanes, per-kind heads

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 22:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_parks",
        sa.Column("scope", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("fix", sa.Text(), nullable=False),
        sa.Column("since", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("probes", sa.Integer(), nullable=False),
        sa.Column("next_probe_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_delivery_parks")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("parked_on", sa.String(length=120), nullable=True))
        batch_op.create_index(
            "ix_outbox_kind_status_not_before", ["kind", "status", "not_before"], unique=False
        )
        batch_op.create_index("ix_outbox_parked_on", ["parked_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_parked_on")
        batch_op.drop_index("ix_outbox_kind_status_not_before")
        batch_op.drop_column("parked_on")
        batch_op.drop_column("failures")
    op.drop_table("delivery_parks")
