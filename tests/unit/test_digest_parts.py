"""Pure parts of the digest: periods, suppression, numbers, and splitting long texts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from handlers.digests.chart import _tick
from handlers.digests.labels import (
    change,
    count,
    file_name,
    percent,
    period_button,
    period_label,
    suppressed,
)
from handlers.digests.text import split_message
from services.digests import DigestPeriod, PeriodKind, SuppressedCount
from services.periods import Period

# --- periods --------------------------------------------------------------------------------


def test_months_of_each_kind() -> None:
    assert DigestPeriod.of_month(2026, 10).months == (Period(2026, 10),)
    assert DigestPeriod.of_quarter(2026, 4).months == (
        Period(2026, 10),
        Period(2026, 11),
        Period(2026, 12),
    )
    year = DigestPeriod.of_year(2026)
    assert (year.first, year.last, len(year.months)) == (Period(2026, 1), Period(2026, 12), 12)


def test_previous_same_period_last_year_and_year_to_date() -> None:
    january = DigestPeriod.of_month(2026, 1)
    assert january.previous() == DigestPeriod.of_month(2025, 12)
    assert january.same_period_last_year() == DigestPeriod.of_month(2025, 1)
    assert january.year_to_date == (Period(2026, 1),)
    first_quarter = DigestPeriod.of_quarter(2026, 1)
    assert first_quarter.previous() == DigestPeriod.of_quarter(2025, 4)
    assert DigestPeriod.of_quarter(2026, 3).year_to_date == tuple(
        Period(2026, m) for m in range(1, 10)
    )
    assert DigestPeriod.of_year(2026).previous() == DigestPeriod.of_year(2025)
    assert DigestPeriod.of_month(2026, 11).shift(3) == DigestPeriod.of_month(2027, 2)


@pytest.mark.parametrize(
    "key,period",
    [
        ("2026-10", DigestPeriod(PeriodKind.MONTH, 2026, 10)),
        ("2026-Q4", DigestPeriod(PeriodKind.QUARTER, 2026, 4)),
        ("2026-q1", DigestPeriod(PeriodKind.QUARTER, 2026, 1)),
        ("2026", DigestPeriod(PeriodKind.YEAR, 2026)),
    ],
)
def test_keys(key: str, period: DigestPeriod) -> None:
    assert DigestPeriod.parse(key) == period
    assert DigestPeriod.parse(period.key) == period


@pytest.mark.parametrize("key", ["2026-13", "2026-Q5", "26", "2026-10-01", ""])
def test_bad_keys(key: str) -> None:
    with pytest.raises(ValueError):
        DigestPeriod.parse(key)


def test_labels() -> None:
    assert period_label(DigestPeriod.of_month(2026, 10), "vi") == "tháng 10/2026"
    assert period_label(DigestPeriod.of_quarter(2026, 4), "vi") == "quý IV/2026"
    assert period_label(DigestPeriod.of_year(2026), "vi") == "năm 2026"
    assert period_label(DigestPeriod.of_month(2026, 10), "en") == "October 2026"
    assert period_label(DigestPeriod.of_quarter(2026, 4), "en") == "Q4 2026"


def test_file_names_carry_the_scope_and_the_period_in_ascii() -> None:
    november = DigestPeriod.of_month(2026, 11)
    assert file_name("Khu công nghiệp Quế Võ", november, "xlsx") == (
        "tong-hop-KCN-Que-Vo-2026-11.xlsx"
    )
    assert file_name("KCN Đình Trám", DigestPeriod.of_quarter(2026, 4), "png") == (
        "tong-hop-KCN-Dinh-Tram-2026-Q4.png"
    )
    assert file_name("Tỉnh Bắc Ninh (dữ liệu mẫu)", DigestPeriod.of_year(2026), "xlsx") == (
        "tong-hop-Tinh-Bac-Ninh-du-lieu-mau-2026.xlsx"
    )
    long = file_name("Công ty TNHH " + "Sản xuất Thương mại " * 10, november, "xlsx")
    assert long.isascii() and len(long) <= 80 and long.endswith("-2026-11.xlsx")
    assert file_name("???", november, "xlsx") == "tong-hop-to-chuc-2026-11.xlsx"


def test_percent_ticks_have_no_space() -> None:
    assert _tick(20.0, "vi") == "20%" and _tick(100.0, "en") == "100%"


def test_period_buttons_start_with_a_capital() -> None:
    assert period_button(DigestPeriod.of_month(2026, 11), "vi") == "Tháng 11/2026"
    assert period_button(DigestPeriod.of_quarter(2026, 4), "vi") == "Quý IV/2026"
    assert period_button(DigestPeriod.of_year(2026), "vi") == "Năm 2026"
    assert period_button(DigestPeriod.of_year(2026), "en") == "Year 2026"
    assert period_button(DigestPeriod.of_month(2026, 11), "en") == "November 2026"


# --- suppression ----------------------------------------------------------------------------


def total(*per_enterprise: int) -> SuppressedCount:
    result = SuppressedCount()
    for number in per_enterprise:
        result = result.add(number)
    return result


@pytest.mark.parametrize(
    "per_enterprise,shown",
    [
        ((), "0"),
        ((0, 0), "0"),
        ((5,), "5"),
        ((5, 12), "17"),
        ((1,), "<5"),
        ((4,), "<5"),
        ((4, 0), "<5"),
        ((1, 1), "≥ 2"),  # could be 2 to 8: only a lower bound is true
        ((3, 5), "≥ 6"),
        ((2, 1500), "≥ 1.501"),
    ],
)
def test_counts_under_five_per_enterprise_are_hidden(
    per_enterprise: tuple[int, ...], shown: str
) -> None:
    assert suppressed(total(*per_enterprise), "vi") == shown


def test_a_hidden_count_never_survives_as_a_difference() -> None:
    # Enterprise A: 7, enterprise B: 2. If the total were exact (9), B's 2 would follow by
    # subtraction from A's shown 7; the total is only a bound instead.
    both = total(7, 2)
    assert not both.exact and both.lower_bound == 8
    assert suppressed(both, "en") == "≥ 8"


# --- numbers --------------------------------------------------------------------------------


def test_numbers_the_vietnamese_way() -> None:
    assert count(Decimal(1500), "vi") == "1.500"
    assert count(1500, "en") == "1,500"
    assert count(None, "vi") == "—"
    assert percent(0.125, "vi") == "12,5%"
    assert percent(0.125, "en") == "12.5%"
    assert percent(None, "vi") == "—"
    assert change(Decimal(15), Decimal(10), "vi") == "+50,0%"
    assert change(Decimal(5), Decimal(10), "vi") == "-50,0%"
    assert change(Decimal(5), Decimal(0), "vi") is None
    assert change(Decimal(5), None, "vi") is None


# --- splitting ------------------------------------------------------------------------------


def test_sections_are_packed_whole_when_they_fit() -> None:
    sections = [["a" * 10, "b" * 10], ["c" * 10], ["d" * 30]]
    assert split_message(sections, limit=40) == [
        "a" * 10 + "\n" + "b" * 10 + "\n\n" + "c" * 10,
        "d" * 30,
    ]


def test_a_long_section_is_cut_between_lines() -> None:
    lines = [f"{n:03d} " + "x" * 46 for n in range(100)]  # 50 characters each
    parts = split_message([["HEADER"], lines], limit=500)
    assert all(len(part) <= 500 for part in parts)
    rejoined = [line for part in parts for line in part.split("\n") if line]
    assert rejoined == ["HEADER", *lines]
    # A section longer than a message starts right after the one before it, not alone.
    assert parts[0].startswith("HEADER\n\n000 ")
    assert len(parts) == 12


def test_a_line_longer_than_a_message_is_shortened_not_split() -> None:
    parts = split_message([["short"], ["y" * 50]], limit=20)
    assert parts == ["short", "y" * 19 + "…"]


def test_empty_sections_are_skipped() -> None:
    assert split_message([[], ["a"], []], limit=10) == ["a"]
