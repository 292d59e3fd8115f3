"""Where each unit stands: its recent months' status, and the days that matter for a month.

For /trangthai, the reminders and the menus: read-only, nothing here changes a draft or report.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Report, ReportDraft
from services.periods import Period, PeriodState, due_date, lock_date, open_date, state_on
from services.reporting.config import ReportingSetup, local_date
from services.reporting.drafts import units_for
from services.reporting.views import PeriodDates, PeriodStatus, StatusKind, UnitStatus


async def unit_statuses(
    session: AsyncSession, person_id: int, setup: ReportingSetup, now: datetime
) -> list[UnitStatus]:
    """For /trangthai: each unit the officer serves, its recent periods and their state."""
    calendar = setup.calendar
    today = local_date(now, setup)
    periods = [Period.of(today)]
    for _ in range(calendar.lookback_months):
        periods.append(periods[-1].previous())
    periods = [p for p in periods if open_date(p, calendar) <= today]
    result = []
    for unit in await units_for(session, person_id):
        shown = [p for p in periods if unit.first_period is None or p >= unit.first_period]
        keys = [p.key for p in shown]
        reports = {
            r.period: r
            for r in await session.scalars(
                select(Report).where(
                    Report.reporting_unit_id == unit.unit_id, Report.period.in_(keys)
                )
            )
        }
        drafts = set(
            await session.scalars(
                select(ReportDraft.period).where(
                    ReportDraft.reporting_unit_id == unit.unit_id, ReportDraft.period.in_(keys)
                )
            )
        )
        rows = []
        for period in shown:
            report = reports.get(period.key)
            state = state_on(period, today, calendar)
            if report is not None:
                kind = StatusKind.SUBMITTED_LATE if report.late else StatusKind.SUBMITTED
            elif period.key in drafts and state is not PeriodState.LOCKED:
                kind = StatusKind.IN_PROGRESS
            else:
                kind = {
                    PeriodState.NOT_OPEN: StatusKind.NOT_OPEN,
                    PeriodState.OPEN: StatusKind.DUE,
                    PeriodState.OVERDUE: StatusKind.OVERDUE,
                    PeriodState.LOCKED: StatusKind.MISSING,
                }[state]
            rows.append(
                PeriodStatus(
                    period,
                    kind,
                    due_date(period, calendar),
                    report.submitted_at if report else None,
                    lock_date(period, calendar),
                    open_date(period, calendar),
                    state is PeriodState.LOCKED,
                )
            )
        result.append(UnitStatus(unit, rows))
    return result


def lock_day_of(period: Period, setup: ReportingSetup) -> date:
    return lock_date(period, setup.calendar)


def dates_of(period: Period, setup: ReportingSetup) -> PeriodDates:
    calendar = setup.calendar
    return PeriodDates(
        period, open_date(period, calendar), due_date(period, calendar), lock_date(period, calendar)
    )


def next_opening(setup: ReportingSetup, now: datetime) -> PeriodDates:
    """The next month to open for reports (this month, before its opening day)."""
    today = local_date(now, setup)
    period = Period.of(today)
    while open_date(period, setup.calendar) <= today:
        period = period.next()
    return dates_of(period, setup)


async def has_reported(session: AsyncSession, unit_id: int, period_key: str) -> bool:
    """Whether the unit's report for the month is in (a reminder queued earlier is then moot)."""
    found = await session.scalar(
        select(Report.id).where(Report.reporting_unit_id == unit_id, Report.period == period_key)
    )
    return found is not None
