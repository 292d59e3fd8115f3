"""Wording shared by every conversation: one percent style, "tỷ lệ", English plurals."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from handlers.reports.views import value_text
from infra.i18n import load_catalog, percent, plural
from services.indicators import Indicator, IndicatorKind, Label, load_indicator_config


@pytest.mark.parametrize(
    "value,language,places,shown",
    [
        (97.2, "vi", 1, "97,2%"),
        (97.2, "en", 1, "97.2%"),
        (Decimal("12.5"), "vi", None, "12,5%"),
        (Decimal(80), "vi", None, "80%"),
        (1500.24, "vi", 1, "1.500,2%"),
        (0, "en", 1, "0.0%"),
    ],
)
def test_one_percent_style_without_a_space(
    value: float | Decimal, language: str, places: int | None, shown: str
) -> None:
    assert percent(value, language, places=places) == shown


def test_no_vietnamese_text_spaces_a_percent_sign_or_writes_ti_le() -> None:
    catalog = load_catalog("vi")
    spaced = [m.id for m in catalog if m.id and re.search(r"[0-9}] %", str(m.string))]
    assert not spaced, spaced
    ti_le = [m.id for m in catalog if m.id and re.search(r"\btỉ lệ", str(m.string), re.I)]
    assert not ti_le, ti_le


def test_english_plurals_and_vietnamese_without_them() -> None:
    one, other = "{n} unit", "{n} units"
    assert plural("en", 1, one, other, n=1) == "1 unit"
    assert plural("en", 2, one, other, n=2) == "2 units"
    assert plural("en", 0, one, other, n=0) == "0 units"


def test_a_count_of_one_person_reads_in_the_singular() -> None:
    config = load_indicator_config()
    union = config.for_kind(next(s.unit_kind for s in config.sets))
    assert union is not None
    workers = next(i for i in union.indicators if i.code == "workers")
    assert value_text(workers, Decimal(1), "en") == "1 person"
    assert value_text(workers, Decimal(1500), "en") == "1,500 people"
    assert value_text(workers, Decimal(1), "vi") == "1 người"
    # Every unit of the shipped configuration knows its English singular.
    missing = [
        (s.unit_kind.value, i.code)
        for s in config.sets
        for i in s.indicators
        if i.unit is not None and i.unit.en_one is None
    ]
    assert not missing, missing


def test_a_percentage_figure_is_shown_in_the_same_style() -> None:
    indicator = Indicator(
        code="share", label=Label(vi="Tỷ lệ", en="Share"), kind=IndicatorKind.PERCENT
    )
    assert value_text(indicator, Decimal("12.5"), "vi") == "12,5%"
    assert value_text(indicator, Decimal("12.5"), "en") == "12.5%"


def test_reminders_count_days_and_units_in_the_singular_too() -> None:
    from datetime import UTC, date, datetime

    from handlers.reports.reminders import _when, render
    from services.periods import Period
    from services.reminders import EscalationDue, Recipient

    assert _when(1, "en") == "1 day left" and _when(3, "en") == "3 days left"
    assert _when(-1, "en") == "overdue by 1 day" and _when(-2, "en") == "overdue by 2 days"
    assert _when(1, "vi") == "còn 1 ngày"
    escalation = EscalationDue(
        Recipient(1, "telegram", "1", "en"),
        "KCN Quế Võ",
        Period(2026, 11),
        date(2026, 11, 25),
        ("CĐCS Hanam Vina",),
        datetime(2026, 11, 28, tzinfo=UTC),
    )
    (message,) = render([], [escalation])
    assert message.text.startswith("⚠️ KCN Quế Võ: 1 unit has not sent its report")
