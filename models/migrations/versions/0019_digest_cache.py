"""digest_stamps and digest_cache: figures of locked months kept for the digests, and the
triggers that stamp every change of reports, report values, their reviews, units and nodes

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 18:30:00

The triggers are the only writers of ``digest_stamps`` (models/digest_cache.py): they run in the
transaction that changes the data, whoever writes it. A later migration that rebuilds one of the
five tables on SQLite (``batch_alter_table`` copies it) drops its triggers and must create them
again (``create_triggers`` below); tests/integration/test_digest_cache.py checks they exist.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
# Follows the newest migration on main when this was written (the lead re-points at merge).
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Changes of these columns move figures between scopes (or in or out of them): "tree".
_TREE_COLUMNS = {
    "org_nodes": "parent_id, path, kind, active",
    "reporting_units": "org_node_id, kind, active, first_period",
}
# SQLite: triggers per row; the month a row belongs to, over NEW or OLD.
_PERIOD_OF = {
    "reports": "{row}.period",
    "report_values": "(SELECT period FROM reports WHERE id = {row}.report_id)",
    "report_reviews": "(SELECT period FROM reports WHERE id = {row}.report_id)",
}

# A new random version at every change, not a count: a version a rolled-back transaction used is
# never given again, so a figure computed from uncommitted data never matches a later stamp.
_UPSERT = (
    "INSERT INTO digest_stamps (key, version) SELECT {key}, {random} WHERE {key} IS NOT NULL "
    "ON CONFLICT (key) DO UPDATE SET version = excluded.version"
)
_RANDOM = {"sqlite": "random()"}


def _sqlite_triggers() -> list[str]:
    statements = []
    for table, period in _PERIOD_OF.items():
        for event, row in (
            ("INSERT", "NEW"),
            ("UPDATE", "NEW"),
            ("UPDATE", "OLD"),
            ("DELETE", "OLD"),
        ):
            name = f"digest_stamp_{table}_{event.lower()}_{row.lower()}"
            upsert = _UPSERT.format(key=period.format(row=row), random=_RANDOM["sqlite"])
            statements.append(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {upsert}; END")
    for table, columns in _TREE_COLUMNS.items():
        upsert = _UPSERT.format(key="'tree'", random=_RANDOM["sqlite"])
        for event in ("INSERT", f"UPDATE OF {columns}", "DELETE"):
            name = f"digest_stamp_{table}_{event.split()[0].lower()}"
            statements.append(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {upsert}; END")
    return statements


# PostgreSQL: triggers per statement, over its transition tables (a bulk insert of a month's
# values stamps the month once, not once per row). The months a statement touched, over the
# transition table {rows}:
_PERIODS_IN = {
    "reports": "SELECT period FROM {rows}",
    "report_values": "SELECT r.period FROM {rows} t JOIN reports r ON r.id = t.report_id",
    "report_reviews": "SELECT r.period FROM {rows} t JOIN reports r ON r.id = t.report_id",
}
_PG_UPSERT = (
    "INSERT INTO digest_stamps (key, version) "
    "SELECT key, floor(random() * 9.0e18)::bigint FROM ({keys}) AS touched(key) "
    "WHERE key IS NOT NULL "
    "ON CONFLICT (key) DO UPDATE SET version = excluded.version"
)


def _pg_function(name: str, keys: str) -> str:
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {_PG_UPSERT.format(keys=keys)}; RETURN NULL; END $$"
    )


def _postgresql_triggers() -> list[str]:
    statements = []
    for table, periods in _PERIODS_IN.items():
        one = f"SELECT DISTINCT period FROM ({periods.format(rows='changed_rows')}) AS p"
        both = f"{periods.format(rows='old_rows')} UNION {periods.format(rows='changed_rows')}"
        statements += [
            _pg_function(f"digest_stamp_{table}", one),
            _pg_function(f"digest_stamp_{table}_update", both),
        ]
        for event, referencing, function in (
            ("INSERT", "NEW TABLE AS changed_rows", table),
            ("DELETE", "OLD TABLE AS changed_rows", table),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS changed_rows", f"{table}_update"),
        ):
            statements.append(
                f"CREATE TRIGGER digest_stamp_{table}_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {referencing} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION digest_stamp_{function}()"
            )
    statements.append(_pg_function("digest_stamp_tree", "SELECT 'tree'::varchar"))
    for table, columns in _TREE_COLUMNS.items():
        statements.append(
            f"CREATE TRIGGER digest_stamp_{table} AFTER INSERT OR DELETE OR UPDATE OF {columns} "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION digest_stamp_tree()"
        )
    return statements


def create_triggers() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in _postgresql_triggers() if postgresql else _sqlite_triggers():
        op.execute(statement)


def drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _postgresql_triggers():
            words = statement.split()
            if words[1] == "TRIGGER":
                op.execute(f"DROP TRIGGER IF EXISTS {words[2]} ON {words[words.index('ON') + 1]}")
        for statement in _postgresql_triggers():
            words = statement.split()
            if words[1] == "FUNCTION":
                op.execute(f"DROP FUNCTION IF EXISTS {words[2]}")
        return
    for statement in _sqlite_triggers():
        op.execute(f"DROP TRIGGER IF EXISTS {statement.split()[2]}")


def upgrade() -> None:
    op.create_table(
        "digest_stamps",
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_digest_stamps")),
    )
    op.create_table(
        "digest_cache",
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("part", sa.String(length=80), nullable=False),
        sa.Column("stamp", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("node_id", "period", "part", name=op.f("pk_digest_cache")),
    )
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_table("digest_cache")
    op.drop_table("digest_stamps")
