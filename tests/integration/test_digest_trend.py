"""The dashboard's trend (``build_digest(trend_months=…)``): month by month, by the digest's own
definitions, on the small tree of test_digests.py (October 2026 as of 20 November 2026)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from models import UnitKind
from services.digests import Digest, DigestPeriod, Rate, build_digest
from services.periods import Period
from services.reporting import ReportingSetup
from services.targets import TargetConfig
from testkit.digest_world import (
    CONCERNS,
    OCTOBER,
    TODAY,
    build_world,
    digest_of,
)


@pytest.fixture
def statements(session: AsyncSession) -> Iterator[list[str]]:
    """Every SQL statement the session runs while the test is on."""
    seen: list[str] = []
    engine = session.bind.sync_engine  # type: ignore[union-attr]

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


WORKERS = (UnitKind.TRADE_UNION, "workers")
MEMBERS = (UnitKind.TRADE_UNION, "union_members")
PARTY = (UnitKind.PARTY_CELL, "party_members")
NEW_MEMBERS = (UnitKind.TRADE_UNION, "new_union_members")
NEW_PARTY = (UnitKind.PARTY_CELL, "new_party_members")


async def with_trend(
    session: AsyncSession,
    node_id: int,
    setup: ReportingSetup,
    targets: TargetConfig,
    period: DigestPeriod = OCTOBER,
    today: object = TODAY,
    keep_figures: bool = True,
) -> Digest:
    return await build_digest(
        session,
        node_id=node_id,
        period=period,
        setup=setup,
        targets=targets,
        concern_config=CONCERNS,
        today=today,  # type: ignore[arg-type]
        trend_months=12,
        keep_figures=keep_figures,
    )


def series(digest: Digest, key: tuple[UnitKind, str]) -> tuple[Decimal | None, ...]:
    assert digest.trend is not None
    for line in (*digest.trend.stocks, *digest.trend.flows):
        if (line.unit_kind, line.code) == key:
            return line.values
    raise AssertionError(f"no series {key}")


async def test_twelve_months_of_rates_stocks_and_flows(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    digest = await with_trend(session, world.province, setup, targets)
    trend = digest.trend
    assert trend is not None
    assert trend.months == tuple(Period(2025, 11).shift(i) for i in range(12))
    # October is the digest's own month: the same rate as the digest's.
    assert trend.reporting[-1] == digest.overall == Rate(6, 5, 3)
    assert trend.reporting[-2] == Rate(6, 3, 3)  # September: TU1, TU2, PC1
    assert trend.reporting[2] == Rate(6, 3, 3)  # January: TU1, TU3, PC1
    assert trend.reporting[0] == Rate(6, 1, 1)  # November 2025: TU1
    # Stocks carry each unit's latest figure: CDCS-3's January 300 until a newer one.
    assert series(digest, WORKERS) == (None, None, *[Decimal(300)] * 8, 790, 880)
    assert series(digest, MEMBERS)[-2:] == (550, 630)
    assert series(digest, PARTY)[-3:] == (None, 11, 20)
    assert trend.density[-1] == pytest.approx(630 / 880)
    assert trend.density[2] == pytest.approx(150 / 300)
    assert trend.density[0] is None
    # Flows: the month's total; None when no unit of the kind reported that month.
    assert series(digest, NEW_MEMBERS) == (900, None, 20, *[None] * 7, 10, 15)
    assert series(digest, NEW_PARTY) == (None, None, 30, *[None] * 7, 1, 5)
    assert [(s.unit_kind, s.code) for s in trend.flows] == [NEW_MEMBERS, NEW_PARTY]
    # A digest without a trend asked for has none (the chat's digest is unchanged).
    assert (await digest_of(session, world.province, setup, targets)).trend is None


async def test_each_month_of_the_trend_is_that_months_digest(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    """One source: the trend's figures for a month are what the chat's digest of that month
    says (rates, headline stocks, density, flow totals)."""
    world = await build_world(session, setup)
    for node_id in (world.province, world.zone):
        digest = await with_trend(session, node_id, setup, targets)
        trend = digest.trend
        assert trend is not None
        for index, month in enumerate(trend.months):
            monthly = await digest_of(
                session, node_id, setup, targets, period=DigestPeriod.from_month(month)
            )
            assert trend.reporting[index] == monthly.overall, month
            for stock in monthly.headline.stocks:
                assert series(digest, (stock.unit_kind, stock.code))[index] == stock.value, month
            assert trend.density[index] == monthly.headline.density, month
            flows = {(f.unit_kind, f.code): f.current for f in monthly.flows}
            for line in trend.flows:
                assert line.values[index] == flows[(line.unit_kind, line.code)], month


async def test_a_stock_older_than_the_window_stops_counting(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    from datetime import date

    digest = await with_trend(
        session,
        world.province,
        setup,
        targets,
        period=DigestPeriod.of_month(2027, 1),
        today=date(2027, 2, 20),
    )
    # January 2027: CDCS-3's figure of January 2026 is 12 months old: only 500 + 80 remain.
    assert series(digest, WORKERS)[-2:] == (880, 580)
    assert digest.headline.stocks[0].value == 580


async def test_a_zone_follows_its_own_targets_flows_too(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    digest = await with_trend(session, world.zone, setup, targets)
    assert digest.trend is not None
    keys = [(s.unit_kind, s.code) for s in digest.trend.flows]
    assert keys == [NEW_MEMBERS, NEW_PARTY, (UnitKind.ZONE_UNION, "new_grassroots_unions")]
    assert series(digest, (UnitKind.ZONE_UNION, "new_grassroots_unions"))[-1] == 1


async def test_the_trend_adds_two_statements_whatever_the_size(
    session: AsyncSession,
    setup: ReportingSetup,
    targets: TargetConfig,
    statements: list[str],
) -> None:
    world = await build_world(session, setup)
    statements.clear()
    await digest_of(session, world.province, setup, targets, keep_figures=False)
    without = len(statements)
    statements.clear()
    await with_trend(session, world.province, setup, targets, keep_figures=False)
    # The reporting rates per month (two GROUP BYs); the trend's stocks come from the same
    # statement as the headline's, its flows from the digest's flow sums.
    assert len(statements) == without + 2
