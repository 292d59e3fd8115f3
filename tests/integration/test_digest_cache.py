"""The figures of locked months kept between requests (services/digests/month_cache.py): kept
and used, never stale after a change of a report, a value or the tree, whoever makes it (another
instance, plain SQL), and never matched by a rolled-back change. On the small tree of
test_digests.py: October 2026 as of 20 November 2026 (October locked, November open)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    TREE_STAMP,
    DigestCache,
    DigestStamp,
    OrgNode,
    Report,
    ReportingUnit,
    ReportReview,
    ReportValue,
)
from models.db import create_engine, make_uow
from services.digests import Digest, DigestPeriod, build_digest, month_cache, prune_kept
from services.reporting import ReportingSetup
from services.reporting.reviewing import APPROVED
from services.targets import TargetConfig
from testkit.digest_world import CONCERNS, OCTOBER, TODAY, World, build_world
from testkit.review_world import reviewing

NEW_MEMBERS = "new_union_members"


@pytest.fixture
def statements(session: AsyncSession) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = session.bind.sync_engine  # type: ignore[union-attr]

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def page(
    session: AsyncSession,
    node_id: int,
    setup: ReportingSetup,
    targets: TargetConfig,
    keep_figures: bool = True,
    period: DigestPeriod = OCTOBER,
) -> Digest:
    """The dashboard's digest (with its 12-month trend)."""
    digest = await build_digest(
        session,
        node_id=node_id,
        period=period,
        setup=setup,
        targets=targets,
        concern_config=CONCERNS,
        today=TODAY,
        trend_months=12,
        keep_figures=keep_figures,
    )
    await session.rollback()  # end the read, as a request does: the next one reads afresh
    return digest


async def assert_current(
    session: AsyncSession, node_id: int, setup: ReportingSetup, targets: TargetConfig
) -> Digest:
    """The digest from the kept figures equals the one computed from the reports."""
    kept = await page(session, node_id, setup, targets)
    assert kept == await page(session, node_id, setup, targets, keep_figures=False)
    return kept


def current(digest: Digest, code: str = NEW_MEMBERS) -> Decimal | None:
    return next(f.current for f in digest.flows if f.code == code)


async def stamps(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(DigestStamp.key, DigestStamp.version))
    stamp = {key: version for key, version in rows}
    await session.rollback()
    return stamp


async def october_value(session: AsyncSession, world: World, unit: str, value: int) -> None:
    report_id = await session.scalar(
        select(Report.id).where(
            Report.reporting_unit_id == world.units[unit], Report.period == "2026-10"
        )
    )
    await session.execute(
        update(ReportValue)
        .where(ReportValue.report_id == report_id, ReportValue.indicator_code == NEW_MEMBERS)
        .values(value=Decimal(value))
    )


async def test_every_change_of_a_month_or_the_tree_gives_a_new_stamp(
    session: AsyncSession, setup: ReportingSetup
) -> None:
    world = await build_world(session, setup)
    before = await stamps(session)
    assert {"2026-10", "2026-09", TREE_STAMP} <= set(before)

    await october_value(session, world, "TU1", 11)  # a value, through the ORM's Core
    await session.commit()
    after = await stamps(session)
    assert after["2026-10"] != before["2026-10"]
    assert after["2026-09"] == before["2026-09"] and after[TREE_STAMP] == before[TREE_STAMP]

    await session.execute(text("UPDATE reports SET late = NOT late WHERE period = '2026-09'"))
    await session.commit()
    again = await stamps(session)
    assert again["2026-09"] != after["2026-09"] and again["2026-10"] == after["2026-10"]

    await session.execute(
        update(OrgNode).where(OrgNode.id == world.enterprises["DN-3"]).values(active=False)
    )
    await session.commit()
    moved = await stamps(session)
    assert moved[TREE_STAMP] != again[TREE_STAMP]

    await session.execute(
        update(ReportingUnit)
        .where(ReportingUnit.id == world.units["TU3"])
        .values(org_node_id=world.enterprises["DN-1"])
    )
    await session.commit()
    assert (await stamps(session))[TREE_STAMP] != moved[TREE_STAMP]

    # A report inserted, then deleted (its values with it), plain SQL.
    template = await session.scalar(select(Report).where(Report.period == "2026-09"))
    assert template is not None
    await session.execute(
        text(
            "INSERT INTO reports (reporting_unit_id, period, indicator_set_version_id, "
            "submitted_at, submitted_by_person_id, late, revision, updated_at) "
            "SELECT reporting_unit_id, '2026-08', indicator_set_version_id, submitted_at, "
            "submitted_by_person_id, late, revision, updated_at FROM reports WHERE id = :id"
        ),
        {"id": template.id},
    )
    await session.commit()
    inserted = await stamps(session)
    assert "2026-08" in inserted and "2026-08" not in before
    await session.execute(text("DELETE FROM reports WHERE period = '2026-08'"))
    await session.commit()
    assert (await stamps(session))["2026-08"] != inserted["2026-08"]


async def test_locked_months_are_kept_and_read_back_instead_of_the_reports(
    session: AsyncSession,
    setup: ReportingSetup,
    targets: TargetConfig,
    statements: list[str],
) -> None:
    world = await build_world(session, setup)
    computed = await page(session, world.province, setup, targets, keep_figures=False)
    assert await session.scalar(select(func.count()).select_from(DigestCache)) == 0
    await session.rollback()

    statements.clear()
    first = await page(session, world.province, setup, targets)
    assert any("report_values" in s for s in statements)
    kept = {
        (period, part)
        for period, part in await session.execute(
            select(DigestCache.period, DigestCache.part).where(
                DigestCache.node_id == world.province
            )
        )
    }
    await session.rollback()
    assert ("2026-10", "flows") in kept and ("2026-10", "stocks") in kept
    assert ("2026-10", "share:trade_union:cla_in_force") in kept
    assert not any(period >= "2026-11" for period, _ in kept)  # November is still open

    statements.clear()
    second = await page(session, world.province, setup, targets)
    assert not any("report_values" in s for s in statements)  # every figure was kept
    assert first == second == computed


