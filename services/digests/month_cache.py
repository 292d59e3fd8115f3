"""Figures of locked months kept between requests (the tables: models/digest_cache.py).

A month's figures for a scope — its flow sums, its headline stocks, a share target — change only
when a report or a report value of the months they read changes, or the tree does (a unit moved,
deactivated, added). The database stamps every such change itself, in the writer's transaction
(triggers, migration 0019), whoever writes. So a request:

1. reads the stamps first, before any figure (``MonthCache.open``);
2. takes from ``digest_cache`` the rows of its scope whose stamp equals the one the stamps give
   now for the months that figure reads (``get``);
3. computes the rest from the reports as before, and keeps what belongs to locked months
   (``keep``): a month still open changes with every report, keeping it would write at every
   view;
4. writes what it kept in a transaction of its own, after the figures (``write``).

The hourly retention job deletes the kept figures of months older than KEEP_MONTHS
(``prune_kept``); a stale row of a recent month is overwritten by the next view of its scope.

Why this is correct across instances and transactions: a figure is stored with the stamp read
*before* the data it was computed from. If a change commits in between, the data may be newer
than the stamp but never older, and the row's stamp is already outdated: it is never used. A
stamp is a random number, not a count, so a version a rolled-back transaction used is never
given again. A lost or failed write only costs the next request the computation.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from models import TREE_STAMP, DigestCache, DigestStamp
from models.db import BUSY_TIMEOUT_MS
from services.periods import Period, ReportingCalendar, lock_date

log = logging.getLogger(__name__)

# Part of every stamp: raise it when the definition of a kept figure changes (what the flow
# sums, the stocks or a share target count), so that figures kept by the older code are not used.
DEFINITIONS_VERSION = 1

# Kept figures of older months are pruned (retention): the dashboard's periods reach back to
# January of last year, its comparisons a year before that, a stock's window 11 months more.
KEEP_MONTHS = 36

# SQLite: how long keeping figures waits for another writer before giving up (the page has been
# computed already; the next view computes it again).
WRITE_BUSY_MS = 200


class MonthCache:
    """One request's view of the kept figures of one scope (``node_id``)."""

    def __init__(
        self, session: AsyncSession, node_id: int, calendar: ReportingCalendar, today: date
    ) -> None:
        self.session = session
        self.node_id = node_id
        self.calendar = calendar
        self.today = today
        self.stamps: dict[str, int] | None = None
        self.kept: dict[tuple[str, str], dict[str, Any]] = {}

    async def open(self) -> None:
        """Read the stamps: before any figure of the request (see the module's docstring)."""
        rows = await self.session.execute(select(DigestStamp.key, DigestStamp.version))
        self.stamps = {key: int(version) for key, version in rows}

    def locked(self, month: Period) -> bool:
        return self.today >= lock_date(month, self.calendar)

    def stamp(self, part: str, config: str, month: Period, window: int) -> str:
        """The stamp of ``part`` of ``month``, a figure that reads the ``window`` months up to
        ``month`` and the tree, asked for with ``config`` (the codes it covers)."""
        assert self.stamps is not None, "MonthCache.open first"
        versions = ";".join(
            f"{month.shift(-back).key}={self.stamps.get(month.shift(-back).key, 0)}"
            for back in range(window)
        )
        tree = self.stamps.get(TREE_STAMP, 0)
        text = f"{DEFINITIONS_VERSION}|{part}|{config}|{TREE_STAMP}={tree}|{versions}"
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    async def get(
        self, part: str, config: str, months: Iterable[Period], window: int = 1
    ) -> dict[Period, Any]:
        """The kept payloads of ``part`` that are still current, by month (others absent)."""
        wanted = {month.key: month for month in months}
        if self.stamps is None or not wanted:
            return {}
        rows = await self.session.execute(
            select(DigestCache.period, DigestCache.stamp, DigestCache.payload).where(
                DigestCache.node_id == self.node_id,
                DigestCache.part == part,
                DigestCache.period.in_(sorted(wanted)),
            )
        )
        found = {}
        for key, stamp, payload in rows:
            month = wanted[key]
            if stamp == self.stamp(part, config, month, window):
                found[month] = payload
        return found

    def keep(self, part: str, config: str, month: Period, window: int, payload: Any) -> None:
        """Keep ``payload`` (JSON) as ``part`` of ``month`` if the month is locked."""
        if self.stamps is None or not self.locked(month):
            return
        self.kept[(month.key, part)] = {
            "node_id": self.node_id,
            "period": month.key,
            "part": part,
            "stamp": self.stamp(part, config, month, window),
            "payload": payload,
        }

    async def write(self) -> None:
        """Write what was kept, in a transaction of its own on the session's engine; a failure
        is logged and forgotten (the figures are already computed)."""
        rows, self.kept = list(self.kept.values()), {}
        engine = self.session.bind
        if not rows or not isinstance(engine, AsyncEngine):
            return
        sqlite = engine.dialect.name == "sqlite"
        insert = sqlite_insert(DigestCache) if sqlite else pg_insert(DigestCache)
        upsert = insert.on_conflict_do_update(
            index_elements=["node_id", "period", "part"],
            set_={"stamp": insert.excluded.stamp, "payload": insert.excluded.payload},
        )
        try:
            async with engine.connect() as connection:
                if sqlite:
                    await connection.exec_driver_sql(f"PRAGMA busy_timeout={WRITE_BUSY_MS}")
                try:
                    await connection.execute(upsert, rows)
                    await connection.commit()
                finally:
                    if sqlite:
                        await connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        except SQLAlchemyError as error:
            log.info("digest figures not kept (%s); computed again next time", type(error).__name__)


async def prune_kept(session: AsyncSession, today: date) -> None:
    """Delete the kept figures of months more than KEEP_MONTHS before ``today``'s (a digest
    that still asks for them computes them again). Commits."""
    oldest = Period.of(today).shift(-KEEP_MONTHS)
    await session.execute(delete(DigestCache).where(DigestCache.period < oldest.key))
    await session.commit()


def config_key(items: Iterable[Any]) -> str:
    """What a part covers (its kinds and codes), as text for its stamp."""
    return ",".join(sorted(map(str, items)))


def months_missing(months: Sequence[Period], found: dict[Period, Any]) -> list[Period]:
    return [month for month in months if month not in found]
