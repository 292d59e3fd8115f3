"""What is pruned is gone from SQLite's files, not only from its tables.

A deleted row survives in two places unless something removes it: in the write-ahead log
(``bot.db-wal``: the frames written when the row was inserted stay there until the log is
truncated, whatever the table now says), and in the main file's free space (a delete only marks
the cell free). The retention job checkpoints and truncates the log; ``secure_delete`` zeroes
deleted content in the pages. This test reads the raw bytes of both files of a live database.
"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from models import ConcernLimit, LimitPurpose
from models.db import BUSY_TIMEOUT_MS, checkpoint_wal, create_engine, make_uow
from models.migrate import upgrade
from scheduler import retention

TODAY = date(2026, 11, 20)
OLD = date(2026, 11, 8)  # twelve days ago


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[tuple[Path, AsyncEngine]]:
    """A migrated SQLite file in WAL mode, left open like the bot's: on close SQLite checkpoints
    and deletes the -wal file itself, which would hide what a running bot leaves behind."""
    path = tmp_path / "bot.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)  # Alembic runs its own event loop
    engine = create_engine(url)
    # As on a SQLite built without SQLITE_SECURE_DELETE (Debian's has it; python.org's builds
    # for Windows and macOS do not): runs before the engine's own settings.
    event.listen(engine.sync_engine, "connect", _secure_delete_off, insert=True)
    try:
        yield path, engine
    finally:
        await engine.dispose()


def _secure_delete_off(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete=OFF")
    cursor.close()


def in_files(path: Path, value: str) -> list[str]:
    wal = path.with_name(path.name + "-wal")
    where = {"db": path.read_bytes(), "wal": wal.read_bytes() if wal.exists() else b""}
    return [name for name, raw in where.items() if value.encode() in raw]


async def _add(engine: AsyncEngine, subject_hash: str, day: date) -> None:
    async with make_uow(engine)() as session:
        session.add(
            ConcernLimit(purpose=LimitPurpose.CONCERNS, subject_hash=subject_hash, day=day)
        )
        await session.commit()


async def test_pruned_counters_are_gone_from_the_database_file_and_its_log(
    live: tuple[Path, AsyncEngine],
) -> None:
    path, engine = live
    in_main, in_log, kept = (secrets.token_hex(32) for _ in range(3))
    await _add(engine, in_main, OLD)
    async with engine.connect() as connection:  # as SQLite's automatic checkpoints do
        await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    await _add(engine, in_log, OLD)
    await _add(engine, kept, TODAY)
    # Checkpointed into the main file; written since, so far only to the log.
    assert "db" in in_files(path, in_main) and in_files(path, in_log) == ["wal"]

    data = SimpleNamespace(
        leadership=SimpleNamespace(is_leader=True),
        uow=make_uow(engine),
        clock=lambda: datetime(2026, 11, 20, 3, 0, tzinfo=UTC),
        settings=SimpleNamespace(zone=ZoneInfo("Asia/Ho_Chi_Minh")),
    )
    await retention.prune(SimpleNamespace(bot_data=data))  # type: ignore[arg-type]

    async with engine.connect() as connection:
        left = (await connection.execute(text("SELECT subject_hash FROM concern_limits"))).all()
    assert [row[0] for row in left] == [kept]
    assert in_files(path, in_main) == [] and in_files(path, in_log) == []
    assert in_files(path, kept) != []  # the search does find what is still there


async def test_a_reader_in_the_way_makes_the_checkpoint_give_up_soon_not_fail(
    live: tuple[Path, AsyncEngine],
) -> None:
    path, engine = live
    await _add(engine, secrets.token_hex(32), OLD)
    # Another connection in the middle of a read: its snapshot needs the log as it is.
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM concern_limits").fetchall()
        await _add(engine, secrets.token_hex(32), OLD)
        started = time.monotonic()
        async with make_uow(engine)() as session:
            assert await checkpoint_wal(session) is False
        assert time.monotonic() - started < 10  # gave up after CHECKPOINT_BUSY_MS, not 30 s
        async with make_uow(engine)() as session:  # and the connection waits 30 s again
            (wait,) = (await session.execute(text("PRAGMA busy_timeout"))).one()
            assert wait == BUSY_TIMEOUT_MS
    finally:
        reader.execute("ROLLBACK")
        reader.close()
    async with make_uow(engine)() as session:
        assert await checkpoint_wal(session) is True
    assert path.with_name(path.name + "-wal").stat().st_size == 0


async def test_checkpoint_is_harmless_on_either_backend(session: AsyncSession) -> None:
    # On PostgreSQL there is no log to truncate here (docs/operations.md says what to do).
    await session.commit()
    assert await checkpoint_wal(session) is True
