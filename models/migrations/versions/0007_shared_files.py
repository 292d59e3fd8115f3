"""shared files: pictures and Excel files sent to Zalo by link

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 13:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shared_files",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_shared_files")),
    )
    with op.batch_alter_table("shared_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shared_files_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("shared_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shared_files_expires_at"))
    op.drop_table("shared_files")
