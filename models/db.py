"""Engine and unit of work: one AsyncSession per update or job, never shared."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

UnitOfWork = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url,
            connect_args={"timeout": 30},
            # Parameters never appear in exception messages, hence never in an error log.
            hide_parameters=True,
            **{"pool_size": 10, "max_overflow": 20, **kwargs},
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Foreign keys are off by default in SQLite; WAL lets readers and the single writer
            # of an embedded deployment work side by side.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # Room for the updates in flight plus the persistence flush and the scheduler's jobs.
    return create_async_engine(
        url,
        pool_pre_ping=True,
        hide_parameters=True,
        **{"pool_size": 10, "max_overflow": 20, **kwargs},
    )


def make_uow(engine: AsyncEngine) -> UnitOfWork:
    """Return ``uow()``: ``async with uow() as session`` — the service that owns the use case
    commits; anything not committed is rolled back when the block ends."""
    factory = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def uow() -> AsyncIterator[AsyncSession]:
        async with factory() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise

    return uow
