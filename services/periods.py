"""Monthly reporting periods and their calendar: when a month opens, is due and locks.

The days come from ``config/reporting.yaml`` (see ``docs/indicators.md``). A due or lock day that
falls on a weekend or a Vietnamese public holiday moves to the next working day: an officer must
never be late because the deadline was Tết. Dates here are calendar dates in Asia/Ho_Chi_Minh;
the caller turns "now" into today's date in that zone.
"""

from __future__ import annotations

import calendar as gregorian
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Final, Literal

import holidays
from babel.dates import format_date
from grassroots_config import DEFAULT_CONFIG_DIR
from pydantic import Field, model_validator

from models import UnitKind
from services.config_files import StrictModel, load_yaml_model

DEFAULT_CALENDAR_FILE: Final = DEFAULT_CONFIG_DIR / "reporting.yaml"

_KEY: Final = re.compile(r"(\d{4})-(\d{2})")
# CLDR's "MMMM" is "tháng 10" in Vietnamese and "October" in English.
_LABEL_PATTERN: Final = {"vi": "MMMM/y", "en": "MMMM y"}


@dataclass(frozen=True, order=True)
class Period:
    """One reporting month. Ordered by time; ``key`` ("2026-10") is how it is stored."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9999:
            raise ValueError(f"no such month: {self.year}-{self.month}")

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    @classmethod
    def from_key(cls, key: str) -> Period:
        """ "2026-10" → Period(2026, 10); ValueError for anything else."""
        match = _KEY.fullmatch(key)
        if match is None:
            raise ValueError(f"not a period key: {key!r}")
        return cls(int(match[1]), int(match[2]))

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __str__(self) -> str:
        return self.key

    def label(self, language: str) -> str:
        """ "tháng 10/2026" (vi) / "October 2026" (en)."""
        locale = "en" if language == "en" else "vi"
        return format_date(self.first_day, format=_LABEL_PATTERN[locale], locale=locale)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, gregorian.monthrange(self.year, self.month)[1])

    def shift(self, months: int) -> Period:
        index = self.year * 12 + self.month - 1 + months
        return Period(index // 12, index % 12 + 1)

    def previous(self) -> Period:
        return self.shift(-1)

    def next(self) -> Period:
        return self.shift(1)

    def same_month_last_year(self) -> Period:
        return self.shift(-12)


class DayRule(StrictModel):
    """A day of the period's month (offset 0) or of a later month (offset 1, 2)."""

    day: int = Field(ge=1, le=31)  # 31 means the month's last day, whatever its length
    month_offset: int = Field(default=0, ge=0, le=2)

    def on(self, period: Period) -> date:
        month = period.shift(self.month_offset)
        return month.first_day.replace(day=min(self.day, month.last_day.day))

    def _order(self) -> tuple[int, int]:
        # Clamping to the month's length never reverses two days of the same month, and a
        # later month is always later: comparing (offset, day) holds for every month.
        return (self.month_offset, self.day)


class ReviewRule(StrictModel):
    """Who reviews a unit kind's reports: at which level above the unit (its zone or commune,
    or the province), and who there decides: the steering committee members of that node
    (``committee``), or the officers of the units of one kind placed on it (``zone_union``)."""

    level: Literal["zone", "province"]
    by: Literal["committee"] | UnitKind


class DocumentSchedule(StrictModel):
    """When the committee's report documents go out by themselves (services/documents): the
    quarter's once its last month has locked, the year's on a day before 31 December; each
    within ``relevant_days`` (a bot down for longer does not send stale ones)."""

    quarterly: bool = True
    yearly: bool = True
    yearly_month: int = Field(default=12, ge=1, le=12)
    yearly_day: int = Field(default=20, ge=1, le=30)
    relevant_days: int = Field(default=7, ge=1, le=60)

    @model_validator(mode="after")
    def _a_real_day(self) -> DocumentSchedule:
        date(2001, self.yearly_month, self.yearly_day)  # ValueError for 30 February
        return self


