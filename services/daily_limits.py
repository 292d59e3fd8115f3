"""Daily limits per person that a copy of the database cannot link: one row per use.

A limit such as "3 concerns a day" must hold whichever instance serves the worker (an active
and a standby bot share only the database, docs/operations.md) and across a restart, so it is
kept in the database. What it must not keep is a count per person: a row ``count = 2`` under a
worker's daily subject tells anyone holding a copy that two of the day's cases share an author.

So every use is a row of its own, under ``HMAC(subject, "use:<n>")`` for the n-th use of the
day, and the day; nothing else. The subject is already a keyed hash that changes every day, so
without ``APP_SECRET`` the rows of one person are as unrelated as the rows of different people:
a dump shows how many uses the day had (which the cases themselves show), not whose they were.

Checking the limit recomputes the hashes of the uses 1…limit from the subject and counts those
present; taking a use inserts the first absent one. The primary key makes the insert the
arbiter (``INSERT … ON CONFLICT DO NOTHING``): two instances or two concurrent updates trying
the same n, one gets it and the other moves on to n+1, so the limit cannot be overshot.

Designs rejected:

- **A count per subject** (the old ``count`` column): links the day's uses, as said above.
- **A "limit reached" row only, counting in memory**: the row says that ``limit`` of the day's
  cases share an author (as linking as a count), and the count before it resets at every
  restart or failover.
- **Memory only** (like the per-minute message limit, services/ratelimit.py): nothing stored,
  but the standby starts from zero when it takes over and so does a restarted instance, so the
  daily limit would hold per process lifetime, not per day.

What remains: someone who holds the database **and** ``APP_SECRET`` and already knows an account
can compute that account's hashes for a day and see how many uses it made. That is inherent to
any limit enforced from the database: the bot must find the account's uses from the account
alone, and so can anyone with the same key. It was already so (they could test whether the
account sent a concern that day); rotating ``APP_SECRET`` ends it for the days before.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def use_hash(subject: str, ordinal: int) -> str:
    """The row of the ``ordinal``-th use (1, 2, …) of ``subject``'s day."""
    return hmac.new(subject.encode(), f"use:{ordinal}".encode(), hashlib.sha256).hexdigest()


def _where(model: Any, hashes: list[str], day: date, fixed: dict[str, Any]) -> list[Any]:
    return [
        model.subject_hash.in_(hashes),
        model.day == day,
        *(getattr(model, name) == value for name, value in fixed.items()),
    ]


async def used(
    session: AsyncSession, model: Any, subject: str, day: date, limit: int, **fixed: Any
) -> int:
    """How many of the day's first ``limit`` uses ``subject`` has made."""
    hashes = [use_hash(subject, n) for n in range(1, limit + 1)]
    count = await session.scalar(
        select(func.count()).select_from(model).where(*_where(model, hashes, day, fixed))
    )
    return int(count or 0)


async def take(
    session: AsyncSession, model: Any, subject: str, day: date, limit: int, **fixed: Any
) -> bool:
    """Record one more use of ``subject`` on ``day`` if it has made fewer than ``limit``;
    False when the limit is reached. ``model`` has ``subject_hash`` (the primary key, with
    ``fixed`` columns if any) and ``day``; ``fixed`` are further column values of the row.
    Does not commit: the caller commits the use, on its own (see
    services/concerns/submission.py)."""
    hashes = [use_hash(subject, n) for n in range(1, limit + 1)]
    present = set(
        await session.scalars(select(model.subject_hash).where(*_where(model, hashes, day, fixed)))
    )
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # In order, the holes too: a use whose transaction rolled back leaves its number free.
    for candidate in (h for h in hashes if h not in present):
        statement = (
            insert(model)
            .values(subject_hash=candidate, day=day, **fixed)
            .on_conflict_do_nothing()
            .returning(model.subject_hash)
        )
        if await session.scalar(statement) is not None:
            return True
        # Taken meanwhile by a parallel update (another instance, another chat's task): next.
    return False


async def prune(session: AsyncSession, model: Any, before: date) -> None:
    """Delete the rows of days before ``before``: subjects change daily, so they can never be
    counted again."""
    await session.execute(delete(model).where(model.day < before))
