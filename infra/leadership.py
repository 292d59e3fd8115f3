"""One instance is active: the one holding a PostgreSQL advisory lock. It serves the users and
runs the scheduled jobs; a second instance waits on standby (bot/runtime.py) until the lock is free.

The lock is held by a dedicated connection; if the leader dies, PostgreSQL drops its session and
the lock with it, and a standby's next attempt (every few seconds) takes over. On SQLite there is
one process by design, and it leads. The outbox makes a brief overlap harmless anyway: claims use
FOR UPDATE SKIP LOCKED and planning is idempotent.

Fencing: an instance that led, lost its connection (the database went away) and then finds the lock
held by another instance has been replaced while it could not see it. Its memory (conversation
states) is out of date, so it must stop serving: ``fenced`` turns true and the runtime exits, for
the supervisor to start it again as a standby.
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from models.db import create_engine

log = logging.getLogger(__name__)
LOCK_KEY = 720126  # the migrations use 720125


class Leadership:
    def __init__(self, database_url: str, *, key: int = LOCK_KEY) -> None:
        self._url = database_url
        self._key = key
        self._embedded = make_url(database_url).get_backend_name() == "sqlite"
        self._engine: AsyncEngine | None = None
        self._connection: AsyncConnection | None = None
        self.is_leader = self._embedded
        self.fenced = False
        self._ever_led = self._embedded

    async def try_acquire(self) -> bool:
        """Keep or take the lead; False while another instance holds it."""
        if self._embedded:
            return True
        if self._connection is not None:
            try:
                await self._connection.execute(text("SELECT 1"))
                return True
            except Exception:  # the database went away: our lock went with it
                log.warning("lost the scheduler lock (database connection failed)")
                await self._forget()
        if self._engine is None:
            self._engine = create_engine(self._url, pool_size=1, max_overflow=0)
        connection: AsyncConnection | None = None
        try:
            connection = await self._engine.connect()
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            taken = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
            )
        except Exception:
            log.warning("cannot reach the database to take the scheduler lock")
            if connection is not None:
                # The pool holds one connection: a leaked one would block the next attempt.
                with contextlib.suppress(Exception):
                    await connection.close()
            return False
        if taken:
            self._connection = connection
            self.is_leader = True
            self._ever_led = True
            log.info("this instance is now the active one")
        else:
            await connection.close()
            if self._ever_led and not self.fenced:
                self.fenced = True
                log.error("another instance took over while the database was away; stepping down")
        return bool(taken)

    async def _forget(self) -> None:
        self.is_leader = False
        if self._connection is not None:
            try:
                await self._connection.close()
            except Exception:  # already broken
                pass
        self._connection = None

    async def release(self) -> None:
        if self._embedded:
            return
        self._ever_led = False  # handed over on purpose: nothing to fence
        await self._forget()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
