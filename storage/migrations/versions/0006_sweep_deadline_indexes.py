"""sweep deadline indexes: the database finds the waiting chats and unseen replies that are due

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 22:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_status_type")
        batch_op.create_index(
            "ix_cases_status_type_created", ["status", "type", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_cases_status_type_left", ["status", "type", "customer_left_at"], unique=False
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_messages_unseen",
            ["direction", "seen_at", "emailed_at", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_unseen")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_status_type_left")
        batch_op.drop_index("ix_cases_status_type_created")
        batch_op.create_index("ix_cases_status_type", ["status", "type"], unique=False)
