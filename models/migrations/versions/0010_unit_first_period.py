"""reporting units have a first reporting month (months before it are never missing)

Existing units get the month they were created (in Vietnam) or, when earlier, the first month
they reported: their history keeps counting, and no month before they existed does.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Vietnam has kept UTC+7 without daylight saving since 1975: a fixed offset is exact here, and
# the migration must not depend on the zone database of the machine it runs on.
VIETNAM = timedelta(hours=7)


def _month(created: datetime | str | None) -> str | None:
    """The month of a stored UTC moment, in Vietnam: "2026-11"."""
    if created is None:
        return None
    if isinstance(created, str):  # SQLite hands the column back as text
        created = datetime.fromisoformat(created)
    if created.tzinfo is not None:
        created = created.astimezone(UTC).replace(tzinfo=None)
    return (created + VIETNAM).strftime("%Y-%m")


def upgrade() -> None:
    with op.batch_alter_table("reporting_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_period", sa.String(length=7), nullable=True))

    bind = op.get_bind()
    units = sa.table(
        "reporting_units",
        sa.column("id", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("first_period", sa.String),
    )
    reports = sa.table(
        "reports", sa.column("reporting_unit_id", sa.Integer), sa.column("period", sa.String)
    )
    earliest = dict(
        bind.execute(
            sa.select(reports.c.reporting_unit_id, sa.func.min(reports.c.period)).group_by(
                reports.c.reporting_unit_id
            )
        ).all()
    )
    values = []
    for unit_id, created in bind.execute(sa.select(units.c.id, units.c.created_at)).all():
        months = [m for m in (_month(created), earliest.get(unit_id)) if m]
        if months:
            values.append({"unit_id": unit_id, "first": min(months)})
    if values:
        bind.execute(
            units.update()
            .where(units.c.id == sa.bindparam("unit_id"))
            .values(first_period=sa.bindparam("first")),
            values,
        )


def downgrade() -> None:
    with op.batch_alter_table("reporting_units", schema=None) as batch_op:
        batch_op.drop_column("first_period")
