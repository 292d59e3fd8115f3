"""What the digest leads with: the headline stocks (workers, union members, party members),
each unit's latest figure within the window summed over the subtree, and the union density, now
and before the period.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import OrgNode, Report, ReportingUnit, ReportValue, UnitKind
from services.digests._shared import SHARE_WINDOW_MONTHS, _number
from services.digests.month_cache import MonthCache, config_key
from services.digests.periods import DigestPeriod
from services.digests.views import Headline, StockTotal
from services.indicators import IndicatorKind, Label
from services.periods import Period
from services.reporting import ReportingSetup

# The stocks a committee member looks at first, in this order, when the configuration has them:
# workers and union members (whose ratio is the union density), then party members.
WORKERS: Final = (UnitKind.TRADE_UNION, "workers")
UNION_MEMBERS: Final = (UnitKind.TRADE_UNION, "union_members")
PARTY_MEMBERS: Final = (UnitKind.PARTY_CELL, "party_members")
HEADLINE_STOCKS: Final = (WORKERS, UNION_MEMBERS, PARTY_MEMBERS)


def _stock_statement(
    scope_path: str, first: Period, last: Period, wanted: Iterable[tuple[UnitKind, str]]
) -> Select[Any]:
    """Figures reported from ``first`` to ``last`` by the subtree's active units, grouped by
    (kind, code, month reported, the unit's next month with a figure of that code): a few
    hundred rows whatever the number of units."""
    kinds = sorted({kind for kind, _ in wanted})
    codes = sorted({code for _, code in wanted})
    figures = (
        select(
            ReportingUnit.kind.label("kind"),
            ReportValue.indicator_code.label("code"),
            Report.period.label("period"),
            ReportValue.value.label("value"),
            func.lead(Report.period)
            .over(
                partition_by=(Report.reporting_unit_id, ReportValue.indicator_code),
                order_by=Report.period,
            )
            .label("next"),
        )
        .select_from(ReportValue)
        .join(Report, Report.id == ReportValue.report_id)
        .join(ReportingUnit, ReportingUnit.id == Report.reporting_unit_id)
        .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
        .where(
            ReportingUnit.active.is_(True),
            OrgNode.active.is_(True),
            ReportingUnit.kind.in_(kinds),
            OrgNode.path.startswith(scope_path, autoescape=True),
            ReportValue.indicator_code.in_(codes),
            ReportValue.value.is_not(None),
            Report.period >= first.key,
            Report.period <= last.key,
        )
        .subquery()
    )
    return select(
        figures.c.kind,
        figures.c.code,
        figures.c.period,
        figures.c.next,
        func.sum(figures.c.value).label("total"),
    ).group_by(figures.c.kind, figures.c.code, figures.c.period, figures.c.next)


async def _stock_sums(
    session: AsyncSession,
    scope_path: str,
    months: Iterable[Period],
    wanted: Sequence[tuple[UnitKind, str]],
    cache: MonthCache | None = None,
) -> dict[Period, dict[tuple[UnitKind, str], Decimal]]:
    """Per month and (unit kind, code): the sum over the subtree's active units of each unit's
    latest figure within SHARE_WINDOW_MONTHS up to that month; a kind and code no unit reported
    is absent. All months in one statement (each figure counts from its month until the unit's
    next figure of that code, for at most SHARE_WINDOW_MONTHS); locked months from ``cache``."""
    months = sorted(set(months))
    sums: dict[Period, dict[tuple[UnitKind, str], Decimal]] = {month: {} for month in months}
    if not months or not wanted:
        return sums
    config = config_key(f"{kind.value}/{code}" for kind, code in wanted)
    found = await cache.get("stocks", config, months, SHARE_WINDOW_MONTHS) if cache else {}
    for month, payload in found.items():
        sums[month] = {(UnitKind(kind), code): Decimal(total) for kind, code, total in payload}
    missing = [month for month in months if month not in found]
    if not missing:
        return sums
    first = missing[0].shift(-(SHARE_WINDOW_MONTHS - 1))
    stmt = _stock_statement(scope_path, first, missing[-1], wanted)
    for row in await session.execute(stmt):
        key = (UnitKind(row.kind), row.code)
        if key not in wanted:
            continue
        reported = Period.from_key(row.period)
        until = reported.shift(SHARE_WINDOW_MONTHS).key  # the first month it no longer counts
        if row.next is not None:
            until = min(until, row.next)
        total = _number(row.total) or Decimal(0)
        for month in missing:
            if row.period <= month.key < until:
                at = sums[month]
                at[key] = at.get(key, Decimal(0)) + total
    if cache is not None:
        for month in missing:
            payload = [
                [kind.value, code, str(total)] for (kind, code), total in sums[month].items()
            ]
            cache.keep("stocks", config, month, SHARE_WINDOW_MONTHS, payload)
    return sums


def _ratio(sums: Mapping[tuple[UnitKind, str], Decimal]) -> float | None:
    workers = sums.get(WORKERS)
    members = sums.get(UNION_MEMBERS)
    if not workers or members is None:
        return None
    return float(members / workers)


def _stock_labels(setup: ReportingSetup) -> dict[tuple[UnitKind, str], Label]:
    return {
        (s.unit_kind, i.code): i.label
        for s in setup.indicators.sets
        for i in s.indicators
        if i.kind is IndicatorKind.STOCK
    }


def _headline_stocks(setup: ReportingSetup) -> list[tuple[UnitKind, str]]:
    """The headline stocks the configuration has, in order."""
    labels = _stock_labels(setup)
    return [key for key in HEADLINE_STOCKS if key in labels]


def _headline_months(period: DigestPeriod, months_open: Sequence[Period]) -> tuple[Period, ...]:
    """The months whose stocks the headline shows: now, and before the period."""
    return (months_open[-1], period.first.previous()) if months_open else ()


def _headline(
    setup: ReportingSetup,
    period: DigestPeriod,
    months_open: Sequence[Period],
    stocks: Mapping[Period, Mapping[tuple[UnitKind, str], Decimal]],
) -> Headline:
    """From ``_stock_sums`` of (at least) ``_headline_months``."""
    labels = _stock_labels(setup)
    wanted = _headline_stocks(setup)
    if not months_open or not wanted:
        return Headline()
    now, before = stocks[months_open[-1]], stocks[period.first.previous()]
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