class ReportingCalendar(StrictModel):
    opens: DayRule = DayRule(day=15)
    due: DayRule = DayRule(day=25)
    lock: DayRule = DayRule(day=10, month_offset=1)
    # Days off beyond the public holidays the `holidays` package knows (a provincial decision),
    # and weekend days worked (Vietnam swaps days around Tết and 2 September).
    # (A pydantic model: each instance gets its own copy of these lists.)
    extra_holidays: list[date] = []  # noqa: RUF012
    extra_working_days: list[date] = []  # noqa: RUF012
    lookback_months: int = Field(default=3, ge=0, le=24)
    # Unit kinds whose reports the level above reviews; a kind not listed is not reviewed (the
    # default: nothing to approve, nothing locked).
    review: dict[UnitKind, ReviewRule] = {}  # noqa: RUF012
    # The report documents sent by themselves to committee members; None (the default): never.
    documents: DocumentSchedule | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ReportingCalendar:
        for kind, rule in self.review.items():
            if rule.by == kind:
                raise ValueError(f"review.{kind.value}: a unit kind cannot review itself")
        if self.due._order() < self.opens._order():
            raise ValueError("due comes before opens: a period must open before it is due")
        if self.lock._order() < self.due._order():
            raise ValueError("lock comes before due: a period must be due before it locks")
        both = sorted(set(self.extra_holidays) & set(self.extra_working_days))
        if both:
            raise ValueError(
                f"{both[0].isoformat()} is in both extra_holidays and extra_working_days"
            )
        if self.lookback_months < self.lock.month_offset:
            raise ValueError(
                f"lookback_months ({self.lookback_months}) is shorter than lock.month_offset "
                f"({self.lock.month_offset}): a period would vanish before it locks"
            )
        return self


def load_calendar(path: Path = DEFAULT_CALENDAR_FILE) -> ReportingCalendar:
    """Load and check the calendar; ConfigFileError (one line) on any problem."""
    return load_yaml_model(path, ReportingCalendar)


# --- working days ---------------------------------------------------------------------------


@cache
def _public_holidays(year: int) -> holidays.HolidayBase:
    # Includes Tết (the package computes the lunar dates, with its own observed-day rules) and
    # the Saturdays the government declares worked in exchange for a bridge day.
    return holidays.country_holidays("VN", years=year)


def is_working_day(day: date, cal: ReportingCalendar) -> bool:
    """Monday to Friday and not a Vietnamese public holiday, unless the calendar says otherwise."""
    if day in cal.extra_working_days:
        return True
    if day in cal.extra_holidays:
        return False
    return bool(_public_holidays(day.year).is_working_day(day))


def next_working_day(day: date, cal: ReportingCalendar) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day, cal):
        day += timedelta(days=1)
    return day


# --- a period's dates -----------------------------------------------------------------------


def open_date(period: Period, cal: ReportingCalendar) -> date:
    """First day a report can be made. Not shifted: opening early on a holiday harms no one."""
    return cal.opens.on(period)


def due_date(period: Period, cal: ReportingCalendar) -> date:
    """Last day a report is on time, moved off weekends and holidays."""
    return next_working_day(cal.due.on(period), cal)


def lock_date(period: Period, cal: ReportingCalendar) -> date:
    """First day the period is locked, moved off weekends and holidays like the due date.

    Always after the due date: when due and lock fall on one day (or shift onto one), the
    officer keeps the whole due day and the period locks on the next working day.
    """
    lock = next_working_day(cal.lock.on(period), cal)
    due = due_date(period, cal)
    return lock if lock > due else next_working_day(due + timedelta(days=1), cal)


class PeriodState(StrEnum):
    """Where an unsubmitted period stands on a given day."""

    NOT_OPEN = "not_open"
    OPEN = "open"
    OVERDUE = "overdue"  # still accepted, marked late
    LOCKED = "locked"


def state_on(period: Period, today: date, cal: ReportingCalendar) -> PeriodState:
    if today >= lock_date(period, cal):
        return PeriodState.LOCKED
    if today > due_date(period, cal):
        return PeriodState.OVERDUE
    if today >= open_date(period, cal):
        return PeriodState.OPEN
    return PeriodState.NOT_OPEN


def is_late(period: Period, submitted_on: date, cal: ReportingCalendar) -> bool:
    """Submitted after the (shifted) due date."""
    return submitted_on > due_date(period, cal)


def open_periods(today: date, cal: ReportingCalendar) -> list[Period]:
    """Periods a report can be made for today (open or overdue, not locked), newest first.

    Looks back at most ``lookback_months`` months from today's month.
    """
    current = Period.of(today)
    candidates = (current.shift(-back) for back in range(cal.lookback_months + 1))
    return [p for p in candidates if open_date(p, cal) <= today < lock_date(p, cal)]
