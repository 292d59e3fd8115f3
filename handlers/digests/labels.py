"""The digest's numbers and labels, written the local way (Babel): "1.500" and "12,5%" in
Vietnamese, "1,500" and "12.5%" in English; its periods ("quý IV/2026") and its file names. Shared
by the text (text.py), the chart (chart.py) and the workbook (excel.py), which only read the plain
``services.digests`` results."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Final

from infra.i18n import capitalized, normalize_language, number, tr
from infra.i18n import percent as percent_sign
from services.digests import (
    AreaRate,
    DigestPeriod,
    PeriodKind,
    SuppressedCount,
    TargetProgress,
)
from services.periods import Period
from services.targets import TargetStatus

DASH: Final = "—"

_ROMAN: Final = ("I", "II", "III", "IV")


def _locale(language: str) -> str:
    return normalize_language(language)


def count(value: Decimal | int | None, language: str) -> str:
    """1500 → "1.500" (vi) / "1,500" (en); None → "—"."""
    return DASH if value is None else number(value, _locale(language))


def percent(fraction: float | None, language: str) -> str:
    """0.125 → "12,5%" (vi) / "12.5%" (en); None → "—"."""
    if fraction is None:
        return DASH
    return percent_sign(fraction * 100, language)


def change(current: Decimal | None, before: Decimal | None, language: str) -> str | None:
    """ "+20,0%" against ``before``; None when there is nothing to compare with."""
    if current is None or before is None or before == 0:
        return None
    text = percent(float((current - before) / before), language)
    return text if text.startswith("-") else f"+{text}"


def suppressed(value: SuppressedCount, language: str) -> str:
    """ "12", "<5" or "≥ 7" (see ``SuppressedCount``)."""
    if value.exact:
        return count(value.visible, language)
    if value.below_five:
        return "<5"
    return f"≥ {count(value.lower_bound, language)}"


def period_label(period: DigestPeriod, language: str) -> str:
    """ "tháng 10/2026", "quý IV/2026", "năm 2026" (vi); "October 2026", "Q4 2026", "2026"."""
    if period.kind is PeriodKind.MONTH:
        return Period(period.year, period.number).label(language)
    if period.kind is PeriodKind.QUARTER:
        quarter = _ROMAN[period.number - 1] if _locale(language) == "vi" else str(period.number)
        return tr(language, "Q{quarter} {year}", quarter=quarter, year=period.year)
    return tr(language, "year {year}", year=period.year)


def period_button(period: DigestPeriod, language: str) -> str:
    """The period on a button: "Tháng 11/2026", "Quý IV/2026", "Năm 2026"."""
    return capitalized(period_label(period, language))


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_FILE_ABBREVIATIONS: Final = (
    (re.compile(r"\bkhu công nghiệp\b", re.IGNORECASE), "KCN"),
    (re.compile(r"\bkhu kinh tế\b", re.IGNORECASE), "KKT"),
)
_FILE_NAME_MAX: Final = 48


def file_name(scope_name: str, period: DigestPeriod, suffix: str) -> str:
    """ "tong-hop-KCN-Que-Vo-2026-11.xlsx": the scope and the period in the name, so that files
    forwarded to the office keep saying what they are; ASCII only, which every phone, mail
    server and Windows share accepts."""
    name = scope_name
    for pattern, short in _FILE_ABBREVIATIONS:
        name = pattern.sub(short, name)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", _ascii(name)).strip("-")
    slug = slug[:_FILE_NAME_MAX].rstrip("-") or "to-chuc"
    return f"tong-hop-{slug}-{period.key}.{suffix}"


def month_short(month: Period) -> str:
    return f"{month.month:02d}/{month.year}"


def area_name(area: AreaRate, language: str) -> str:
    return tr(language, "{name} (directly)", name=area.name) if area.direct else area.name


def target_status(progress: TargetProgress, language: str) -> str:
    if progress.status is None:
        return tr(language, "no data yet")
    if progress.reached:
        return tr(language, "reached")
    if progress.status is TargetStatus.ON_TRACK:
        return tr(language, "on track")
    return tr(language, "behind")
