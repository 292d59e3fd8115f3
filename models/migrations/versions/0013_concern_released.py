"""concerns.released: a notice batch has released the case (never reset, unlike notified)

The committee's digests count a case sent today only once a batch has released it; ``notified``
cannot say so, because an escalation resets it (the zone is notified at the next batch).

Existing cases: released when notified, or when anything was audited about them (an officer
replied, changed the status or escalated: the case had been released to them). A case sent
today and escalated after this morning's batch by an officer is caught by the audit; nothing
else that was released has ``notified`` false. Cases of earlier days count in the digests
whatever this flag says.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
# Follows the newest migration on main when this was written (the lead re-points it at merge).
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN on both databases: SQLite's batch mode does not rebuild the table for it (a
    # rebuild must keep the table WITHOUT ROWID).
    with op.batch_alter_table("concerns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("released", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(
        sa.text(
            "UPDATE concerns SET released = true WHERE notified = true OR id IN "
            "(SELECT entity_id FROM audit_log WHERE entity = 'concern')"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("concerns", schema=None) as batch_op:
        batch_op.drop_column("released")
