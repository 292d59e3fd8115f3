"""Alembic environment: async engine, the app's metadata, batch mode for SQLite ALTERs."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

import models  # noqa: F401  (registers every table on the metadata)
from models.base import Base, UTCDateTime
from models.db import create_engine

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Migrations must not import application code that may later change; UTCDateTime is a plain
    # timezone-aware DateTime in the schema.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table on SQLite (copy, drop, rename). Dropping a table that other
        # rows point at fails while foreign keys are enforced, so they are off for the migration
        # (the pragma has no effect inside a transaction: it is set before) and checked after.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()  # ends SQLAlchemy's autobegun transaction; SQLite opened none
    try:
        _migrate(connection)
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.commit()
            if broken:
                raise RuntimeError(f"migration left rows pointing nowhere: {broken[:5]}")
    finally:
        if sqlite:
            connection.rollback()  # whatever a failure left open, so that the pragma applies
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def _migrate(connection: Connection) -> None:
    # One explicit transaction around everything: Alembic joins it, and on PostgreSQL the
    # advisory lock below lives exactly as long as the migration.
    with connection.begin():
        if connection.dialect.name == "postgresql":
            # Two instances starting together must not migrate at once: the second waits here,
            # then finds the schema current and does nothing.
            connection.execute(text("SELECT pg_advisory_xact_lock(720125)"))
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()


async def _run() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run())
