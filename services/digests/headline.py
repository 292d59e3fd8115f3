"""What the digest leads with: the headline stocks (workers, union members, party members),
each unit's latest figure within the window summed over the subtree, and the union density, now
and before the period.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Final

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import OrgNode, Report, ReportingUnit, ReportValue, UnitKind
from services.digests._shared import SHARE_WINDOW_MONTHS, _number
from services.digests.periods import DigestPeriod
from services.digests.views import Headline, StockTotal
from services.indicators import IndicatorKind
from services.periods import Period
from services.reporting import ReportingSetup

# The stocks a committee member looks at first, in this order, when the configuration has them:
# workers and union members (whose ratio is the union density), then party members.
WORKERS: Final = (UnitKind.TRADE_UNION, "workers")
UNION_MEMBERS: Final = (UnitKind.TRADE_UNION, "union_members")
PARTY_MEMBERS: Final = (UnitKind.PARTY_CELL, "party_members")
HEADLINE_STOCKS: Final = (WORKERS, UNION_MEMBERS, PARTY_MEMBERS)


async def _stock_sums(
    session: AsyncSession,
    scope_path: str,
    through: Period,
    wanted: Iterable[tuple[UnitKind, str]],
) -> dict[tuple[UnitKind, str], Decimal]:
    """Per (unit kind, code): the sum over the subtree's active units of each unit's latest
    figure within SHARE_WINDOW_MONTHS up to ``through``, in two set-based steps (latest month
    per unit and code, then the sum). A kind and code no unit reported is absent."""
    wanted = set(wanted)
    if not wanted:
        return {}
    start = through.shift(-(SHARE_WINDOW_MONTHS - 1))
    latest = (
        select(
            Report.reporting_unit_id.label("unit_id"),
            ReportValue.indicator_code.label("code"),
            func.max(Report.period).label("period"),
        )
        .join(ReportValue, ReportValue.report_id == Report.id)
        .join(ReportingUnit, ReportingUnit.id == Report.reporting_unit_id)
        .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
        .where(
            ReportingUnit.active.is_(True),
            OrgNode.active.is_(True),
            ReportingUnit.kind.in_(sorted({kind for kind, _ in wanted})),
            OrgNode.path.startswith(scope_path, autoescape=True),
            ReportValue.indicator_code.in_(sorted({code for _, code in wanted})),
            ReportValue.value.is_not(None),
            Report.period >= start.key,
            Report.period <= through.key,
        )
        .group_by(Report.reporting_unit_id, ReportValue.indicator_code)
        .subquery()
    )
    stmt = (
        select(
            ReportingUnit.kind,
            ReportValue.indicator_code,
            func.sum(ReportValue.value).label("total"),
        )
        .select_from(latest)
        .join(
            Report,
            and_(Report.reporting_unit_id == latest.c.unit_id, Report.period == latest.c.period),
        )
        .join(
            ReportValue,
            and_(ReportValue.report_id == Report.id, ReportValue.indicator_code == latest.c.code),
        )
        .join(ReportingUnit, ReportingUnit.id == Report.reporting_unit_id)
        .group_by(ReportingUnit.kind, ReportValue.indicator_code)
    )
    sums: dict[tuple[UnitKind, str], Decimal] = {}
    for row in await session.execute(stmt):
        key = (UnitKind(row.kind), row.indicator_code)
        if key in wanted:
            sums[key] = _number(row.total) or Decimal(0)
    return sums


def _ratio(sums: Mapping[tuple[UnitKind, str], Decimal]) -> float | None:
    workers = sums.get(WORKERS)
    members = sums.get(UNION_MEMBERS)
    if not workers or members is None:
        return None
    return float(members / workers)


async def _headline(
    session: AsyncSession,
    scope_path: str,
    setup: ReportingSetup,
    period: DigestPeriod,
    months_open: Sequence[Period],
) -> Headline:
    labels = {
        (s.unit_kind, i.code): i.label
        for s in setup.indicators.sets
        for i in s.indicators
        if i.kind is IndicatorKind.STOCK
    }
    wanted = [key for key in HEADLINE_STOCKS if key in labels]
    if not months_open or not wanted:
        return Headline()
    now = await _stock_sums(session, scope_path, months_open[-1], wanted)
    before = await _stock_sums(session, scope_path, period.first.previous(), wanted)
    return Headline(
        stocks=tuple(
            StockTotal(
                kind, code, labels[(kind, code)], now.get((kind, code)), before.get((kind, code))
            )
            for kind, code in wanted
        ),
        density=_ratio(now),
        density_previous=_ratio(before),
    )
