"""Migrations upgrade and downgrade cleanly, and the models match them (alembic check)."""

from __future__ import annotations

import asyncio

from alembic import command
from sqlalchemy import inspect

from models.base import Base
from models.db import create_engine
from models.migrate import alembic_config, downgrade, head_revision, upgrade


def table_names(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = create_engine(url)
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        await engine.dispose()
        return names

    return asyncio.run(read())


def test_upgrade_downgrade_upgrade(fresh_url: str) -> None:
    upgrade(fresh_url)
    model_tables = {t.name for t in Base.metadata.sorted_tables}
    assert model_tables <= table_names(fresh_url)
    downgrade(fresh_url, "base")
    assert table_names(fresh_url) <= {"alembic_version"}
    upgrade(fresh_url)
    assert model_tables <= table_names(fresh_url)


def test_models_and_migrations_agree(fresh_url: str) -> None:
    upgrade(fresh_url)
    command.check(alembic_config(fresh_url))  # raises when autogenerate would write anything


def test_upgrade_twice_is_harmless(fresh_url: str) -> None:
    upgrade(fresh_url)
    upgrade(fresh_url)
    assert head_revision() is not None
