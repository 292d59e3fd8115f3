"""daily limits without counts: one unlinkable row per use; code attempts keep the day only

`concern_limits` loses its `count`: a count per daily subject showed which of a day's cases share
an author. Each use becomes a row of its own under HMAC(the old subject hash, "use:<n>")
(services/daily_limits.py), so today's counters carry over. `code_attempts` keeps the day
instead of the exact time; its subjects are now keyed by the Vietnam date, so the rows of the
old ledger cannot be carried over and are dropped (any lock-out in force ends). Both tables lose
SQLite's rowid, which kept the order of arrival.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-08 12:00:00
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
# Follows the newest migration on main when this was written (the lead re-points it at merge).
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _purpose() -> sa.Enum:
    return sa.Enum(
        "concerns",
        "receipt_attempts",
        name="limit_purpose",
        native_enum=False,
        create_constraint=True,
        length=32,
    )


def _use_hash(subject: str, ordinal: int) -> str:
    # Frozen copy of services.daily_limits.use_hash: a migration must not follow later code.
    return hmac.new(subject.encode(), f"use:{ordinal}".encode(), hashlib.sha256).hexdigest()


def _create_concern_limits(*, counted: bool) -> None:
    columns: list[sa.Column[object] | sa.Constraint] = [
        sa.Column("purpose", _purpose(), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
    ]
    options = {}
    if counted:
        columns.append(sa.Column("count", sa.Integer(), nullable=False))
        columns.append(
            sa.CheckConstraint("count >= 0", name=op.f("ck_concern_limits_count_not_negative"))
        )
    else:
        options["sqlite_with_rowid"] = False
    op.create_table(
        "concern_limits",
        *columns,
        sa.PrimaryKeyConstraint("purpose", "subject_hash", "day", name=op.f("pk_concern_limits")),
        **options,
    )
    with op.batch_alter_table("concern_limits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_concern_limits_day"), ["day"], unique=False)


def _drop(table: str, indexes: Sequence[str]) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for index in indexes:
            batch_op.drop_index(batch_op.f(index))
    op.drop_table(table)


def upgrade() -> None:
    old = sa.table(
        "concern_limits",
        sa.column("purpose", sa.String()),
        sa.column("subject_hash", sa.String()),
        sa.column("day", sa.Date()),
        sa.column("count", sa.Integer()),
    )
    counted = op.get_bind().execute(sa.select(old)).all()
    _drop("concern_limits", ["ix_concern_limits_day"])
    _create_concern_limits(counted=False)
    new = sa.table(
        "concern_limits",
        sa.column("purpose", sa.String()),
        sa.column("subject_hash", sa.String()),
        sa.column("day", sa.Date()),
    )
    uses = [
        {"purpose": purpose, "subject_hash": _use_hash(subject, n), "day": day}
        for purpose, subject, day, count in counted
        for n in range(1, count + 1)
    ]
    if uses:
        op.get_bind().execute(new.insert(), uses)

    _drop("code_attempts", ["ix_code_attempts_subject_hash", "ix_code_attempts_at"])
    op.create_table(
        "code_attempts",
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("subject_hash", name=op.f("pk_code_attempts")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("code_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_code_attempts_day"), ["day"], unique=False)


def downgrade() -> None:
    # Neither table's rows can go back: the uses of one subject cannot be told apart from
    # anyone else's (that is the point), and code attempts have no time. Both restart empty:
    # today's limits and lock-outs start again from zero.
    _drop("code_attempts", ["ix_code_attempts_day"])
    op.create_table(
        "code_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_attempts")),
    )
    with op.batch_alter_table("code_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_code_attempts_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_code_attempts_subject_hash"), ["subject_hash"], unique=False
        )
    _drop("concern_limits", ["ix_concern_limits_day"])
    _create_concern_limits(counted=True)
