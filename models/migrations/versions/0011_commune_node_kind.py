"""org_nodes.kind: "commune" (xã, phường) replaces "district" (huyện)

Since 1 July 2025 Vietnam's local government has two levels, province and commune/ward; the
district level is gone. An existing district node is kept, as a commune, with its subtree and
its reports: an administrator renames or re-parents it (import-org) to today's communes.

The CHECK constraint is widened to both values first, so that the rows can move in between,
then narrowed: on SQLite each step rebuilds the table (batch mode), and the copy must never
meet a value the new constraint refuses.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COMMON = ("province", "industrial_zone", "economic_zone")


def _kinds(*middle: str) -> sa.Enum:
    return sa.Enum(
        *_COMMON,
        *middle,
        "enterprise",
        name="node_kind",
        native_enum=False,
        create_constraint=True,
        length=32,
    )


def _move(before: tuple[str, ...], after: tuple[str, ...], old: str, new: str) -> None:
    with op.batch_alter_table("org_nodes", schema=None) as batch_op:
        batch_op.alter_column(
            "kind",
            existing_type=_kinds(*before),
            type_=_kinds("district", "commune"),
            existing_nullable=False,
        )
    op.execute(sa.text(f"UPDATE org_nodes SET kind = '{new}' WHERE kind = '{old}'"))
    with op.batch_alter_table("org_nodes", schema=None) as batch_op:
        batch_op.alter_column(
            "kind",
            existing_type=_kinds("district", "commune"),
            type_=_kinds(*after),
            existing_nullable=False,
        )


def upgrade() -> None:
    _move(("district",), ("commune",), "district", "commune")


def downgrade() -> None:
    _move(("commune",), ("district",), "commune", "district")
