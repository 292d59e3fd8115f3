"""answers wait for the pushed-answers batch instead of being pushed in the officer's request

Existing answers were pushed (or not) when they were written: they start as not pending.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
# Follows the newest migration on main when this was written (the lead re-points it at merge).
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("concern_replies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("push_pending", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_concern_replies_push_pending"), ["push_pending"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("concern_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_concern_replies_push_pending"))
        batch_op.drop_column("push_pending")
