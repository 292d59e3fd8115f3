"""report drafts remember the message of the last typed answer (redeliveries change nothing)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report_drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_message_key", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("report_drafts", schema=None) as batch_op:
        batch_op.drop_column("last_message_key")
