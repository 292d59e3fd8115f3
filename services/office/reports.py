"""The reporting matrix of the office console: units × months for a subtree, one report with its
values and amendments, and reopening a month (the CLI's ``admin unlock``).

Read-only except ``unlock``, which is ``reporting.unlock`` itself: the same row, the same audit
entry, and the caller tells the unit's officers through the outbox as the CLI does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    IndicatorSetVersion,
    OrgNode,
    Person,
    Report,
    ReportChange,
    ReportingUnit,
    ReportUnlock,
    ReportValue,
    UnitKind,
)
from services import reporting
from services.errors import N_, DomainError, NotFound
from services.indicators import IndicatorKind, IndicatorSet, Label
from services.periods import Period, PeriodState, due_date, lock_date, state_on
from services.reporting import ReportingSetup, local_date

MAX_MONTHS = 24  # a range longer than two years is cut (a page, not a data dump)
DEFAULT_MONTHS = 6
MAX_UNLOCK_DAYS = 60


class BadMonths(DomainError):
    message = N_("The months must look like 2026-10, the first not after the last.")


class BadUnlockDays(DomainError):
    message = N_("Reopen for 1 to {most} days.")


class Cell(StrEnum):
    """A unit's month as the office sees it."""

    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"  # locked and never sent
    OVERDUE = "overdue"  # past its due day, still accepted (will be late)
    DUE = "due"  # open, not yet due
    NOT_OPEN = "not_open"
    NOT_REPORTING = "not_reporting"  # before the unit's first reporting month


CELL_NAMES = {
    Cell.ON_TIME: N_("on time"),
    Cell.LATE: N_("late"),
    Cell.MISSING: N_("missing"),
    Cell.OVERDUE: N_("overdue"),
    Cell.DUE: N_("due"),
    Cell.NOT_OPEN: N_("not open"),
    Cell.NOT_REPORTING: N_("not reporting yet"),
}
# The status filter: the four the office asks about.
FILTERS = {
    "on_time": N_("On time"),
    "late": N_("Late"),
    "missing": N_("Missing"),
    "amended": N_("Amended"),
}


@dataclass(frozen=True)
class MonthCell:
    period: Period
    status: Cell
    report_id: int | None = None
    amended: bool = False  # sent, then changed at least once
    unlocked_until: datetime | None = None  # reopened by the office, until then

    @property
    def can_unlock(self) -> bool:
        """Only a month past its lock day needs the office (before it, officers can act)."""
        return self.status in (Cell.MISSING, Cell.ON_TIME, Cell.LATE)

    def matches(self, wanted: str) -> bool:
        return self.amended if wanted == "amended" else self.status.value == wanted


@dataclass(frozen=True)
class UnitRow:
    unit_id: int
    code: str
    name: str
    kind: UnitKind
    place: str  # the node the unit belongs to
    cells: list[MonthCell]


@dataclass(frozen=True)
class Matrix:
    node_id: int
    node_name: str
    months: list[Period]
    rows: list[UnitRow]
    totals: dict[str, int]  # per filter name: cells in the shown rows


def month_range(first: str, last: str, today: date) -> list[Period]:
    """The months from ``first`` to ``last`` (keys); by default the last six up to this one.
    A range longer than MAX_MONTHS keeps its last MAX_MONTHS."""
    try:
        end = Period.from_key(last) if last else Period.of(today)
        start = Period.from_key(first) if first else end.shift(-(DEFAULT_MONTHS - 1))
    except ValueError:
        raise BadMonths() from None
    if start > end:
        raise BadMonths()
    months = [start]
    while months[-1] < end:
        months.append(months[-1].next())
    return months[-MAX_MONTHS:]


async def _node(session: AsyncSession, node_id: int | None) -> OrgNode:
    if node_id is None:
        node = await session.scalar(
            select(OrgNode)
            .where(OrgNode.parent_id.is_(None), OrgNode.active.is_(True))
            .order_by(OrgNode.id)
        )
    else:
        node = await session.get(OrgNode, node_id)
    if node is None:
        raise NotFound()
    return node


