"""Engine and unit of work: one AsyncSession per update or job, never shared.

On PostgreSQL the engine fails fast when the database cannot be reached: a short connect
timeout, a statement timeout on the client, a bounded wait for a pooled connection, and a
breaker — after a failed connect every new connection fails at once (``DatabaseUnavailable``)
while one background probe retries; the first probe that gets through closes the breaker. So
during an outage updates are answered "try again in a few minutes" within milliseconds instead of
each waiting out its own timeout, and the bot recovers by itself when the database is back.

The pools hold 40 connections: an update keeps its session while it waits for the Bot API, and up
to 32 updates run at once (bot/update_processor.py), beside the jobs and the persistence flush.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import time
import traceback
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

log = logging.getLogger(__name__)

# PostgreSQL only (SQLite has no network to lose). asyncpg's own connect default is 60 s.
CONNECT_TIMEOUT = 5.0  # open a connection: TCP, startup and authentication
COMMAND_TIMEOUT = 30.0  # one statement; a connection that stopped answering fails, not hangs
POOL_TIMEOUT = 10.0  # wait for a free pooled connection
PROBE_INTERVAL = 0.5  # while the breaker is open: how often the probe tries to connect
PROBE_IDLE_LIMIT = 60.0  # stop probing when nothing asked for a connection for this long
BUSY_TIMEOUT_MS = 30000  # SQLite: how long a statement waits for a lock held by another

# Keyword arguments SQLAlchemy's asyncpg adapter takes for itself, not for asyncpg.connect().
_ADAPTER_ONLY = (
    "async_fallback",
    "async_creator_fn",
    "prepared_statement_cache_size",
    "prepared_statement_name_func",
)


class DatabaseUnavailable(ConnectionError):
    """A new connection refused without trying: the database was unreachable moments ago and the
    probe has not got through yet."""


class _Breaker:
    """Fail new connections at once while PostgreSQL is unreachable; probe in the background."""

    def __init__(self) -> None:
        self.down_since: float | None = None
        self.last_wanted = 0.0
        self._probe: asyncio.Task[None] | None = None

    def connect(self, dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        """The engine's ``do_connect``: runs in SQLAlchemy's greenlet, inside the event loop."""
        self.last_wanted = time.monotonic()
        if self.down_since is not None:
            raise DatabaseUnavailable("database unreachable; a probe is retrying")
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception:
            self._trip(tuple(cargs), dict(cparams))
            raise

    def _trip(self, cargs: tuple[Any, ...], cparams: dict[str, Any]) -> None:
        self.down_since = time.monotonic()
        log.warning("database unreachable: new connections fail at once while a probe retries")
        if self._probe is None or self._probe.done():
            self._probe = asyncio.get_running_loop().create_task(
                self._probe_until_up(cargs, cparams), name="database-probe"
            )

    async def _probe_until_up(self, cargs: tuple[Any, ...], cparams: dict[str, Any]) -> None:
        import asyncpg  # type: ignore[import-untyped]

        creator = cparams.get("async_creator_fn") or asyncpg.connect
        arguments = {k: v for k, v in cparams.items() if k not in _ADAPTER_ONLY}
        while self.down_since is not None:
            await asyncio.sleep(PROBE_INTERVAL)
            if time.monotonic() - self.last_wanted > PROBE_IDLE_LIMIT:
                # Nobody is waiting: stop probing; the next real connect tries for itself.
                self.down_since = None
                return
            try:
                connection = await creator(*cargs, **arguments)
            except Exception:  # still down (refused, timed out, starting up, ...)
                continue
            try:
                await connection.close(timeout=PROBE_INTERVAL)
            except Exception:  # reachable is all we wanted to know
                pass
            log.warning("database reachable again after %.1f s", time.monotonic() - self.down_since)
            self.down_since = None


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
            **{"pool_size": 10, "max_overflow": 30, **kwargs},
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Foreign keys are off by default in SQLite; WAL lets readers and the single writer
            # of an embedded deployment work side by side. secure_delete zeroes what a delete
            # frees, so a pruned row does not stay readable in the file's free space (the
            # default of some builds only); the log is truncated by ``checkpoint_wal``.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.close()

        return engine
    connect_args = {
        "timeout": CONNECT_TIMEOUT,
        "command_timeout": COMMAND_TIMEOUT,
        **kwargs.pop("connect_args", {}),
    }
    # Room for the updates in flight plus the persistence flush and the scheduler's jobs.
    engine = create_async_engine(
        url,
        # A pooled connection the server (or the network) dropped is found and replaced at
        # checkout instead of failing the update that drew it.
        pool_pre_ping=True,
        hide_parameters=True,
        connect_args=connect_args,
        **{"pool_size": 10, "max_overflow": 30, "pool_timeout": POOL_TIMEOUT, **kwargs},
    )
    breaker = _Breaker()
    event.listen(engine.sync_engine, "do_connect", breaker.connect)
    return engine


# How long the checkpoint waits for readers. While it waits it holds SQLite's writer lock, so
# the bot's writes wait too: better to give up and try again at the next run than to stall
# users for the 30 s the other statements may wait.
CHECKPOINT_BUSY_MS = 2000


async def checkpoint_wal(session: AsyncSession) -> bool:
    """SQLite: copy the write-ahead log into the database file and truncate the log to zero
    bytes. A deleted row otherwise lives on in the ``-wal`` file (in the frames written when it
    was inserted or changed) until SQLite happens to overwrite them; with ``secure_delete`` the
    main file keeps no copy either. False when readers kept it from finishing in time (the log
    is then left as it was; call again later). PostgreSQL: nothing to do here, True.

    Call it with no transaction open in ``session`` (after a commit): a checkpoint cannot run
    inside one, so it runs on an autocommit connection.
    """
    if session.get_bind().dialect.name != "sqlite":
        return True
    connection = await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    await connection.exec_driver_sql(f"PRAGMA busy_timeout={CHECKPOINT_BUSY_MS}")
    try:
        busy, _frames, _copied = (
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        ).one()
    finally:
        await connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return bool(busy == 0)


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


# errno values of a connection that could not be made or was cut (not a file's OSError).
_CONNECTION_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.ETIMEDOUT,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.EADDRNOTAVAIL,
    }
)


def _raised_in_driver(error: BaseException) -> bool:
    """Did ``error`` come out of the database driver or SQLAlchemy (not, say, a file write)?"""
    frames = traceback.extract_tb(error.__traceback__)
    return any(
        "/asyncpg/" in f.filename or "/sqlalchemy/" in f.filename or "/aiosqlite/" in f.filename
        for f in frames
    )


def is_unreachable(error: BaseException | None) -> bool:
    """True when ``error`` (or what caused it) means the database could not be reached: the
    connection was refused, reset, timed out while connecting or was lost mid-statement — a
    condition that passes, as opposed to a bug or a refused statement."""
    from sqlalchemy import exc

    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DatabaseUnavailable):
            return True
        if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, exc.InterfaceError | exc.OperationalError):
            # The asyncpg adapter's InterfaceError is a closed or broken connection; an
            # OperationalError is the DB-API's "not the statement's fault" (SQLite: locked).
            return True
        if isinstance(error, exc.TimeoutError):  # no pooled connection came free in time
            return True
        if _is_asyncpg_connection_error(error):
            return True
        if isinstance(error, ConnectionError):
            return True
        if isinstance(error, TimeoutError) and _raised_in_driver(error):
            return True
        if isinstance(error, OSError) and (
            error.errno in _CONNECTION_ERRNOS or _raised_in_driver(error)
        ):
            return True
        error = error.__cause__ or error.__context__
    return False


def _is_asyncpg_connection_error(error: BaseException) -> bool:
    try:
        from asyncpg import exceptions as pg
    except ImportError:  # SQLite-only installation
        return False
    return isinstance(
        error,
        pg.PostgresConnectionError  # 08xxx: cannot connect, connection gone
        | pg.CannotConnectNowError  # 57P03: starting up or shutting down
        | pg.AdminShutdownError
        | pg.CrashShutdownError
        | pg.TooManyConnectionsError,
    )
