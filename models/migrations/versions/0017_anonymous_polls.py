"""anonymous polls of workers (issue 17): polls, subscriptions holding a sealed address only,
the fan-out ledger, keyed ballots and answers without their ballot (docs/polls.md)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 16:04:47.274782
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
# Follows the newest migration on main when this was written (the lead re-points it at merge).
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "poll_subscriptions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("reply_sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["org_nodes.id"],
            name=op.f("fk_poll_subscriptions_enterprise_id_org_nodes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_subscriptions")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("poll_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_poll_subscriptions_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questions", sa.Text(), nullable=False),
        sa.Column("audience_node_id", sa.Integer(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("results_before_close", sa.Boolean(), nullable=False),
        sa.Column("created_by_person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audience_node_id"], ["org_nodes.id"], name=op.f("fk_polls_audience_node_id_org_nodes")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_person_id"],
            ["people.id"],
            name=op.f("fk_polls_created_by_person_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
    )
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_polls_audience_node_id"), ["audience_node_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_polls_finished"), ["finished"], unique=False)

    op.create_table(
        "poll_answers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Integer(), nullable=False),
        sa.Column("option", sa.Integer(), nullable=False),
        sa.Column("released", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["org_nodes.id"],
            name=op.f("fk_poll_answers_enterprise_id_org_nodes"),
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["polls.id"],
            name=op.f("fk_poll_answers_poll_id_polls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_poll_answers")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("poll_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_answers_poll_id"), ["poll_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_poll_answers_released"), ["released"], unique=False)

    op.create_table(
        "poll_ballots",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("choice_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("reply_sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["polls.id"],
            name=op.f("fk_poll_ballots_poll_id_polls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("poll_id", "token", name=op.f("pk_poll_ballots")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "poll_deliveries",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["polls.id"],
            name=op.f("fk_poll_deliveries_poll_id_polls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["poll_subscriptions.id"],
            name=op.f("fk_poll_deliveries_subscription_id_poll_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("poll_id", "subscription_id", name=op.f("pk_poll_deliveries")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("poll_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_poll_deliveries_subscription_id"), ["subscription_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("poll_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_deliveries_subscription_id"))

    op.drop_table("poll_deliveries")
    op.drop_table("poll_ballots")
    with op.batch_alter_table("poll_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_answers_released"))
        batch_op.drop_index(batch_op.f("ix_poll_answers_poll_id"))

    op.drop_table("poll_answers")
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_polls_finished"))
        batch_op.drop_index(batch_op.f("ix_polls_audience_node_id"))

    op.drop_table("polls")
    with op.batch_alter_table("poll_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_subscriptions_enterprise_id"))

    op.drop_table("poll_subscriptions")