async def matrix(
    session: AsyncSession,
    setup: ReportingSetup,
    now: datetime,
    *,
    node_id: int | None,
    months: list[Period],
    status: str | None = None,
    kind: UnitKind | None = None,
) -> Matrix:
    """Every active reporting unit under the node, a cell per month. ``status`` keeps the units
    with at least one such cell; ``kind`` the units of that kind. Four queries whatever the
    size: units, reports, unlocks, nodes' names."""
    node = await _node(session, node_id)
    today = local_date(now, setup)
    nodes = {
        n.id: n
        for n in await session.scalars(
            select(OrgNode).where(OrgNode.path.startswith(node.path, autoescape=True))
        )
    }
    query = select(ReportingUnit).where(
        ReportingUnit.active.is_(True), ReportingUnit.org_node_id.in_(list(nodes))
    )
    if kind is not None:
        query = query.where(ReportingUnit.kind == kind)
    units = list(await session.scalars(query.order_by(ReportingUnit.code)))
    keys = [p.key for p in months]
    ids = [u.id for u in units]
    reports: dict[tuple[int, str], tuple[int, bool, int]] = {}
    unlocks: dict[tuple[int, str], datetime] = {}
    if ids:
        for report_id, unit_id, period, late, revision in await session.execute(
            select(
                Report.id, Report.reporting_unit_id, Report.period, Report.late, Report.revision
            ).where(Report.reporting_unit_id.in_(ids), Report.period.in_(keys))
        ):
            reports[(unit_id, period)] = (report_id, late, revision)
        for unit_id, period, until in await session.execute(
            select(ReportUnlock.reporting_unit_id, ReportUnlock.period, ReportUnlock.until).where(
                ReportUnlock.reporting_unit_id.in_(ids), ReportUnlock.period.in_(keys)
            )
        ):
            unlocks[(unit_id, period)] = until
    states = {p: state_on(p, today, setup.calendar) for p in months}
    rows: list[UnitRow] = []
    for unit in units:
        cells = []
        for period in months:
            found = reports.get((unit.id, period.key))
            until = unlocks.get((unit.id, period.key))
            open_until = until if until is not None and until > now else None
            if found is not None:
                report_id, late, revision = found
                cells.append(
                    MonthCell(
                        period,
                        Cell.LATE if late else Cell.ON_TIME,
                        report_id,
                        amended=revision > 1,
                        unlocked_until=open_until,
                    )
                )
            elif unit.first_period is not None and period.key < unit.first_period:
                cells.append(MonthCell(period, Cell.NOT_REPORTING))
            else:
                state = states[period]
                status_now = {
                    PeriodState.NOT_OPEN: Cell.NOT_OPEN,
                    PeriodState.OPEN: Cell.DUE,
                    PeriodState.OVERDUE: Cell.OVERDUE,
                    PeriodState.LOCKED: Cell.MISSING,
                }[state]
                cells.append(MonthCell(period, status_now, unlocked_until=open_until))
        if status and not any(cell.matches(status) for cell in cells):
            continue
        place = nodes[unit.org_node_id].name if unit.org_node_id in nodes else ""
        rows.append(UnitRow(unit.id, unit.code, unit.name, unit.kind, place, cells))
    totals = {
        name: sum(1 for row in rows for cell in row.cells if cell.matches(name)) for name in FILTERS
    }
    return Matrix(node.id, node.name, months, rows, totals)


# --- one report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueLine:
    code: str
    label: Label
    kind: IndicatorKind | None  # None: a code no longer in the report's own set (never expected)
    value: Decimal | None
    unit: Label | None
    note: str | None


@dataclass(frozen=True)
class ChangeLine:
    code: str
    label: Label | None
    old: Decimal | None
    new: Decimal | None
    by: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class ReportDetail:
    report_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    period: Period
    submitted_at: datetime
    submitted_by: str
    late: bool
    revision: int
    due: date
    lock: date
    set_label: Label
    config_version: str
    values: list[ValueLine]
    changes: list[ChangeLine]  # oldest first: "sửa lần 1" is the first


async def report_detail(
    session: AsyncSession, setup: ReportingSetup, report_id: int
) -> ReportDetail:
    """A report as it stands, read with its OWN indicator set version (not today's): labels and
    units of the set it was made with, and every amendment with its reason."""
    report = await session.get(Report, report_id)
    if report is None:
        raise NotFound()
    unit = await session.get(ReportingUnit, report.reporting_unit_id)
    assert unit is not None
    indicator_set: IndicatorSet = await reporting.indicator_set_of(
        session, report.indicator_set_version_id
    )
    version = await session.get(IndicatorSetVersion, report.indicator_set_version_id)
    values = {
        v.indicator_code: v
        for v in await session.scalars(
            select(ReportValue).where(ReportValue.report_id == report.id)
        )
    }
    lines = []
    for indicator in indicator_set.indicators:
        stored = values.pop(indicator.code, None)
        lines.append(
            ValueLine(
                indicator.code,
                indicator.label,
                indicator.kind,
                stored.value if stored else None,
                indicator.unit,
                stored.note if stored else None,
            )
        )
    for code, stored in sorted(values.items()):
        lines.append(
            ValueLine(code, Label(vi=code, en=code), None, stored.value, None, stored.note)
        )
    changed = list(
        await session.scalars(
            select(ReportChange)
            .where(ReportChange.report_id == report.id)
            .order_by(ReportChange.at, ReportChange.id)
        )
    )
    wanted = {report.submitted_by_person_id} | {c.person_id for c in changed}
    rows = await session.execute(
        select(Person.id, Person.display_name).where(Person.id.in_(wanted))
    )
    names = dict(rows.tuples().all())
    labels = {i.code: i.label for i in indicator_set.indicators}
    changes = [
        ChangeLine(
            c.indicator_code,
            labels.get(c.indicator_code),
            c.old_value,
            c.new_value,
            names.get(c.person_id, str(c.person_id)),
            c.at,
            c.reason,
        )
        for c in changed
    ]
    period = Period.from_key(report.period)
    return ReportDetail(
        report.id,
        unit.id,
        unit.code,
        unit.name,
        period,
        report.submitted_at,
        names.get(report.submitted_by_person_id, str(report.submitted_by_person_id)),
        report.late,
        report.revision,
        due_date(period, setup.calendar),
        lock_date(period, setup.calendar),
        indicator_set.label,
        version.config_version if version else "",
        lines,
        changes,
    )


# --- reopening a month ----------------------------------------------------------------------


async def unlock(
    session: AsyncSession,
    *,
    unit_id: int,
    period_key: str,
    days: int,
    now: datetime,
    actor: str,
) -> reporting.Unlocked:
    """The CLI's unlock, for a unit chosen by id on the page (looked up again here)."""
    try:
        period = Period.from_key(period_key)
    except ValueError:
        raise BadMonths() from None
    if not 1 <= days <= MAX_UNLOCK_DAYS:
        raise BadUnlockDays(most=MAX_UNLOCK_DAYS)
    unit = await session.get(ReportingUnit, unit_id)
    if unit is None or not unit.active:
        raise NotFound()
    return await reporting.unlock(
        session, unit_code=unit.code, period=period, until=now + timedelta(days=days), actor=actor
    )
