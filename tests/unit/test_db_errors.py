"""Which errors mean "the database cannot be reached" (answered "try again in a few minutes")
and which are bugs or refused statements (the generic apology)."""

from __future__ import annotations

import errno

import pytest
from asyncpg import exceptions as pg
from sqlalchemy import exc

from models.db import DatabaseUnavailable, is_unreachable


def _chained(outer: Exception, cause: BaseException) -> Exception:
    try:
        try:
            raise cause
        except BaseException as inner:
            raise outer from inner
    except Exception as caught:
        return caught


def _timeout_from_driver() -> TimeoutError:
    """A TimeoutError whose traceback runs through asyncpg, as a connect that hangs raises it."""
    import asyncpg.connect_utils as driver

    namespace: dict[str, object] = {}
    exec(  # a frame whose file name is the driver's
        compile("def hang():\n    raise TimeoutError()\n", driver.__file__, "exec"), namespace
    )
    try:
        namespace["hang"]()  # type: ignore[operator]
    except TimeoutError as error:
        return error
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
        ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
        OSError(errno.EHOSTUNREACH, "No route to host"),
        DatabaseUnavailable("probing"),
        exc.OperationalError("SELECT 1", {}, Exception("server closed the connection")),
        exc.InterfaceError("SELECT 1", {}, Exception("connection is closed")),
        exc.DBAPIError("SELECT 1", {}, Exception("lost"), connection_invalidated=True),
        exc.TimeoutError("QueuePool limit reached, connection timed out"),
        pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        pg.CannotConnectNowError("the database system is starting up"),
        pg.TooManyConnectionsError("too many clients"),
        _timeout_from_driver(),
        _chained(RuntimeError("while saving"), ConnectionResetError(errno.ECONNRESET, "reset")),
    ],
    ids=lambda e: type(e).__name__,
)
def test_connection_level_errors_are_an_outage(error: BaseException) -> None:
    assert is_unreachable(error)


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("database on fire"),
        ValueError("bad number"),
        KeyError("x"),
        exc.IntegrityError("INSERT", {}, Exception("duplicate key")),
        exc.ProgrammingError("SELECT", {}, Exception("syntax error")),
        exc.DBAPIError("SELECT 1", {}, Exception("division by zero"), connection_invalidated=False),
        pg.UniqueViolationError("duplicate key"),
        OSError(errno.ENOENT, "No such file or directory"),  # a file, not the database
        PermissionError(errno.EACCES, "Permission denied"),
        TimeoutError(),  # raised outside the driver: not a connect that timed out
        None,
    ],
    ids=lambda e: type(e).__name__,
)
def test_bugs_and_refused_statements_are_not(error: BaseException | None) -> None:
    assert not is_unreachable(error)
