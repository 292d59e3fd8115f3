"""The demo province a newcomer starts with: today's geography, a history that ends before
today, and a report the demo officer can file whatever the day of the month."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import NodeKind, OrgNode, Person, Report, ReportingUnit, RoleAssignment
from services import demo, reporting
from services.indicators import load_indicator_config
from services.periods import Period, load_calendar, open_date
from services.reporting import ReportingSetup, local_date

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
SECRET = b"s" * 32


@pytest.fixture
def setup() -> ReportingSetup:
    return ReportingSetup(indicators=load_indicator_config(), calendar=load_calendar(), zone=HANOI)


def at(year: int, month: int, day: int, hour: int = 8) -> datetime:
    return datetime(year, month, day, hour, tzinfo=HANOI)


@pytest.mark.parametrize(
    "now",
    [
        at(2026, 11, 1),  # October overdue, November not open yet
        at(2026, 11, 5, 7),  # before nine in the morning
        at(2026, 11, 12),  # October locked on the 10th, November opens on the 15th
        at(2026, 11, 14, 23),
        at(2026, 11, 15),  # November opens today
        at(2026, 11, 20),
        at(2026, 11, 30),
        at(2027, 1, 1),  # a new year, and a public holiday
    ],
    ids=lambda now: now.strftime("%d-%m-%H"),
)
async def test_the_demo_officer_can_file_a_fresh_report_on_any_day(
    session: AsyncSession, setup: ReportingSetup, now: datetime
) -> None:
    await demo.seed(session, SECRET, setup, now)
    today = local_date(now, setup)

    # Nothing in the demo is dated in the future, nor filed for a month not yet open.
    reports = (await session.scalars(select(Report))).all()
    assert reports
    assert all(r.submitted_at <= now for r in reports), max(r.submitted_at for r in reports)
    assert all(open_date(Period.from_key(r.period), setup.calendar) <= today for r in reports)

    lan = await session.scalar(select(Person.id).where(Person.display_name == "Nguyễn Thị Lan"))
    assert lan is not None
    units = (
        await session.scalars(
            select(RoleAssignment.reporting_unit_id).where(RoleAssignment.person_id == lan)
        )
    ).all()
    assert len(units) == 2
    for unit_id in units:
        choices = await reporting.periods_for(session, lan, unit_id, setup, now)
        fresh = [c for c in choices if not c.submitted]
        assert fresh, f"nothing to report on {now:%d/%m}"
        # Last month's figures are there to keep or compare with.
        before = fresh[0].period.previous().key
        assert await session.scalar(
            select(Report.id).where(Report.reporting_unit_id == unit_id, Report.period == before)
        )
        draft = await reporting.open_draft(
            session, person_id=lan, unit_id=unit_id, period=fresh[0].period, setup=setup, now=now
        )
        assert draft is not None


async def test_the_demo_uses_todays_geography(session: AsyncSession, setup: ReportingSetup) -> None:
    await demo.seed(session, SECRET, setup, at(2026, 11, 20))
    nodes = (await session.scalars(select(OrgNode))).all()
    province = next(n for n in nodes if n.kind is NodeKind.PROVINCE)
    assert province.name.startswith("Tỉnh Bắc Ninh")
    names = {n.name for n in nodes}
    assert {"Khu công nghiệp Quế Võ", "Khu công nghiệp Yên Phong"} <= names
    assert {"Khu công nghiệp Quang Châu", "Khu công nghiệp Đình Trám"} <= names
    assert any(n.kind is NodeKind.COMMUNE and n.name.startswith("Phường") for n in nodes)
    assert not any("huyện" in name.lower() or "Bắc Giang" in name for name in names)
    unit_names = (await session.scalars(select(ReportingUnit.name))).all()
    assert not any("huyện" in name.lower() or "Bắc Giang" in name for name in unit_names)
