"""The digest itself: rates per area (ranked), missing reports with whom to call, flows, headline,
targets and concerns of the subtree for a period, put together from the other modules in a
handful of set-based queries. Reads only, apart from keeping the figures of locked months
(services/digests/month_cache.py), in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.concerns import ConcernConfig
from services.digests._shared import (
    _Area,
    _area_of,
    _areas,
    _months_open,
    _reporting_kinds,
    _scope,
    _unit_statuses,
)
from services.digests.approvals import _approved_counts
from services.digests.concern_counts import _concerns
from services.digests.flows import _flow_indicators, _flow_sums
from services.digests.headline import (
    _headline,
    _headline_months,
    _headline_stocks,
    _stock_sums,
)
from services.digests.missing import _missing, _with_officers
from services.digests.month_cache import MonthCache
from services.digests.periods import DigestPeriod
from services.digests.progress import _target_progress
from services.digests.trend import _trend, _trend_span
from services.digests.views import AreaRate, Digest, FlowTotal, Rate
from services.periods import Period
from services.polls.results import closed_between
from services.reporting import ReportingSetup
from services.targets import TargetConfig


def _ranked(rates: Iterable[tuple[_Area, Rate]]) -> tuple[AreaRate, ...]:
    """Best reporting rate first, then best on-time rate, then by name; equal rates share a
    rank (1, 2, 2, 4). Areas with nothing expected are not ranked."""
    ordered = sorted(
        ((area, rate) for area, rate in rates if rate.expected),
        key=lambda item: (
            -(item[1].reporting_rate or 0),
            -(item[1].on_time_rate or 0),
            item[0].direct,
            item[0].name,
        ),
    )
    result: list[AreaRate] = []
    previous: tuple[float | None, float | None] | None = None
    rank = 0
    for position, (area, rate) in enumerate(ordered, start=1):
        key = (rate.reporting_rate, rate.on_time_rate)
        if key != previous:
            rank = position
            previous = key
        result.append(
            AreaRate(area.node_id, area.code, area.name, area.kind, area.direct, rate, rank)
        )
    return tuple(result)


async def build_digest(
    session: AsyncSession,
    *,
    node_id: int,
    period: DigestPeriod,
    setup: ReportingSetup,
    targets: TargetConfig,
    concern_config: ConcernConfig,
    today: date,
    trend_months: int = 0,
    keep_figures: bool = True,
) -> Digest:
    """The digest of the subtree under ``node_id`` for ``period``, as of ``today`` (the local
    date in Asia/Ho_Chi_Minh). Reads only; the caller checks the reader may see this node.

    ``trend_months`` > 0 adds ``Digest.trend``: that many months up to the period's last open
    month, month by month, by the same definitions (the flow sums and the stocks come from the
    same queries).

    The figures of locked months are kept between requests (services/digests/month_cache.py);
    ``keep_figures=False`` computes everything from the reports and keeps nothing."""
    cache = MonthCache(session, node_id, setup.calendar, today) if keep_figures else None
    if cache is not None:
        await cache.open()  # before any figure is read
    scope, scope_path = await _scope(session, node_id)
    months_open = _months_open(period, setup, today)
    # Months of the year the targets' pace counts: up to the last month already open, or the
    # months before the period when none of it is open yet.
    elapsed = months_open[-1].month if months_open else period.first.month - 1

    statuses = await _unit_statuses(session, scope_path, months_open, _reporting_kinds(setup))
    approved = await _approved_counts(session, scope_path, months_open, setup)
    areas = await _areas(session, scope)
    by_area: dict[int, tuple[_Area, Rate]] = {}
    overall = Rate(0, 0, 0)
    for status in statuses:
        area = _area_of(status, scope_path, areas)
        rate = Rate(
            sum(status.expected),
            sum(status.reported),
            status.on_time,
            approved.get(status.unit_id, 0) if approved else 0,
        )
        overall += rate
        known = by_area.get(area.node_id)
        by_area[area.node_id] = (area, known[1] + rate if known else rate)
    # The list of services/digests/missing.py, which /chuabaocao shows too.
    missing = await _with_officers(
        session, scope_path, _missing(statuses, months_open, scope_path, areas)
    )

    indicators = _flow_indicators(setup)
    previous = period.previous()
    last_year = period.same_period_last_year()
    # The one year-to-date span: the same months the targets' pace counts.
    ytd = tuple(Period(period.year, month) for month in range(1, elapsed + 1))
    ytd_last_year = tuple(month.shift(-12) for month in ytd)
    trend_span = _trend_span(period, months_open, trend_months)
    flow_sums = await _flow_sums(
        session,
        scope_path,
        {*period.months, *ytd, *ytd_last_year, *previous.months, *last_year.months, *trend_span},
        indicators,
        frozenset(setup.calendar.review),
        cache,
    )
    flows = tuple(
        FlowTotal(
            unit_kind=i.unit_kind,
            set_label=i.set_label,
            code=i.code,
            label=i.label,
            unit=i.unit,
            current=flow_sums.total(period.months, i.unit_kind, i.code),
            previous=flow_sums.total(previous.months, i.unit_kind, i.code),
            last_year=flow_sums.total(last_year.months, i.unit_kind, i.code),
            year_to_date=flow_sums.total(ytd, i.unit_kind, i.code),
            year_to_date_last_year=flow_sums.total(ytd_last_year, i.unit_kind, i.code),
            approved=flow_sums.approved_total(period.months, i.unit_kind, i.code),
            year_to_date_approved=flow_sums.approved_total(ytd, i.unit_kind, i.code),
        )
        for i in indicators
    )

    chosen = targets.for_node(scope.code, scope.kind, period.year)
    progress = await _target_progress(session, scope_path, chosen, flow_sums, period, ytd, cache)
    # The headline's stocks and the trend's in one statement.
    stocks = await _stock_sums(
        session,
        scope_path,
        {*_headline_months(period, months_open), *trend_span},
        _headline_stocks(setup),
        cache,
    )
    concern_lines, concern_total = await _concerns(
        session, scope_path, period, concern_config, today
    )
    trend = (
        await _trend(session, scope_path, setup, trend_span, flow_sums, stocks, chosen)
        if trend_span
        else None
    )
    polls = await closed_between(
        session, scope_path, period.months[0].first_day, period.months[-1].last_day, today
    )
    if cache is not None:
        await cache.write()
    return Digest(
        scope=scope,
        period=period,
        today=today,
        months_open=months_open,
        elapsed_months=elapsed,
        overall=overall,
        areas=_ranked(by_area.values()),
        missing=missing,
        flows=flows,
        targets=progress,
        concerns=concern_lines,
        concerns_total=concern_total,
        kind_labels={s.unit_kind: s.label for s in setup.indicators.sets},
        year_to_date=ytd,
        headline=_headline(setup, period, months_open, stocks),
        trend=trend,
        polls=polls,
        reviewed=approved is not None,
    )
