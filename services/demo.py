"""The demo province a newcomer's console starts with: a tree, officers, a committee member,
an admin and a few invite codes to try registration with.

The province is a current one (since 1 July 2025: 34 provinces, no district level; Bắc Giang is
part of Bắc Ninh), with real industrial zones and communes/wards and invented enterprises. Its
history is laid out from the clock, relative to the month that is open for reports today, so
that a newcomer can file a fresh report whatever the day, and nothing is dated in the future.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    ChannelAccount,
    NodeKind,
    OrgNode,
    Person,
    Report,
    ReportingUnit,
    ReportUnlock,
    ReportValue,
    Role,
    RoleAssignment,
    UnitKind,
)
from services import audit
from services.indicators import IndicatorKind, IndicatorSet, violated_rules
from services.invites import create_invite, display_code
from services.org_import import import_org_tree
from services.periods import (
    Period,
    PeriodState,
    ReportingCalendar,
    due_date,
    open_date,
    state_on,
)
from services.reporting import ReportingSetup, current_version_id, local_date

DEMO_TREE = Path(__file__).with_name("demo_province.csv")
DEMO_CHANNEL = "console"
ACTOR = "system:demo"


@dataclass(frozen=True)
class DemoPerson:
    key: str  # what the console's /as takes
    external_id: str
    first_name: str
    last_name: str


DEMO_PEOPLE = (
    DemoPerson("officer", "9001", "Nguyễn Thị", "Lan"),
    DemoPerson("officer2", "9002", "Trần Văn", "Hùng"),
    DemoPerson("committee", "9003", "Lê Minh", "Tuấn"),
    DemoPerson("admin", "9004", "Phạm Thu", "Hà"),
)
# Not registered: the worker is anonymous, "new" is somebody with an invite code to try.
DEMO_STRANGERS = (
    DemoPerson("worker", "9100", "Công", "Nhân"),
    DemoPerson("new", "9200", "Người", "Mới"),
)
DEMO_INVITE_CODES = ("DEMQ2345", "DEMR2345", "DEMS2345")


@dataclass(frozen=True)
class DemoSeed:
    invites: list[tuple[str, Role, str]]  # (displayed code, role, unit or node name)
    officer_enterprise: str  # the demo officer's enterprise code, for trying a concern


async def is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(func.count()).select_from(OrgNode))


async def seed(
    session: AsyncSession, secret: bytes, setup: ReportingSetup, now: datetime
) -> DemoSeed:
    """Fill an empty database with the demo province and three months of reports. Commits."""
    # The units report from the first month of their seeded history: the months it leaves
    # out are missing reports, as the demo means them to be.
    first = Period.of(local_date(now, setup)).shift(-HISTORY_MONTHS)
    await import_org_tree(session, DEMO_TREE, actor=ACTOR, created_month=first)
    unions = (
        await session.scalars(
            select(ReportingUnit)
            .where(ReportingUnit.kind == UnitKind.TRADE_UNION)
            .order_by(ReportingUnit.code)
        )
    ).all()
    cells = (
        await session.scalars(
            select(ReportingUnit)
            .where(ReportingUnit.kind == UnitKind.PARTY_CELL)
            .order_by(ReportingUnit.code)
        )
    ).all()
    province = await session.scalar(select(OrgNode).where(OrgNode.kind == NodeKind.PROVINCE))
    assert unions and cells and province is not None, "the demo tree has unions, cells, a province"

    grants: dict[str, list[tuple[Role, int | None, int | None]]] = {
        # The demo officer serves two units, as many real ones do (union chair and cell secretary).
        "officer": [(Role.OFFICER, unions[0].id, None), (Role.OFFICER, cells[0].id, None)],
        "officer2": [(Role.OFFICER, unions[1].id, None)],
        "committee": [(Role.COMMITTEE, None, province.id)],
        "admin": [(Role.ADMIN, None, None)],
    }
    for demo in DEMO_PEOPLE:
        person = Person(display_name=f"{demo.first_name} {demo.last_name}", language="vi")
        session.add(person)
        await session.flush()
        session.add(
            ChannelAccount(
                person_id=person.id,
                channel=DEMO_CHANNEL,
                external_id=demo.external_id,
                chat_id=demo.external_id,
            )
        )
        for role, unit_id, node_id in grants[demo.key]:
            session.add(
                RoleAssignment(
                    person_id=person.id, role=role, reporting_unit_id=unit_id, org_node_id=node_id
                )
            )
    audit.record(session, actor=ACTOR, action="demo.seed", entity="database")
    await session.commit()

    offered = [
        (Role.OFFICER, unions[2].code, None, unions[2].name),
        (Role.OFFICER, cells[1].code, None, cells[1].name),
        (Role.COMMITTEE, None, province.code, province.name),
    ]
    invites = []
    for code, (role, unit_code, node_code, scope) in zip(DEMO_INVITE_CODES, offered, strict=True):
        await create_invite(
            session,
            secret,
            role=role,
            actor=ACTOR,
            valid_days=365,
            unit_code=unit_code,
            node_code=node_code,
            code=code,
        )
        invites.append((display_code(code), role, scope))
    await seed_history(session, setup, now, grants=grants)
    enterprise_code = await session.scalar(
        select(OrgNode.code).where(OrgNode.id == unions[0].org_node_id)
    )
    assert enterprise_code is not None
    return DemoSeed(invites, enterprise_code)


HISTORY_MONTHS = 3
# Share of the other units that already sent the open month's report (the rest is to come).
OPEN_MONTH_SENT = 0.3
# How long the demo reopens a locked month for the demo officers, between its lock day and the
# opening of the next month.
DEMO_UNLOCK_DAYS = 30


def reporting_period(today: date, calendar: ReportingCalendar) -> Period:
    """The month a newcomer reports for today: the newest month already open. Before the 15th
    that is last month (overdue, or past its lock day and reopened by the demo)."""
    current = Period.of(today)
    for back in range(13):
        period = current.shift(-back)
        if open_date(period, calendar) <= today:
            return period
    return current.shift(-13)


def _submitted_at(day: date, now: datetime, setup: ReportingSetup) -> datetime:
    """Nine in the morning of ``day``, never later than now."""
    return min(datetime.combine(day, time(9), tzinfo=setup.zone), now)


async def seed_history(
    session: AsyncSession,
    setup: ReportingSetup,
    now: datetime,
    *,
    grants: dict[str, list[tuple[Role, int | None, int | None]]],
) -> None:
    """Reports for the three months before the month open today, for most units, and for a
    few units the open month itself (sent between its opening and today), so that the demo
    shows last month's figures, a few missing and late reports, and something to digest. The
    demo officers' units always have last month and never the open month: that report is the
    newcomer's to file, reopened by the demo if today falls after its lock day."""
    admin = await session.scalar(
        select(Person.id).join(RoleAssignment).where(RoleAssignment.role == Role.ADMIN)
    )
    assert admin is not None
    demo_officer_units = {
        unit_id
        for key in ("officer", "officer2")
        for _role, unit_id, _node in grants[key]
        if unit_id is not None
    }
    calendar = setup.calendar
    today = local_date(now, setup)
    current = reporting_period(today, calendar)
    units = (
        await session.execute(
            select(ReportingUnit, OrgNode.worker_count)
            .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
            .order_by(ReportingUnit.id)
        )
    ).all()
    for unit, worker_count in units:
        indicator_set = setup.indicators.for_kind(unit.kind)
        if indicator_set is None:
            continue
        version_id = await current_version_id(session, setup, unit.kind)
        rng = random.Random(unit.id)  # the same demo every time
        base = worker_count or rng.randint(40, 400)
        if unit.kind is not UnitKind.TRADE_UNION:
            base = max(5, base // 40)
        ours = unit.id in demo_officer_units
        for months_back in range(HISTORY_MONTHS, -1, -1):
            period = current.shift(-months_back)
            due = due_date(period, calendar)
            if months_back == 0:
                # The open month: mostly still to come, never the demo officers'.
                if ours or rng.random() >= OPEN_MONTH_SENT:
                    continue
                opened = open_date(period, calendar)
                submitted_on = opened + timedelta(days=rng.randint(0, (today - opened).days))
            else:
                if not ours and rng.random() < 0.12:
                    continue  # a few units skipped a month
                late_by = rng.randint(1, 6) if rng.random() < 0.15 else 0
                submitted_on = (
                    due + timedelta(days=late_by)
                    if late_by
                    else due - timedelta(days=rng.randint(0, 6))
                )
                submitted_on = min(submitted_on, today)
            report = Report(
                reporting_unit_id=unit.id,
                period=period.key,
                indicator_set_version_id=version_id,
                submitted_at=_submitted_at(submitted_on, now, setup),
                submitted_by_person_id=admin,
                late=submitted_on > due,
            )
            session.add(report)
            await session.flush()
            for code, value in plausible_values(indicator_set, rng, base).items():
                session.add(ReportValue(report_id=report.id, indicator_code=code, value=value))
    if state_on(current, today, calendar) is PeriodState.LOCKED:
        # Between the lock day and the next opening no month takes reports: the office would
        # reopen one (admin unlock); the demo does it for its officers' units.
        for unit_id in sorted(demo_officer_units):
            session.add(
                ReportUnlock(
                    reporting_unit_id=unit_id,
                    period=current.key,
                    until=now + timedelta(days=DEMO_UNLOCK_DAYS),
                    unlocked_by=ACTOR,
                )
            )
    await session.commit()


def plausible_values(
    indicator_set: IndicatorSet, rng: random.Random, base: int
) -> dict[str, Decimal]:
    """Figures of the right kind that keep every rule of the set: stocks near ``base`` (so
    months follow each other without big jumps), small flows, mostly "yes"."""
    values: dict[str, Decimal] = {}
    first_stock = True
    for indicator in indicator_set.indicators:
        if indicator.kind is IndicatorKind.YES_NO:
            value = Decimal(1 if rng.random() < 0.7 else 0)
        elif indicator.kind is IndicatorKind.PERCENT:
            value = Decimal(rng.randint(50, 100))
        elif indicator.kind is IndicatorKind.STOCK:
            share = 1.0 if first_stock else 0.8
            value = Decimal(max(1, round(base * share * rng.uniform(0.98, 1.02))))
            first_stock = False
        else:
            # Flows are events: most months none, sometimes one or two; a little more in a
            # large enterprise.
            value = Decimal(rng.choice((0, 0, 0, 0, 1, 1, 2)) + rng.randint(0, base // 1500))
        if indicator.max is not None:
            value = min(value, indicator.max)
        if indicator.min is not None:
            value = max(value, indicator.min)
        values[indicator.code] = value
    for _ in range(len(indicator_set.rules) + 1):
        broken = violated_rules(indicator_set, values)
        if not broken:
            break
        for violation in broken:
            comparison = violation.rule.comparison
            right = (
                values.get(comparison.right, Decimal(0))
                if isinstance(comparison.right, str)
                else comparison.right
            )
            if isinstance(comparison.left, str):
                # a <= b, a == b, a >= b: the left side is the one a person would correct.
                values[comparison.left] = right - 1 if comparison.op == "<" else right
    return values
