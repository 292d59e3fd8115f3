"""Shared fixtures: a real, migrated database per test session (SQLite file, or a fresh
PostgreSQL database when TEST_DATABASE_URL is set), emptied after every test."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from models.base import Base
from models.db import UnitOfWork, create_engine, make_uow
from models.migrate import upgrade
from testkit.db import admin_execute


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database for this test session."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        path = tmp_path_factory.mktemp("db") / "test.db"
        url = f"sqlite+aiosqlite:///{path}"
        upgrade(url)
        yield url
        return
    name = f"bot_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin_execute(server_url, f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        async with engine.begin() as connection:
            await _empty_all_tables(connection)
        await engine.dispose()
        from services import reporting

        reporting.forget_cached_sets()  # the next test's rows may reuse these ids


async def _empty_all_tables(connection: object) -> None:
    from sqlalchemy.ext.asyncio import AsyncConnection

    assert isinstance(connection, AsyncConnection)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    if connection.dialect.name == "postgresql":
        quoted = ", ".join(f'"{name}"' for name in tables)
        await connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            await connection.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture
def uow(engine: AsyncEngine) -> UnitOfWork:
    return make_uow(engine)


@pytest.fixture
async def session(uow: UnitOfWork) -> AsyncIterator[AsyncSession]:
    async with uow() as session:
        yield session


@pytest.fixture
def backend(database_url: str) -> str:
    return make_url(database_url).get_backend_name()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgresql`` run only against PostgreSQL: on SQLite they are deselected
    (not skipped) and counted in the header, because the PostgreSQL part of ``run.py test`` runs
    them — or says loudly that it could not."""
    if os.environ.get("TEST_DATABASE_URL"):
        return
    chosen = [item for item in items if item.get_closest_marker("postgresql") is None]
    left_out = [item for item in items if item.get_closest_marker("postgresql") is not None]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = chosen


def pytest_report_header(config: pytest.Config) -> str:
    if os.environ.get("TEST_DATABASE_URL"):
        return "database: PostgreSQL (TEST_DATABASE_URL); tests marked postgresql included"
    return "database: SQLite; tests marked postgresql are deselected here and run on PostgreSQL"


@pytest.fixture
def data_dir() -> Path:
    return Path(__file__).parent / "data"


@pytest.fixture
def app_logging(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The bot's own logging configuration at DEBUG, captured; logger levels restored after."""
    import logging

    from infra.logging_setup import NOISY_LOGGERS, configure

    saved = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    caplog.set_level(logging.DEBUG)
    configure("DEBUG")
    try:
        yield caplog
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
