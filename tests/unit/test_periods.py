"""Reporting months and their calendar: opening, due and lock days, moved off weekends and Tết."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from grassroots_config import DEFAULT_CONFIG_DIR

from services.indicators import ConfigFileError
from services.periods import (
    DEFAULT_CALENDAR_FILE,
    DayRule,
    Period,
    PeriodState,
    ReportingCalendar,
    due_date,
    is_late,
    is_working_day,
    load_calendar,
    lock_date,
    next_working_day,
    open_date,
    open_periods,
    state_on,
)

DEFAULT = ReportingCalendar()


def calendar(**fields: Any) -> ReportingCalendar:
    return ReportingCalendar.model_validate(fields)


# --- Period ---------------------------------------------------------------------------------


def test_period_key_round_trip() -> None:
    period = Period(2026, 10)
    assert period.key == "2026-10"
    assert str(period) == "2026-10"
    assert Period.from_key("2026-10") == period
    assert Period.from_key("2027-01").key == "2027-01"


@pytest.mark.parametrize("key", ["2026-13", "2026-00", "2026-1", "26-10", "2026/10", "", "abc"])
def test_bad_period_keys(key: str) -> None:
    with pytest.raises(ValueError):
        Period.from_key(key)


@pytest.mark.parametrize(
    ("period", "language", "label"),
    [
        (Period(2026, 10), "vi", "tháng 10/2026"),
        (Period(2026, 10), "en", "October 2026"),
        (Period(2027, 1), "vi", "tháng 1/2027"),
        (Period(2027, 1), "en", "January 2027"),
        (Period(2027, 1), "fr", "tháng 1/2027"),
    ],
)
def test_period_label(period: Period, language: str, label: str) -> None:
    assert period.label(language) == label


def test_period_arithmetic() -> None:
    assert Period(2027, 1).previous() == Period(2026, 12)
    assert Period(2026, 12).next() == Period(2027, 1)
    assert Period(2026, 10).previous() == Period(2026, 9)
    assert Period(2026, 3).same_month_last_year() == Period(2025, 3)
    assert Period(2026, 3).shift(-15) == Period(2024, 12)
    assert Period.of(date(2026, 2, 28)) == Period(2026, 2)
    assert Period(2024, 2).last_day == date(2024, 2, 29)
    assert Period(2026, 2).last_day == date(2026, 2, 28)


def test_periods_order_by_time() -> None:
    periods = [Period(2027, 1), Period(2026, 2), Period(2026, 12)]
    assert sorted(periods) == [Period(2026, 2), Period(2026, 12), Period(2027, 1)]
    assert Period(2026, 12) < Period(2027, 1)


@pytest.mark.parametrize(("year", "month"), [(2026, 0), (2026, 13), (0, 1)])
def test_no_such_month(year: int, month: int) -> None:
    with pytest.raises(ValueError):
        Period(year, month)


# --- the calendar file ----------------------------------------------------------------------


def test_the_default_calendar_file_matches_the_defaults() -> None:
    assert DEFAULT_CALENDAR_FILE == DEFAULT_CONFIG_DIR / "reporting.yaml"
    loaded = load_calendar(DEFAULT_CALENDAR_FILE)
    assert loaded.opens == DayRule(day=15)
    assert loaded.due == DayRule(day=25)
    assert loaded.lock == DayRule(day=10, month_offset=1)
    assert loaded.lookback_months == 3
    assert loaded == DEFAULT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("due: {day: 10}\n", ["due comes before opens"], id="due-before-opens"),
        pytest.param(
            "lock: {day: 20, month_offset: 0}\n", ["lock comes before due"], id="lock-before-due"
        ),
        pytest.param("due: {day: 32}\n", ["due.day", "31", "32"], id="day-32"),
        pytest.param("due: {day: 0}\n", ["due.day"], id="day-0"),
        pytest.param("due: {day: 5, month_offset: 3}\n", ["due.month_offset"], id="offset-3"),
        pytest.param("due: {dya: 5}\n", ["due.dya", "not a known field"], id="typo"),
        pytest.param(
            "extra_holidays: [2027-02-20]\nextra_working_days: [2027-02-20]\n",
            ["2027-02-20", "both"],
            id="holiday-and-working-day",
        ),
        pytest.param(
            "extra_holidays: [20/02/2027]\n", ["extra_holidays[0]", "20/02/2027"], id="bad-date"
        ),
        pytest.param("lookback_months: 0\n", ["lookback_months (0)"], id="short-lookback"),
        pytest.param("due: {day: 25\n", ["YAML syntax error at line 2"], id="yaml-syntax"),
    ],
)
def test_a_broken_calendar_stops_with_one_line(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    path = tmp_path / "lich_bao_cao.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigFileError) as caught:
        load_calendar(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    for fragment in expected:
        assert fragment in message, message


def test_a_missing_calendar_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="file not found"):
        load_calendar(tmp_path / "reporting.yaml")


def test_due_and_lock_may_share_a_day() -> None:
    cal = calendar(due={"day": 25}, lock={"day": 25})
    # The officer keeps the whole due day; the period locks on the next working day.
    assert due_date(Period(2026, 7), cal) == date(2026, 7, 27)
    assert lock_date(Period(2026, 7), cal) == date(2026, 7, 28)
    assert state_on(Period(2026, 7), date(2026, 7, 27), cal) is PeriodState.OPEN
    assert state_on(Period(2026, 7), date(2026, 7, 28), cal) is PeriodState.LOCKED


# --- working days ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 7, 24), True),  # Friday
        (date(2026, 7, 25), False),  # Saturday
        (date(2026, 7, 26), False),  # Sunday
        (date(2026, 1, 1), False),  # New Year
        (date(2026, 2, 13), True),  # Friday before Tết
        (date(2026, 2, 16), False),  # Tết 2026: Monday 16 to Friday 20 February
        (date(2026, 2, 20), False),
        (date(2026, 2, 23), True),
        (date(2027, 2, 4), False),  # Tết 2027: Thursday 4 to Wednesday 10 February
        (date(2027, 2, 10), False),
        (date(2027, 2, 11), True),
        (date(2026, 4, 27), False),  # Hùng Kings' day (26 April, a Sunday), observed
        (date(2026, 9, 2), False),  # National Day
        (date(2026, 8, 22), True),  # a Saturday worked in exchange for 31 August 2026
        (date(2026, 8, 31), False),
    ],
)
def test_vietnamese_working_days(day: date, working: bool) -> None:
    assert is_working_day(day, DEFAULT) is working


def test_extra_days_override_the_public_calendar() -> None:
    cal = calendar(extra_holidays=["2026-07-24"], extra_working_days=["2026-07-25", "2027-02-08"])
    assert not is_working_day(date(2026, 7, 24), cal)
    assert is_working_day(date(2026, 7, 25), cal)  # a Saturday worked
    assert is_working_day(date(2027, 2, 8), cal)  # even inside Tết, if the province says so


def test_next_working_day() -> None:
    assert next_working_day(date(2026, 7, 24), DEFAULT) == date(2026, 7, 24)
    assert next_working_day(date(2026, 7, 25), DEFAULT) == date(2026, 7, 27)
    assert next_working_day(date(2026, 12, 31), DEFAULT) == date(2026, 12, 31)
    assert next_working_day(date(2027, 1, 1), DEFAULT) == date(2027, 1, 4)  # across a year


# --- a period's dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cal", "period", "due"),
    [
        pytest.param(DEFAULT, Period(2026, 7), date(2026, 7, 27), id="saturday-to-monday"),
        pytest.param(DEFAULT, Period(2026, 10), date(2026, 10, 26), id="sunday-to-monday"),
        pytest.param(
            DEFAULT, Period(2026, 4), date(2026, 4, 28), id="weekend-then-observed-holiday"
        ),
        pytest.param(DEFAULT, Period(2026, 6), date(2026, 6, 25), id="thursday-stays"),
        pytest.param(
            calendar(due={"day": 5, "month_offset": 1}),
            Period(2027, 1),
            date(2027, 2, 11),
            id="tet-2027-eve",
        ),
        pytest.param(
            calendar(due={"day": 8, "month_offset": 1}),
            Period(2027, 1),
            date(2027, 2, 11),
            id="tet-2027-third-day",
        ),
        pytest.param(
            calendar(due={"day": 16, "month_offset": 1}, lock={"day": 20, "month_offset": 1}),
            Period(2026, 1),
            date(2026, 2, 23),
            id="tet-2026",
        ),
        pytest.param(
            calendar(
                due={"day": 5, "month_offset": 1},
                extra_holidays=["2027-02-11", "2027-02-12"],
                extra_working_days=["2027-02-20"],
            ),
            Period(2027, 1),
            date(2027, 2, 15),
            id="tet-2027-with-bridge-days-off",
        ),
        pytest.param(
            calendar(extra_working_days=["2026-07-25"]),
            Period(2026, 7),
            date(2026, 7, 25),
            id="saturday-worked-stays",
        ),
        pytest.param(
            calendar(due={"day": 22}), Period(2026, 8), date(2026, 8, 22), id="official-swap"
        ),
        pytest.param(
            calendar(due={"day": 31}), Period(2026, 2), date(2026, 3, 2), id="last-day-of-february"
        ),
        pytest.param(
            calendar(due={"day": 31}, lock={"day": 31, "month_offset": 1}),
            Period(2026, 6),
            date(2026, 6, 30),
            id="day-31-in-a-30-day-month",
        ),
    ],
)
def test_due_date(cal: ReportingCalendar, period: Period, due: date) -> None:
    assert due_date(period, cal) == due
    assert is_working_day(due, cal)


def test_open_date_is_not_moved() -> None:
    cal = calendar(opens={"day": 6, "month_offset": 0})
    assert open_date(Period(2027, 2), cal) == date(2027, 2, 6)  # the first day of Tết


@pytest.mark.parametrize(
    ("period", "lock"),
    [
        (Period(2026, 10), date(2026, 11, 10)),  # a Tuesday
        (Period(2026, 12), date(2027, 1, 11)),  # Sunday 10 January → Monday
        (Period(2027, 1), date(2027, 2, 11)),  # 10 February 2027 is the fifth day of Tết
    ],
)
def test_lock_date(period: Period, lock: date) -> None:
    assert lock_date(period, DEFAULT) == lock


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (date(2026, 10, 1), PeriodState.NOT_OPEN),
        (date(2026, 10, 14), PeriodState.NOT_OPEN),
        (date(2026, 10, 15), PeriodState.OPEN),
        (date(2026, 10, 25), PeriodState.OPEN),  # Sunday: the due day moved to Monday
        (date(2026, 10, 26), PeriodState.OPEN),
        (date(2026, 10, 27), PeriodState.OVERDUE),
        (date(2026, 11, 9), PeriodState.OVERDUE),
        (date(2026, 11, 10), PeriodState.LOCKED),
        (date(2027, 3, 1), PeriodState.LOCKED),
        (date(2026, 9, 20), PeriodState.NOT_OPEN),
    ],
)
def test_state_on(today: date, state: PeriodState) -> None:
    assert state_on(Period(2026, 10), today, DEFAULT) is state


@pytest.mark.parametrize(
    ("submitted", "late"),
    [
        (date(2026, 10, 15), False),
        (date(2026, 10, 25), False),
        (date(2026, 10, 26), False),  # the moved due day is still on time
        (date(2026, 10, 27), True),
        (date(2026, 11, 20), True),
    ],
)
def test_is_late(submitted: date, late: bool) -> None:
    assert is_late(Period(2026, 10), submitted, DEFAULT) is late


# --- which periods can be reported today ----------------------------------------------------


@pytest.mark.parametrize(
    ("cal", "today", "periods"),
    [
        pytest.param(DEFAULT, date(2026, 10, 14), [], id="after-lock-before-opening"),
        pytest.param(DEFAULT, date(2026, 10, 11), ["2026-09"], id="lock-moved-off-saturday"),
        pytest.param(DEFAULT, date(2026, 10, 9), ["2026-09"], id="last-month-overdue"),
        pytest.param(DEFAULT, date(2026, 10, 12), [], id="between-lock-and-opening"),
        pytest.param(DEFAULT, date(2026, 10, 20), ["2026-10"], id="this-month"),
        pytest.param(DEFAULT, date(2026, 12, 31), ["2026-12"], id="new-years-eve"),
        pytest.param(DEFAULT, date(2027, 1, 5), ["2026-12"], id="across-the-year"),
        pytest.param(DEFAULT, date(2027, 1, 11), [], id="moved-lock-day"),
        pytest.param(
            calendar(opens={"day": 1}, lock={"day": 10, "month_offset": 2}),
            date(2027, 1, 5),
            ["2027-01", "2026-12", "2026-11"],
            id="newest-first-across-the-year",
        ),
        pytest.param(
            # November 2025 locks on Saturday 31 January 2026, moved to Monday 2 February.
            calendar(lock={"day": 31, "month_offset": 2}, lookback_months=3),
            date(2026, 2, 1),
            ["2026-01", "2025-12", "2025-11"],
            id="lock-moved-into-the-next-month",
        ),
        pytest.param(
            calendar(lock={"day": 31, "month_offset": 2}, lookback_months=2),
            date(2026, 2, 1),
            ["2026-01", "2025-12"],
            id="at-most-lookback-months",
        ),
    ],
)
def test_open_periods(cal: ReportingCalendar, today: date, periods: list[str]) -> None:
    assert [p.key for p in open_periods(today, cal)] == periods


def test_open_periods_agree_with_state_on_every_day_of_a_year() -> None:
    day = date(2026, 1, 1)
    while day < date(2027, 3, 1):
        reportable = {p for p in open_periods(day, DEFAULT)}
        for back in range(DEFAULT.lookback_months + 1):
            period = Period.of(day).shift(-back)
            state = state_on(period, day, DEFAULT)
            assert (period in reportable) is (state in (PeriodState.OPEN, PeriodState.OVERDUE))
        day += timedelta(days=1)
