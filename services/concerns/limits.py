"""The worker's daily limits (concerns sent, receipts checked), counted per keyed hash of the
day's subject and purpose, one row per use (services/daily_limits.py), so that nothing in the
table links two of a worker's acts.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from models import ConcernLimit, LimitPurpose
from services import daily_limits


def _purpose_hash(subject: str, purpose: LimitPurpose) -> str:
    # One more keyed hash per purpose: a worker's concerns and receipt checks are rows that
    # nothing in the table joins.
    return hmac.new(subject.encode(), purpose.value.encode(), hashlib.sha256).hexdigest()


async def prune_limits(session: AsyncSession, today: date) -> None:
    """Delete the rate-limit rows that can never match again, also when nobody writes
    (``_take`` prunes only then). The hourly retention job (scheduler/retention.py) calls it.
    Commits."""
    # Subjects rotate daily, so older rows can never match again; keeping yesterday's too
    # tolerates callers whose "today" differs by a time zone.
    await daily_limits.prune(session, ConcernLimit, today - timedelta(days=1))
    await session.commit()


async def _take(
    session: AsyncSession, purpose: LimitPurpose, subject: str, today: date, limit: int
) -> bool:
    """Record one more use if fewer than ``limit`` were made today; False when the limit is
    reached. One row per use, so nothing in the table tells which uses share an author
    (services/daily_limits.py); atomic on both backends."""
    # Subjects rotate daily, so older rows can never match again; keeping yesterday's too
    # tolerates callers whose "today" differs by a time zone.
    await daily_limits.prune(session, ConcernLimit, today - timedelta(days=1))
    return await daily_limits.take(
        session, ConcernLimit, _purpose_hash(subject, purpose), today, limit, purpose=purpose
    )


async def _used(
    session: AsyncSession, purpose: LimitPurpose, subject: str, today: date, limit: int
) -> int:
    return await daily_limits.used(
        session, ConcernLimit, _purpose_hash(subject, purpose), today, limit, purpose=purpose
    )
