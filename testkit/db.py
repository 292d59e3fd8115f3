"""Scratch databases for benchmarks and fault scripts: a temporary SQLite file, or a PostgreSQL
database created on the local server and dropped afterwards (so the shared `test` database is
never touched by a long run)."""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import Base
from models.db import create_engine
from models.migrate import upgrade

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def postgres_server_url() -> str:
    return os.environ.get("BENCH_POSTGRES_URL") or os.environ.get(
        "TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL
    )


def postgres_reachable(url: str | None = None) -> bool:
    parts = urlsplit((url or postgres_server_url()).replace("+asyncpg", ""))
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2):
            return True
    except OSError:
        return False


BACKENDS = ("sqlite", "postgresql")


def each_backend(choice: str) -> Iterator[str]:
    """The databases ``choice`` names (both: SQLite, then PostgreSQL), one at a time; PostgreSQL
    is SKIPPED, visibly, when the server does not answer — said when its turn comes."""
    for backend in BACKENDS if choice == "both" else (choice,):
        if backend == "postgresql" and not postgres_reachable():
            print(f"\nPostgreSQL not reachable at {postgres_server_url()}: PostgreSQL part SKIPPED")
            continue
        yield backend


async def admin_execute(server_url: str, statement: str) -> None:
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def fresh_database(
    backend: str, prefix: str = "scratch", server_url: str | None = None
) -> Iterator[str]:
    """A migrated, empty database URL; removed afterwards. ``backend``: sqlite or postgresql;
    ``server_url``: the PostgreSQL server to create it on (default: postgres_server_url())."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / f'{prefix}.db'}"
            upgrade(url)
            yield url
        return
    server_url = server_url or postgres_server_url()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin_execute(server_url, f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        asyncio.run(admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def cell_texts(value: object) -> list[str]:
    """Every text form of a stored value (bytes also as hex; JSON keys and items one by one)."""
    if value is None:
        return []
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return [raw.decode("latin-1"), raw.hex()]
    if isinstance(value, dict):
        return [part for k, v in value.items() for part in (str(k), *cell_texts(v))]
    if isinstance(value, list | tuple):
        return [part for v in value for part in cell_texts(v)]
    return [str(value)]


async def dump(session: AsyncSession) -> list[tuple[str, str, object]]:
    """(table, column, value) for every cell of every table."""
    found: list[tuple[str, str, object]] = []
    for table in Base.metadata.sorted_tables:
        result = await session.execute(text(f'SELECT * FROM "{table.name}"'))
        for row in result.all():
            found += [
                (table.name, column, value) for column, value in zip(row._fields, row, strict=True)
            ]
    return found


async def run_sql(url: str, *statements: str) -> list[tuple[object, ...]]:
    """Run raw statements on a database by URL (migration tests: data before and after)."""
    engine = create_engine(url)
    rows: list[tuple[object, ...]] = []
    try:
        async with engine.begin() as connection:
            for statement in statements:
                result = await connection.execute(text(statement))
                if result.returns_rows:
                    rows.extend(tuple(row) for row in result)
    finally:
        await engine.dispose()
    return rows
