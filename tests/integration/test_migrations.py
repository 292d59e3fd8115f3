"""Migrations upgrade and downgrade cleanly, and the models match them (alembic check)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from models.base import Base
from models.db import create_engine
from models.migrate import alembic_config, downgrade, head_revision, upgrade
from tests.conftest import _admin_execute


@pytest.fixture
def fresh_url(tmp_path: Path, database_url: str) -> Iterator[str]:
    """An empty database of the backend under test, separate from the shared one."""
    if make_url(database_url).get_backend_name() == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"bot_mig_{uuid.uuid4().hex[:10]}"
    server = make_url(database_url).set(database="test").render_as_string(hide_password=False)
    asyncio.run(_admin_execute(server, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


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
