"""The months before the period, month by month, for the committee dashboard's charts: the
reporting rates, the headline stocks, the union density and the main flows, each by the digest's
own definitions (the flow sums and the stocks come from the digest's own queries)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Final

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import OrgNode, Report, ReportingUnit, UnitKind
from services.digests._shared import _reporting_kinds
from services.digests.flows import _flow_indicators, _FlowSums
from services.digests.headline import HEADLINE_STOCKS, _ratio, _stock_labels
from services.digests.periods import DigestPeriod
from services.digests.views import Rate, Trend, TrendSeries
from services.indicators import IndicatorKind
from services.periods import Period
from services.reporting import ReportingSetup
from services.targets import MeasureKind, Target

# The flows a committee member follows month by month whatever the targets, when configured:
# new union members and new party members. The flows of the annual sum targets come after.
MAIN_FLOWS: Final = (
    (UnitKind.TRADE_UNION, "new_union_members"),
    (UnitKind.PARTY_CELL, "new_party_members"),
)


def _trend_span(
    period: DigestPeriod, months_open: Sequence[Period], count: int
) -> tuple[Period, ...]:
    """``count`` months ending with the period's last open month (or the month before the
    period when none of it is open yet)."""
    if count <= 0:
        return ()
    end = months_open[-1] if months_open else period.first.previous()
    return tuple(end.shift(-offset) for offset in reversed(range(count)))


async def _monthly_rates(
    session: AsyncSession, scope_path: str, months: Sequence[Period], kinds: Sequence[UnitKind]
) -> tuple[Rate, ...]:
    """Per month, the rates ``_unit_statuses`` gives a one-month digest, from two GROUP BYs
    that return a row per first reporting month and per month (not per unit): a unit is
    expected from its first reporting month on, or in any month it reported anyway."""
    if not months or not kinds:
        return tuple(Rate(0, 0, 0) for _ in months)
    in_scope = (
        ReportingUnit.active.is_(True),
        OrgNode.active.is_(True),
        ReportingUnit.kind.in_(kinds),
        OrgNode.path.startswith(scope_path, autoescape=True),
    )
    firsts = await session.execute(
        select(ReportingUnit.first_period, func.count())
        .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
        .where(*in_scope)
        .group_by(ReportingUnit.first_period)
    )
    starting = [(first, int(units)) for first, units in firsts]
    early = and_(
        ReportingUnit.first_period.is_not(None), ReportingUnit.first_period > Report.period
    )
    received = await session.execute(
        select(
            Report.period,
            func.count(),
            func.sum(case((Report.late.is_(False), 1), else_=0)),
            func.sum(case((early, 1), else_=0)),
        )
        .join(ReportingUnit, ReportingUnit.id == Report.reporting_unit_id)
        .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
        .where(*in_scope, Report.period.in_([month.key for month in months]))
        .group_by(Report.period)
    )
    by_month = {row[0]: (int(row[1]), int(row[2] or 0), int(row[3] or 0)) for row in received}
    rates = []
    for month in months:
        submitted, on_time, before_first = by_month.get(month.key, (0, 0, 0))
        due = sum(units for first, units in starting if first is None or first <= month.key)
        rates.append(Rate(due + before_first, submitted, on_time))
    return tuple(rates)


async def _trend(
    session: AsyncSession,
    scope_path: str,
    setup: ReportingSetup,
    months: Sequence[Period],
    flows: _FlowSums,
    stock_sums: Mapping[Period, Mapping[tuple[UnitKind, str], Decimal]],
    targets: Sequence[Target],
) -> Trend:
    """``stock_sums``: ``_stock_sums`` of (at least) ``months``."""
    stock_labels = _stock_labels(setup)
    wanted = [key for key in HEADLINE_STOCKS if key in stock_labels]
    stocks = {key: [stock_sums[month].get(key) for month in months] for key in wanted}
    density = [_ratio(stock_sums[month]) for month in months]

    flow_labels = {(i.unit_kind, i.code): i.label for i in _flow_indicators(setup)}
    main = [key for key in MAIN_FLOWS if key in flow_labels]
    for target in targets:
        key = (target.measure.unit_kind, target.measure.indicator)
        if (
            target.measure.measure_kind is MeasureKind.SUM
            and key in flow_labels
            and key not in main
        ):
            main.append(key)
    return Trend(
        months=tuple(months),
        reporting=await _monthly_rates(session, scope_path, months, _reporting_kinds(setup)),
        stocks=tuple(
            TrendSeries(
                kind,
                code,
                stock_labels[(kind, code)],
                IndicatorKind.STOCK,
                tuple(stocks[(kind, code)]),
            )
            for kind, code in wanted
        ),
        density=tuple(density),
        flows=tuple(
            TrendSeries(
                kind,
                code,
                flow_labels[(kind, code)],
                IndicatorKind.FLOW,
                tuple(flows.total((month,), kind, code) for month in months),
            )
            for kind, code in main
        ),
    )
