"""A unit's first reporting month (issue 12): a unit added today is not missing for the months
before it — not reminded, not listed, not counted against the reporting rate — and moving a
unit elsewhere in the tree keeps its history. On both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    IndicatorSetVersion,
    NodeKind,
    OrgNode,
    Person,
    Report,
    ReportingUnit,
    ReportUnlock,
    ReportValue,
    UnitKind,
)
from models.db import create_engine
from models.migrate import upgrade
from services import reminders, reporting
from services.concerns import load_concern_config
from services.digests import DigestPeriod, build_digest, unit_table
from services.indicators import load_indicator_config
from services.org_import import Msg, OrgImportError, import_org_rows
from services.periods import Period, load_calendar
from services.reminders import load_reminder_config
from services.reporting import ReportingSetup, current_version_id
from services.targets import load_targets
from testkit.org import make_person, make_tree

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOVEMBER = Period(2026, 11)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=HANOI).astimezone(UTC)


@pytest.fixture
def setup() -> ReportingSetup:
    return ReportingSetup(indicators=load_indicator_config(), calendar=load_calendar(), zone=HANOI)


async def report(
    session: AsyncSession, setup: ReportingSetup, unit_id: int, period: str, person: int
) -> int:
    kind = await session.scalar(select(ReportingUnit.kind).where(ReportingUnit.id == unit_id))
    assert kind is not None
    row = Report(
        reporting_unit_id=unit_id,
        period=period,
        indicator_set_version_id=await current_version_id(session, setup, kind),
        submitted_at=datetime(2026, 10, 20, 3, tzinfo=UTC),
        submitted_by_person_id=person,
    )
    session.add(row)
    await session.flush()
    session.add(ReportValue(report_id=row.id, indicator_code="workers", value=Decimal(100)))
    await session.commit()
    return row.id


async def first_month(session: AsyncSession, unit_id: int, key: str | None) -> None:
    await session.execute(
        update(ReportingUnit).where(ReportingUnit.id == unit_id).values(first_period=key)
    )
    await session.commit()


# --- reminders, /baocao and /trangthai ---------------------------------------------------------


async def test_no_reminder_for_a_month_before_the_first(
    session: AsyncSession, setup: ReportingSetup
) -> None:
    tree = await make_tree(session)
    await make_person(session, 1, "Lan", units=(tree.union.id,))
    await make_person(session, 2, "Hùng", units=(tree.other_union.id,))
    await first_month(session, tree.union.id, "2026-12")  # added in December
    config = load_reminder_config()
    due_day = at(date(2026, 11, 25), 8) + timedelta(minutes=5)
    due, _ = await reminders.plan(session, setup, config, due_day, "telegram")
    assert {(r.unit_id, r.period) for r in due} == {(tree.other_union.id, NOVEMBER)}
    # From its first month on it is reminded like any other.
    await first_month(session, tree.union.id, "2026-11")
    due, _ = await reminders.plan(session, setup, config, due_day, "telegram")
    assert {r.unit_id for r in due} == {tree.union.id, tree.other_union.id}


async def test_months_before_the_first_are_not_offered_nor_listed(
    session: AsyncSession, setup: ReportingSetup
) -> None:
    tree = await make_tree(session)
    lan = await make_person(session, 1, "Lan", units=(tree.union.id,))
    await first_month(session, tree.union.id, "2026-12")
    now = at(date(2026, 12, 3))  # November still open (locks on the 10th); December opens 15th
    assert await reporting.periods_for(session, lan, tree.union.id, setup, now) == []
    with pytest.raises(reporting.BeforeFirstPeriod):
        await reporting.open_draft(
            session, person_id=lan, unit_id=tree.union.id, period=NOVEMBER, setup=setup, now=now
        )
    (status,) = await reporting.unit_statuses(session, lan, setup, now)
    assert status.periods == [] and status.unit.first_period == Period(2026, 12)
    # The office can still reopen an earlier month for it: then it is offered.
    session.add(
        ReportUnlock(
            reporting_unit_id=tree.union.id,
            period=NOVEMBER.key,
            until=now + timedelta(days=3),
            unlocked_by="cli:test",
        )
    )
    await session.commit()
    offered = await reporting.periods_for(session, lan, tree.union.id, setup, now)
    assert [choice.period for choice in offered] == [NOVEMBER]
    view = await reporting.open_draft(
        session, person_id=lan, unit_id=tree.union.id, period=NOVEMBER, setup=setup, now=now
    )
    assert view.question is not None


# --- the committee's digest ---------------------------------------------------------------------


async def test_the_reporting_rate_ignores_months_before_the_first(
    session: AsyncSession, setup: ReportingSetup
) -> None:
    tree = await make_tree(session)
    officer = await make_person(session, 1, "Lan")
    await first_month(session, tree.union.id, "2026-12")  # added today: expects nothing yet
    await first_month(session, tree.cell.id, "2026-10")  # reported October, missed November
    await first_month(session, tree.other_union.id, "2026-11")  # November missed
    await report(session, setup, tree.cell.id, "2026-10", officer)
    # A report from before the first month still counts (the month was expected after all).
    await report(session, setup, tree.other_union.id, "2026-09", officer)
    year = DigestPeriod.of_year(2026)
    today = date(2026, 12, 3)  # January to November are open
    digest = await build_digest(
        session,
        node_id=tree.province.id,
        period=year,
        setup=setup,
        targets=load_targets(indicators=setup.indicators),
        concern_config=load_concern_config(),
        today=today,
    )
    # union: none; cell: October, November; other union: September (it came), November.
    assert (digest.overall.expected, digest.overall.submitted) == (0 + 2 + 2, 2)
    missing = {unit.code: unit.months for unit in digest.missing}
    assert missing == {tree.cell.code: (NOVEMBER,), tree.other_union.code: (NOVEMBER,)}
    table = await unit_table(
        session, node_id=tree.province.id, period=year, setup=setup, today=today
    )
    open_months = {row.code: row.months_open for row in table.rows}
    assert open_months == {tree.union.code: 0, tree.cell.code: 2, tree.other_union.code: 2}


# --- the organisation file -------------------------------------------------------------------


TREE_ROWS = [
    {"kind": "tỉnh", "code": "BG", "name": "Tỉnh Bắc Ninh", "parent_code": ""},
    {"kind": "kcn", "code": "KCN-A", "name": "KCN Quế Võ", "parent_code": "BG"},
    {"kind": "kcn", "code": "KCN-B", "name": "KCN Yên Phong", "parent_code": "BG"},
    {"kind": "dn", "code": "DN-1", "name": "Công ty Một", "parent_code": "KCN-A"},
    {"kind": "dn", "code": "DN-2", "name": "Công ty Hai", "parent_code": "KCN-B"},
]


def rows(*extra: dict[str, str]) -> list[tuple[int, dict[str, str]]]:
    return list(enumerate([*TREE_ROWS, *extra], start=2))


async def units_by_code(session: AsyncSession) -> dict[str, ReportingUnit]:
    session.expire_all()
    return {u.code: u for u in await session.scalars(select(ReportingUnit))}


@pytest.mark.parametrize(
    ("written", "month"),
    [
        ("11/2026", "2026-11"),
        ("T11/2026", "2026-11"),
        ("tháng 11/2026", "2026-11"),
        ("Tháng 3 năm 2026", None),  # not a month as written: refused, line named
        ("2026-03", "2026-03"),
        ("2026-03-01 00:00:00", "2026-03"),  # an Excel date cell
        ("01/03/2026", "2026-03"),
        ("13/2026", None),
    ],
)
async def test_the_first_month_column(
    session: AsyncSession, written: str, month: str | None
) -> None:
    unit = {"kind": "cđcs", "code": "CD-1", "name": "CĐCS Một", "parent_code": "DN-1"}
    given = rows(unit | {"tháng bắt đầu báo cáo": written})
    if month is None:
        with pytest.raises(OrgImportError) as refused:
            await import_org_rows(session, given, actor="test")
        (error,) = refused.value.errors
        assert error.line == 7 and error.message == Msg.BAD_FIRST_PERIOD
        return
    await import_org_rows(session, given, actor="test", created_month=Period(2026, 12))
    assert (await units_by_code(session))["CD-1"].first_period == month


async def test_a_new_unit_reports_from_the_month_it_was_created(session: AsyncSession) -> None:
    unit = {"kind": "cđcs", "code": "CD-1", "name": "CĐCS Một", "parent_code": "DN-1"}
    await import_org_rows(session, rows(unit), actor="test", created_month=Period(2026, 12))
    assert (await units_by_code(session))["CD-1"].first_period == "2026-12"
    # Imported again later, with the column empty: the month stays; a month given changes it.
    later = unit | {"first_period": ""}
    await import_org_rows(session, rows(later), actor="test", created_month=Period(2027, 2))
    assert (await units_by_code(session))["CD-1"].first_period == "2026-12"
    earlier = unit | {"first_period": "9/2026"}
    await import_org_rows(session, rows(earlier), actor="test", created_month=Period(2027, 2))
    assert (await units_by_code(session))["CD-1"].first_period == "2026-09"
    # Only a unit has a first month.
    with pytest.raises(OrgImportError) as refused:
        await import_org_rows(
            session,
            list(enumerate([TREE_ROWS[3] | {"first_period": "11/2026"}], start=2)),
            actor="test",
        )
    assert [e.message for e in refused.value.errors] == [Msg.FIRST_PERIOD_NOT_UNIT]


async def test_moving_a_unit_keeps_its_history(
    session: AsyncSession, setup: ReportingSetup
) -> None:
    unit = {"kind": "cđcs", "code": "CD-1", "name": "CĐCS Một", "parent_code": "DN-1"}
    await import_org_rows(
        session, rows(unit | {"first_period": "9/2026"}), actor="test", created_month=NOVEMBER
    )
    before = (await units_by_code(session))["CD-1"]
    officer = await make_person(session, 1, "Lan", units=(before.id,))
    october = await report(session, setup, before.id, "2026-10", officer)

    # The union moves to the other enterprise, in the other zone (a re-import says so).
    await import_org_rows(
        session, rows(unit | {"parent_code": "DN-2"}), actor="test", created_month=Period(2027, 1)
    )
    after = (await units_by_code(session))["CD-1"]
    nodes = {n.code: n.id for n in await session.scalars(select(OrgNode))}
    assert after.id == before.id and after.org_node_id == nodes["DN-2"]
    assert after.first_period == "2026-09"  # not reset to the month of the move
    assert await session.scalar(select(Report.reporting_unit_id).where(Report.id == october)) == (
        after.id
    )
    # Its officer still reports for it, and its October report now counts in its new zone.
    assert await reporting.units_for(session, officer)
    october_digest = DigestPeriod.of_month(2026, 10)

    async def rate(zone: str) -> tuple[int, int]:
        digest = await build_digest(
            session,
            node_id=nodes[zone],
            period=october_digest,
            setup=setup,
            targets=load_targets(indicators=setup.indicators),
            concern_config=load_concern_config(),
            today=date(2026, 12, 3),
        )
        return digest.overall.expected, digest.overall.submitted

    assert await rate("KCN-B") == (1, 1)
    assert await rate("KCN-A") == (0, 0)

    # The whole enterprise moves back to the first zone: the union, and its history, with it.
    moved = [r | {"parent_code": "KCN-A"} if r["code"] == "DN-2" else r for r in TREE_ROWS]
    await import_org_rows(
        session,
        list(enumerate([*moved, unit | {"parent_code": "DN-2"}], start=2)),
        actor="test",
    )
    session.expire_all()
    assert await rate("KCN-A") == (1, 1) and await rate("KCN-B") == (0, 0)


# --- the migration -------------------------------------------------------------------------------


def test_the_migration_gives_existing_units_a_sensible_first_month(
    fresh_url: str,
) -> None:
    """Before 0010 units had no first month: each gets the month it was created (in Vietnam),
    or the first month it reported if that is earlier."""
    upgrade(fresh_url, "0009")

    async def fill() -> None:
        engine = create_engine(fresh_url)
        async with engine.begin() as db:
            node = (
                await db.execute(
                    insert(OrgNode.__table__)
                    .values(code="BG", kind=NodeKind.PROVINCE, name="Tỉnh", path="/")
                    .returning(OrgNode.__table__.c.id)
                )
            ).scalar_one()
            person = (
                await db.execute(
                    insert(Person.__table__)
                    .values(display_name="Lan")
                    .returning(Person.__table__.c.id)
                )
            ).scalar_one()
            version = (
                await db.execute(
                    insert(IndicatorSetVersion.__table__)
                    .values(
                        unit_kind=UnitKind.TRADE_UNION,
                        fingerprint="f" * 64,
                        config_version="t",
                        definition={},
                    )
                    .returning(IndicatorSetVersion.__table__.c.id)
                )
            ).scalar_one()
            units = ReportingUnit.__table__
            for code, created in (
                # 30 November 20:00 UTC is 1 December 03:00 in Vietnam.
                ("NEW", datetime(2026, 11, 30, 20, tzinfo=UTC)),
                ("OLD", datetime(2026, 12, 1, 2, tzinfo=UTC)),
            ):
                await db.execute(
                    insert(units).values(
                        code=code,
                        kind=UnitKind.TRADE_UNION,
                        name=code,
                        org_node_id=node,
                        created_at=created,
                        updated_at=created,
                    )
                )
            old = (await db.execute(select(units.c.id).where(units.c.code == "OLD"))).scalar_one()
            for period in ("2026-08", "2026-10"):
                await db.execute(
                    insert(Report.__table__).values(
                        reporting_unit_id=old,
                        period=period,
                        indicator_set_version_id=version,
                        submitted_at=datetime(2026, 11, 1, tzinfo=UTC),
                        submitted_by_person_id=person,
                    )
                )
        await engine.dispose()

    async def read() -> dict[str, str | None]:
        engine = create_engine(fresh_url)
        async with engine.connect() as db:
            found = await db.execute(select(ReportingUnit.code, ReportingUnit.first_period))
            result = {code: first for code, first in found.all()}
        await engine.dispose()
        return result

    asyncio.run(fill())
    upgrade(fresh_url)
    assert asyncio.run(read()) == {"NEW": "2026-12", "OLD": "2026-08"}
