"""Concerns in the digest: counts per enterprise and category in one GROUP BY, each enterprise's
count of 1–4 hidden before anything is added up. Only dates, statuses and category codes are
read, never a text, and only cases a notice batch has released.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Concern, ConcernStatus, OrgNode
from services.concerns import ConcernConfig
from services.digests.periods import DigestPeriod
from services.digests.views import ConcernLine
from services.indicators import Label
from services.suppression import SuppressedCount


async def _concerns(
    session: AsyncSession,
    scope_path: str,
    period: DigestPeriod,
    config: ConcernConfig,
    today: date,
) -> tuple[tuple[ConcernLine, ...], ConcernLine]:
    """Counts per enterprise and category in one GROUP BY; suppressed per enterprise, then
    added up. Only dates, statuses and category codes are read: never a text.

    Only cases a notice batch has released (``released``), or sent before ``today`` (the
    local date): officers hear of a new case only at the batch times, and a committee member
    polling /tonghop must not learn sooner, from the first case of a category appearing at an
    enterprise, when it was written. Not ``notified``: an escalation resets it until the zone's
    next batch, and a released case must not drop out meanwhile; nor "escalated": a case to an
    enterprise without a union is escalated the moment it is sent. A case of an earlier day
    counts even if no batch ran (scheduler down): by midnight, what it reveals (its day, and
    "after the day's last batch") is what the next batch would tell anyway.
    """
    per_category: dict[str, list[SuppressedCount]] = defaultdict(
        lambda: [SuppressedCount(), SuppressedCount(), SuppressedCount()]
    )
    per_enterprise: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for enterprise_id, code_of_row, *counts in await concern_counts(
        session, scope_path, period, config, today
    ):
        cells = per_category[code_of_row]
        for index, count in enumerate(counts):
            cells[index] = cells[index].add(count)
            per_enterprise[enterprise_id][index] += count
    # The total hides each enterprise's own all-category count of 1–4, independently of its
    # per-category cells (an enterprise with 3 + 3 shows in the total, in no category).
    totals = [SuppressedCount(), SuppressedCount(), SuppressedCount()]
    for counts_of_enterprise in per_enterprise.values():
        for index, count in enumerate(counts_of_enterprise):
            totals[index] = totals[index].add(count)

    lines = []
    configured = [category.code for category in config.categories]
    for code in configured + sorted(set(per_category) - set(configured)):
        category = config.category(code)
        label = category.label if category is not None else Label(vi=code, en=code)
        cells = per_category.get(code) or [SuppressedCount()] * 3
        lines.append(ConcernLine(code, label, *cells))
    total = ConcernLine("", Label(vi="Tổng", en="Total"), *totals)
    return tuple(lines), total


async def concern_counts(
    session: AsyncSession,
    scope_path: str,
    period: DigestPeriod,
    config: ConcernConfig,
    today: date,
) -> list[tuple[int, str, int, int, int]]:
    """(enterprise id, category, new, answered, overdue) of the cases the digest counts, exact
    and NOT suppressed: the caller suppresses (``SuppressedCount.add``) before showing any.
    The rules of what counts are ``_concerns``'s (the digest and the office console share
    them)."""
    first, last = period.first.first_day, period.last.last_day
    released = or_(Concern.released.is_(True), Concern.created_on < today)
    cutoff = today - timedelta(days=config.escalate_after_days)
    is_new = and_(Concern.created_on >= first, Concern.created_on <= last)
    is_answered = and_(
        Concern.answered_on.is_not(None),
        Concern.answered_on >= first,
        Concern.answered_on <= last,
    )
    is_overdue = and_(
        Concern.status.not_in([ConcernStatus.ANSWERED, ConcernStatus.CLOSED]),
        or_(Concern.overdue.is_(True), Concern.created_on <= cutoff),
    )
    stmt = (
        select(
            Concern.enterprise_id,
            Concern.category,
            func.sum(case((is_new, 1), else_=0)).label("new"),
            func.sum(case((is_answered, 1), else_=0)).label("answered"),
            func.sum(case((is_overdue, 1), else_=0)).label("overdue"),
        )
        .join(OrgNode, OrgNode.id == Concern.enterprise_id)
        .where(
            OrgNode.path.startswith(scope_path, autoescape=True),
            released,
            or_(is_new, is_answered, is_overdue),
        )
        .group_by(Concern.enterprise_id, Concern.category)
    )
    return [
        (
            row.enterprise_id,
            row.category,
            int(row.new or 0),
            int(row.answered or 0),
            int(row.overdue or 0),
        )
        for row in await session.execute(stmt)
    ]
