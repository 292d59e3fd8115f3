"""configuration edited in the office console: one row per saved edit, the newest in force

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
# Follows the newest migration on main when this was written (the lead re-points it at merge).
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "office_config_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_config_versions")),
    )
    with op.batch_alter_table("office_config_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_office_config_versions_kind"), ["kind"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("office_config_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_office_config_versions_kind"))
    op.drop_table("office_config_versions")