async def test_a_value_changed_by_another_instance_shows_at_once(
    session: AsyncSession,
    setup: ReportingSetup,
    targets: TargetConfig,
    database_url: str,
) -> None:
    world = await build_world(session, setup)
    assert current(await assert_current(session, world.province, setup, targets)) == 15
    other = create_engine(database_url)  # the standby instance, on the same database
    try:
        async with make_uow(other)() as other_session:
            await october_value(other_session, world, "TU1", 30)  # an amendment after unlock
            await other_session.commit()
    finally:
        await other.dispose()
    assert current(await assert_current(session, world.province, setup, targets)) == 35
    assert current(await assert_current(session, world.zone, setup, targets)) == 35


async def test_a_unit_moved_to_another_area_moves_its_figures(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    zone_before = await assert_current(session, world.zone, setup, targets)
    await assert_current(session, world.commune, setup, targets)
    # DN-2 (TU2: 5 new members in October) moves from the zone to the commune.
    commune_path = await session.scalar(select(OrgNode.path).where(OrgNode.id == world.commune))
    await session.execute(
        update(OrgNode)
        .where(OrgNode.id == world.enterprises["DN-2"])
        .values(parent_id=world.commune, path=f"{commune_path}{world.enterprises['DN-2']}/")
    )
    await session.commit()
    zone_after = await assert_current(session, world.zone, setup, targets)
    assert current(zone_after) == (current(zone_before) or 0) - 5
    assert current(await assert_current(session, world.commune, setup, targets)) == 5


async def test_figures_kept_from_a_rolled_back_change_never_match_later(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    """A reader inside a transaction that changed a locked month (then rolled back) may keep
    figures under that transaction's stamp; a later, different change must not match it."""
    world = await build_world(session, setup)
    await assert_current(session, world.province, setup, targets)
    await october_value(session, world, "TU1", 100)  # not committed
    seen = await build_digest(
        session,
        node_id=world.province,
        period=OCTOBER,
        setup=setup,
        targets=targets,
        concern_config=CONCERNS,
        today=TODAY,
        trend_months=12,
    )
    assert current(seen) == 105
    await session.rollback()
    await october_value(session, world, "TU1", 50)
    await session.commit()
    assert current(await assert_current(session, world.province, setup, targets)) == 55


async def test_every_node_and_period_reads_the_same_from_the_kept_figures(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    nodes = [world.province, world.zone, world.commune, *world.enterprises.values()]
    periods = [
        OCTOBER,
        DigestPeriod.of_month(2026, 11),  # open: computed, not kept
        DigestPeriod.of_quarter(2026, 3),
        DigestPeriod.of_year(2026),
    ]
    for _ in range(2):  # the second round from the kept figures
        for node_id in nodes:
            for period in periods:
                kept = await page(session, node_id, setup, targets, period=period)
                computed = await page(
                    session, node_id, setup, targets, keep_figures=False, period=period
                )
                assert kept == computed, (node_id, period)


async def test_figures_kept_under_older_definitions_are_not_used(
    session: AsyncSession,
    setup: ReportingSetup,
    targets: TargetConfig,
    statements: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = await build_world(session, setup)
    await page(session, world.province, setup, targets)
    monkeypatch.setattr(month_cache, "DEFINITIONS_VERSION", month_cache.DEFINITIONS_VERSION + 1)
    statements.clear()
    await page(session, world.province, setup, targets)
    assert any("report_values" in s for s in statements)


async def test_kept_figures_of_months_over_three_years_old_are_pruned(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    await page(session, world.province, setup, targets)
    kept = set(await session.scalars(select(DigestCache.period).distinct()))
    assert "2025-10" in kept and "2026-10" in kept
    await prune_kept(session, date(2029, 10, 5))  # 36 months after October 2026
    left = set(await session.scalars(select(DigestCache.period).distinct()))
    assert left == {period for period in kept if period >= "2026-10"}
    await session.rollback()
    await assert_current(session, world.province, setup, targets)  # computed again


async def test_a_review_decision_on_a_locked_month_shows_at_once(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    """With trade unions reviewed, the kept flow sums carry the approved part: approving or
    returning a report of a locked month renews the month's stamp."""
    reviewed = reviewing(setup)
    world = await build_world(session, reviewed)
    before = await assert_current(session, world.province, reviewed, targets)
    assert next(f.approved for f in before.flows if f.code == NEW_MEMBERS) == 0
    report_id = await session.scalar(
        select(Report.id).where(
            Report.reporting_unit_id == world.units["TU1"], Report.period == "2026-10"
        )
    )
    assert report_id is not None
    session.add(
        ReportReview(report_id=report_id, reviewer_node_id=world.zone, status=APPROVED, revision=1)
    )
    await session.commit()
    approved = await assert_current(session, world.province, reviewed, targets)
    assert next(f.approved for f in approved.flows if f.code == NEW_MEMBERS) == 10
    await session.execute(
        update(ReportReview).where(ReportReview.report_id == report_id).values(status="returned")
    )
    await session.commit()
    returned = await assert_current(session, world.province, reviewed, targets)
    assert next(f.approved for f in returned.flows if f.code == NEW_MEMBERS) == 0
