"""reports reviewed by the level above: one row per report with its status and last decision

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 16:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
# Follows the newest migration on main when this was written (another branch holds 0017; the
# lead re-points this at merge).
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_reviews",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_node_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("decided_by_person_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_person_id"],
            ["people.id"],
            name=op.f("fk_report_reviews_decided_by_person_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_reviews_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_node_id"],
            ["org_nodes.id"],
            name=op.f("fk_report_reviews_reviewer_node_id_org_nodes"),
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_report_reviews")),
    )
    with op.batch_alter_table("report_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_reviews_reviewer_node_id"), ["reviewer_node_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_report_reviews_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_reviews_status"))
        batch_op.drop_index(batch_op.f("ix_report_reviews_reviewer_node_id"))
    op.drop_table("report_reviews")
