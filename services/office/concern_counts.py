"""Workers' concerns as the office sees them: counts only, per enterprise and category, with
the digests' own rules — the same cases counted (``digests.concern_counts``: released ones,
by date, never a text or a time) and every enterprise's count of 1–4 shown as "<5"
(``SuppressedCount``), in each cell, in each enterprise's total and in each category's total.

The page never reads a concern's text, receipt, time or anything of the worker: only the
enterprise, the category, statuses and dates, summed by the database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import NodeKind, OrgNode
from services.concerns import ConcernConfig
from services.digests import DigestPeriod, SuppressedCount
from services.digests.concern_counts import concern_counts
from services.errors import NotFound
from services.indicators import Label

NEW, ANSWERED, OVERDUE = 0, 1, 2


@dataclass(frozen=True)
class EnterpriseLine:
    enterprise_id: int
    code: str
    name: str
    new: dict[str, SuppressedCount]  # per category code, raised in the period
    new_total: SuppressedCount
    answered_total: SuppressedCount
    overdue_total: SuppressedCount  # unanswered past the escalation delay, today


@dataclass(frozen=True)
class ConcernTable:
    node_id: int
    node_name: str
    period: DigestPeriod
    categories: list[tuple[str, Label]]
    enterprises: list[EnterpriseLine]  # with anything to count, by code
    new_by_category: dict[str, SuppressedCount]
    new_total: SuppressedCount
    answered_total: SuppressedCount
    overdue_total: SuppressedCount


async def concern_table(
    session: AsyncSession,
    config: ConcernConfig,
    *,
    node_id: int | None,
    period: DigestPeriod,
    today: date,
) -> ConcernTable:
    if node_id is None:
        node = await session.scalar(
            select(OrgNode).where(OrgNode.parent_id.is_(None)).order_by(OrgNode.id).limit(1)
        )
    else:
        node = await session.get(OrgNode, node_id)
    if node is None:
        raise NotFound()
    rows = await concern_counts(session, node.path, period, config, today)
    exact: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for enterprise_id, code_of_row, *counts in rows:
        for index, count in enumerate(counts):
            exact[enterprise_id][code_of_row][index] += count
    names = {
        n.id: n
        for n in await session.scalars(
            select(OrgNode).where(OrgNode.id.in_(list(exact)), OrgNode.kind == NodeKind.ENTERPRISE)
        )
    }
    configured = [c.code for c in config.categories]
    seen = {code for per in exact.values() for code in per}
    codes = configured + sorted(seen - set(configured))
    categories = []
    for code in codes:
        category = config.category(code)
        categories.append((code, category.label if category else Label(vi=code, en=code)))

    by_category = {code: SuppressedCount() for code in codes}
    totals = [SuppressedCount(), SuppressedCount(), SuppressedCount()]
    lines = []
    for enterprise_id, per in exact.items():
        own = [sum(counts[index] for counts in per.values()) for index in range(3)]
        for index in range(3):
            totals[index] = totals[index].add(own[index])
        for code, counts in per.items():
            by_category[code] = by_category[code].add(counts[NEW])
        node_row = names.get(enterprise_id)
        lines.append(
            EnterpriseLine(
                enterprise_id,
                node_row.code if node_row else "",
                node_row.name if node_row else str(enterprise_id),
                {code: SuppressedCount().add(per[code][NEW]) for code in codes if code in per},
                SuppressedCount().add(own[NEW]),
                SuppressedCount().add(own[ANSWERED]),
                SuppressedCount().add(own[OVERDUE]),
            )
        )
    lines.sort(key=lambda line: line.code)
    return ConcernTable(
        node.id,
        node.name,
        period,
        categories,
        lines,
        by_category,
        *totals,
    )
