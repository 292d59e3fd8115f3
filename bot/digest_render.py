"""The committee digest as people receive it: text messages, one PNG chart, one Excel file.

Lives in bot/ because it translates (services never import bot/); it only reads the plain
``services.digests`` results. Texts are plain (no parse mode): unit and enterprise names come from
the org import and may hold any character. Numbers are written the local way (Babel): "1.500" and
"12,5 %" in Vietnamese, "1,500" and "12.5%" in English.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from babel.numbers import format_decimal

from bot.i18n import day, normalize_language, number, tr
from services.digests import (
    AreaRate,
    Digest,
    DigestPeriod,
    FlowTotal,
    PeriodKind,
    SuppressedCount,
    TargetProgress,
    UnitRow,
    UnitTable,
)
from services.errors import N_
from services.indicators import IndicatorKind, Label
from services.periods import Period
from services.targets import MeasureKind, TargetStatus

# Telegram refuses messages over 4,096 characters; the margin covers a handler's own prefix.
TEXT_LIMIT: Final = 4000
# Beyond this, the text lists the first missing units and points to the spreadsheet.
MAX_MISSING_LINES: Final = 40
# The chart shows at most this many areas (the lowest reporting rates when there are more).
MAX_CHART_AREAS: Final = 25
DASH: Final = "—"

_ROMAN: Final = ("I", "II", "III", "IV")
_PREVIOUS: Final = {
    PeriodKind.MONTH: N_("previous month"),
    PeriodKind.QUARTER: N_("previous quarter"),
    PeriodKind.YEAR: N_("previous year"),
}


# --- numbers and labels ---------------------------------------------------------------------


def _locale(language: str) -> str:
    return normalize_language(language)


def count(value: Decimal | int | None, language: str) -> str:
    """1500 → "1.500" (vi) / "1,500" (en); None → "—"."""
    return DASH if value is None else number(value, _locale(language))


def percent(fraction: float | None, language: str) -> str:
    """0.125 → "12,5 %" (vi) / "12.5%" (en); None → "—"."""
    if fraction is None:
        return DASH
    locale = _locale(language)
    text = format_decimal(fraction * 100, format="#,##0.0", locale=locale)
    return f"{text} %" if locale == "vi" else f"{text}%"


def change(current: Decimal | None, before: Decimal | None, language: str) -> str | None:
    """ "+20,0 %" against ``before``; None when there is nothing to compare with."""
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


def _month_short(month: Period) -> str:
    return f"{month.month:02d}/{month.year}"


def area_name(area: AreaRate, language: str) -> str:
    return tr(language, "{name} (directly)", name=area.name) if area.direct else area.name


def _status(progress: TargetProgress, language: str) -> str:
    if progress.status is None:
        return tr(language, "no data yet")
    if progress.reached:
        return tr(language, "reached")
    if progress.status is TargetStatus.ON_TRACK:
        return tr(language, "on track")
    return tr(language, "behind")


# --- text -----------------------------------------------------------------------------------


def split_message(sections: Iterable[Sequence[str]], limit: int = TEXT_LIMIT) -> list[str]:
    """Pack sections (lists of lines) into messages of at most ``limit`` characters.

    Sections are kept whole when they fit, separated by a blank line; a section longer than a
    message is cut between lines, never inside one. A single line longer than ``limit`` (no
    digest line comes near it) is shortened with "…" rather than cut in two.
    """
    parts: list[str] = []
    current: list[str] = []
    size = 0

    def flush() -> None:
        nonlocal current, size
        if current:
            parts.append("\n".join(current).strip("\n"))
        current, size = [], 0

    for section in sections:
        lines = [line if len(line) <= limit else line[: limit - 1] + "…" for line in section]
        if not lines:
            continue
        block = len("\n".join(lines))
        if current and size + 2 + block > limit and block <= limit:
            flush()  # the section fits in a message of its own: keep it whole
        if current:
            current.append("")  # the blank line between sections
            size += 1
        for line in lines:
            extra = len(line) + (1 if current else 0)
            if current and size + extra > limit:
                flush()
                extra = len(line)
            current.append(line)
            size += extra
    flush()
    return parts


def _header(digest: Digest, language: str) -> list[str]:
    return [
        tr(
            language,
            "DIGEST: {scope}, {period}",
            scope=digest.scope.name,
            period=period_label(digest.period, language),
        ),
        tr(language, "Figures as of {date}.", date=day(digest.today, language)),
    ]


def _reporting(digest: Digest, language: str) -> list[str]:
    lines = [tr(language, "REPORTING")]
    overall = digest.overall
    if not overall.expected:
        lines.append(tr(language, "No month of this period is open for reports yet."))
        return lines
    lines.append(
        tr(
            language,
            "Reported: {rate} ({submitted} of {expected}); on time: {on_time_rate} "
            "({on_time}); late: {late}; missing: {missing}.",
            rate=percent(overall.reporting_rate, language),
            submitted=count(overall.submitted, language),
            expected=count(overall.expected, language),
            on_time_rate=percent(overall.on_time_rate, language),
            on_time=count(overall.on_time, language),
            late=count(overall.late, language),
            missing=count(overall.missing, language),
        )
    )
    if digest.areas:
        lines.append(tr(language, "By area, best first:"))
        for area in digest.areas:
            lines.append(
                tr(
                    language,
                    "{rank}. {area}: {rate}, on time {on_time_rate} ({submitted}/{expected})",
                    rank=area.rank,
                    area=area_name(area, language),
                    rate=percent(area.rate.reporting_rate, language),
                    on_time_rate=percent(area.rate.on_time_rate, language),
                    submitted=count(area.rate.submitted, language),
                    expected=count(area.rate.expected, language),
                )
            )
    return lines


def _missing(digest: Digest, language: str, max_lines: int) -> list[str]:
    if not digest.overall.expected:
        return []
    lines = [tr(language, "UNITS NOT YET REPORTED ({count})", count=len(digest.missing))]
    if not digest.missing:
        lines.append(tr(language, "Every unit has reported."))
        return lines
    several_months = len(digest.months_open) > 1
    for unit in digest.missing[:max_lines]:
        line = f"• {unit.code} {unit.name} — {unit.area_name}"
        if several_months:
            line += f" ({', '.join(_month_short(m) for m in unit.months)})"
        lines.append(line)
    rest = len(digest.missing) - max_lines
    if rest > 0:
        lines.append(
            tr(language, "… and {count} more (see the Excel file).", count=count(rest, language))
        )
    return lines


def _flow_line(flow: FlowTotal, digest: Digest, language: str) -> str:
    kind = digest.period.kind
    parts = [f"• {flow.label.get(language)}: {count(flow.current, language)}"]
    if kind is not PeriodKind.YEAR:
        previous_label = tr(language, _PREVIOUS[kind])
        previous = f"{previous_label} {count(flow.previous, language)}"
        delta = change(flow.current, flow.previous, language)
        parts.append(f"{previous} ({delta})" if delta else previous)
    same_label = tr(language, "same period last year")
    same = f"{same_label} {count(flow.last_year, language)}"
    delta = change(flow.current, flow.last_year, language)
    parts.append(f"{same} ({delta})" if delta else same)
    if kind is not PeriodKind.YEAR:
        parts.append(
            tr(
                language,
                "year to date {value} (last year {before})",
                value=count(flow.year_to_date, language),
                before=count(flow.year_to_date_last_year, language),
            )
        )
    return " · ".join(parts)


def _flows(digest: Digest, language: str) -> list[str]:
    shown = [
        flow
        for flow in digest.flows
        if any(
            value is not None
            for value in (
                flow.current,
                flow.previous,
                flow.last_year,
                flow.year_to_date,
                flow.year_to_date_last_year,
            )
        )
    ]
    if not shown:
        return []
    lines = [tr(language, "FIGURES OF THE PERIOD")]
    current_set: Label | None = None
    for flow in shown:
        if flow.set_label != current_set:
            current_set = flow.set_label
            lines.append(f"{flow.set_label.get(language)}:")
        lines.append(_flow_line(flow, digest, language))
    return lines


def _target_line(progress: TargetProgress, language: str) -> str:
    label = progress.label.get(language)
    status = _status(progress, language)
    if progress.measure is MeasureKind.SHARE:
        value = DASH if progress.value is None else percent(float(progress.value) / 100, language)
        return tr(
            language,
            "• {label}: {value} (target {target}; {yes} of {total} enterprises): {status}",
            label=label,
            value=value,
            target=percent(float(progress.target) / 100, language),
            yes=count(progress.numerator or 0, language),
            total=count(progress.denominator or 0, language),
            status=status,
        )
    return tr(
        language,
        "• {label}: {value} of {target} ({achieved}; {expected} due by now): {status}",
        label=label,
        value=count(progress.value, language),
        target=count(progress.target, language),
        achieved=percent(progress.achieved, language),
        expected=percent(progress.expected, language),
        status=status,
    )


def _targets(digest: Digest, language: str) -> list[str]:
    lines = [
        tr(
            language,
            "ANNUAL TARGETS {year} (months counted: {months}/12)",
            year=digest.period.year,
            months=digest.elapsed_months,
        )
    ]
    if not digest.targets:
        lines.append(tr(language, "No annual target is set for this level."))
        return lines
    lines.extend(_target_line(progress, language) for progress in digest.targets)
    return lines


def _concerns(digest: Digest, language: str) -> list[str]:
    lines = [
        tr(
            language,
            "WORKERS' CONCERNS: new / answered in the period / overdue on {date}",
            date=day(digest.today, language),
        )
    ]
    total = digest.concerns_total
    if all(c.exact and c.visible == 0 for c in (total.new, total.answered, total.overdue)):
        lines.append(tr(language, "No concerns in this period."))
        return lines
    for line in digest.concerns:
        cells = (line.new, line.answered, line.overdue)
        if all(c.exact and c.visible == 0 for c in cells):
            continue
        shown = " / ".join(suppressed(c, language) for c in cells)
        lines.append(f"• {line.label.get(language)}: {shown}")
    lines.append(
        tr(
            language,
            "Total: {new} / {answered} / {overdue}",
            new=suppressed(total.new, language),
            answered=suppressed(total.answered, language),
            overdue=suppressed(total.overdue, language),
        )
    )
    lines.append(
        tr(
            language,
            "<5: fewer than five at one enterprise, hidden to protect workers; "
            "≥ N: at least N, with the counts under five left out.",
        )
    )
    return lines


def render_text(
    digest: Digest,
    language: str,
    *,
    limit: int = TEXT_LIMIT,
    max_missing_lines: int = MAX_MISSING_LINES,
) -> list[str]:
    """The digest as messages of at most ``limit`` characters, split between sections (and,
    for a section longer than one message, between lines)."""
    sections = [
        _header(digest, language),
        _reporting(digest, language),
        _missing(digest, language, max_missing_lines),
        _flows(digest, language),
        _targets(digest, language),
        _concerns(digest, language),
    ]
    return split_message(sections, limit)


# --- chart ----------------------------------------------------------------------------------

_GREEN: Final = "#2e7d32"
_RED: Final = "#c62828"
_GREY: Final = "#9e9e9e"
_BLUE: Final = "#1565c0"
_LIGHT_BLUE: Final = "#90caf9"


def _tick(value: float, language: str) -> str:
    text = format_decimal(round(value), locale=_locale(language))
    return f"{text} %" if _locale(language) == "vi" else f"{text}%"


def _wrap(text: str, width: int = 34) -> str:
    return "\n".join(textwrap.wrap(text, width)[:2]) or text


def render_chart(digest: Digest, path: Path, language: str = "vi") -> Path:
    """One PNG: progress against each annual target (with the pace marker), and the reporting
    rate of each area (on time and late). Rendered with Agg, in DejaVu Sans, which has every
    Vietnamese letter; no pyplot, so nothing global is touched."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    targets = list(digest.targets)
    areas = list(digest.areas)
    area_note = ""
    if len(areas) > MAX_CHART_AREAS:
        areas = sorted(areas, key=lambda a: a.rank)[-MAX_CHART_AREAS:]
        area_note = " " + tr(language, "(the {count} lowest)", count=MAX_CHART_AREAS)
    top_rows = max(len(targets), 1)
    bottom_rows = max(len(areas), 1)
    height = 1.6 + 0.5 * top_rows + 1.4 + 0.38 * bottom_rows
    with rc_context({"font.family": "DejaVu Sans", "font.size": 10}):
        figure = Figure(figsize=(10, height), dpi=120, layout="constrained")
        FigureCanvasAgg(figure)
        top, bottom = figure.subplots(
            2, 1, height_ratios=[0.6 + 0.5 * top_rows, 0.6 + 0.38 * bottom_rows]
        )
        figure.suptitle(
            f"{digest.scope.name} — {period_label(digest.period, language)}",
            fontsize=13,
            fontweight="bold",
        )

        top.set_title(tr(language, "Annual targets: share reached (| = pace)"), loc="left")
        if targets:
            labels = [_wrap(t.label.get(language)) for t in targets][::-1]
            achieved = [min(t.achieved or 0.0, 1.5) * 100 for t in targets][::-1]
            colours = [
                _GREY if t.status is None else _GREEN if t.status is TargetStatus.ON_TRACK else _RED
                for t in targets
            ][::-1]
            positions = range(len(targets))
            top.barh(positions, achieved, color=colours, height=0.6)
            for y, progress in zip(positions, targets[::-1], strict=True):
                top.plot(
                    [progress.expected * 100] * 2,
                    [y - 0.4, y + 0.4],
                    color="black",
                    linewidth=2.5,
                )
                top.text(
                    min((progress.achieved or 0.0), 1.5) * 100 + 1.5,
                    y,
                    percent(progress.achieved, language),
                    va="center",
                    fontsize=9,
                )
            top.set_yticks(list(positions), labels)
            top.set_xlim(0, 175)
            top.legend(
                handles=[
                    Patch(color=_GREEN, label=tr(language, "on track")),
                    Patch(color=_RED, label=tr(language, "behind")),
                ],
                loc="lower right",
                bbox_to_anchor=(1, 1),
                ncols=2,
                frameon=False,
                fontsize=8,
            )
        else:
            top.text(
                0.5,
                0.5,
                tr(language, "No annual target is set for this level."),
                ha="center",
                va="center",
                transform=top.transAxes,
            )
            top.set_yticks([])
        top.xaxis.set_major_formatter(lambda x, _pos: _tick(x, language))

        bottom.set_title(tr(language, "Reporting rate by area") + area_note, loc="left")
        if areas:
            ordered = areas[::-1]  # best at the top
            positions = range(len(ordered))
            on_time = [(a.rate.on_time_rate or 0) * 100 for a in ordered]
            late = [
                ((a.rate.reporting_rate or 0) - (a.rate.on_time_rate or 0)) * 100 for a in ordered
            ]
            bottom.barh(positions, on_time, color=_BLUE, height=0.6, label=tr(language, "on time"))
            bottom.barh(
                positions,
                late,
                left=on_time,
                color=_LIGHT_BLUE,
                height=0.6,
                label=tr(language, "late"),
            )
            for y, area in zip(positions, ordered, strict=True):
                bottom.text(
                    (area.rate.reporting_rate or 0) * 100 + 1,
                    y,
                    percent(area.rate.reporting_rate, language),
                    va="center",
                    fontsize=9,
                )
            bottom.set_yticks(list(positions), [_wrap(area_name(a, language)) for a in ordered])
            bottom.set_xlim(0, 115)
            bottom.legend(
                loc="lower right", bbox_to_anchor=(1, 1), ncols=2, frameon=False, fontsize=8
            )
        else:
            bottom.text(
                0.5,
                0.5,
                tr(language, "No month of this period is open for reports yet."),
                ha="center",
                va="center",
                transform=bottom.transAxes,
            )
            bottom.set_yticks([])
        bottom.xaxis.set_major_formatter(lambda x, _pos: _tick(x, language))
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")
    return path


# --- Excel ----------------------------------------------------------------------------------

COUNT_FORMAT: Final = "#,##0"
DECIMAL_FORMAT: Final = "#,##0.0#"
PERCENT_FORMAT: Final = "0.0%"
YES_NO_FORMAT: Final = '"Có";"Có";"Không"'
YES_NO_FORMAT_EN: Final = '"Yes";"Yes";"No"'


def _unit_status(row: UnitRow, language: str) -> str:
    if row.months_open == 0:
        return tr(language, "Not due yet")
    if row.months_reported == 0:
        return tr(language, "Not reported")
    if row.months_reported < row.months_open:
        return tr(language, "Missing {count} month(s)", count=row.months_open - row.months_reported)
    if row.months_late:
        return tr(language, "Late")
    return tr(language, "On time")


def _style_sheet(sheet: Any, widths: Sequence[float]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE7F3")
    wrap = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[1]:
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = wrap
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if sheet.max_row > 1:
        sheet.auto_filter.ref = sheet.dimensions


def _width(header: str, values: Iterable[Any], minimum: int = 8, maximum: int = 45) -> float:
    longest = max([len(header) * 0.6, *(len(str(v)) for v in values if v is not None)], default=0)
    return float(min(max(minimum, longest + 2), maximum))


def render_excel(
    digest: Digest, rows_for_units: UnitTable, path: Path, language: str = "vi"
) -> Path:
    """An .xlsx for the office: units × indicators, annual targets, units not reported. Headers
    in the reader's language (Vietnamese by default), the header row frozen, figures stored as
    numbers with number formats (Excel shows the separators of the reader's own locale)."""
    from openpyxl import Workbook

    yes_no = YES_NO_FORMAT if _locale(language) == "vi" else YES_NO_FORMAT_EN
    workbook = Workbook()

    # Units × indicators.
    figures = workbook.active
    figures.title = tr(language, "Figures")
    fixed = [
        tr(language, "Unit code"),
        tr(language, "Unit name"),
        tr(language, "Unit type"),
        tr(language, "Area"),
        tr(language, "Enterprise or place"),
        tr(language, "Status"),
        tr(language, "Months reported"),
        tr(language, "Months late"),
    ]
    columns = rows_for_units.columns
    headers = fixed + [
        f"{column.label.get(language)} ({column.set_label.get(language)})" for column in columns
    ]
    figures.append(headers)
    formats = {
        IndicatorKind.FLOW: COUNT_FORMAT,
        IndicatorKind.STOCK: COUNT_FORMAT,
        IndicatorKind.YES_NO: yes_no,
        IndicatorKind.PERCENT: PERCENT_FORMAT,
    }
    fixed_values: list[list[Any]] = [[] for _ in fixed]
    for row in rows_for_units.rows:
        cells: list[Any] = [
            row.code,
            row.name,
            row.set_label.get(language),
            row.area_name,
            row.place_name,
            _unit_status(row, language),
            row.months_reported,
            row.months_late,
        ]
        for index, value in enumerate(cells):
            fixed_values[index].append(value)
        for column in columns:
            value = row.values.get(column.code) if column.unit_kind == row.kind else None
            if value is None:
                cells.append(None)
            elif column.kind is IndicatorKind.PERCENT:
                cells.append(float(value) / 100)
            elif value == value.to_integral_value():
                cells.append(int(value))
            else:
                cells.append(float(value))
        figures.append(cells)
        excel_row = figures.max_row
        for offset, column in enumerate(columns, start=len(fixed) + 1):
            cell = figures.cell(excel_row, offset)
            if cell.value is not None:
                cell.number_format = formats[column.kind]
        for offset in (7, 8):
            figures.cell(excel_row, offset).number_format = COUNT_FORMAT
    _style_sheet(
        figures,
        [_width(h, v) for h, v in zip(fixed, fixed_values, strict=True)] + [18.0] * len(columns),
    )
    figures.row_dimensions[1].height = 60

    # Annual targets.
    targets_sheet = workbook.create_sheet(tr(language, "Annual targets"))
    target_headers = [
        tr(language, "Target"),
        tr(language, "Unit type"),
        tr(language, "Measured as"),
        tr(language, "Result"),
        tr(language, "Annual target"),
        tr(language, "Share of target"),
        tr(language, "Due by now"),
        tr(language, "Assessment"),
    ]
    targets_sheet.append(target_headers)
    for progress in digest.targets:
        share = progress.measure is MeasureKind.SHARE
        kind_label = digest.kind_labels.get(progress.unit_kind)
        result: float | int | None
        if progress.value is None:
            result = None
        elif share:
            result = float(progress.value) / 100
        else:
            result = int(progress.value)
        targets_sheet.append(
            [
                progress.label.get(language),
                kind_label.get(language) if kind_label else progress.unit_kind.value,
                tr(language, "share of enterprises")
                if share
                else tr(language, "total for the year"),
                result,
                float(progress.target) / 100 if share else int(progress.target),
                progress.achieved,
                progress.expected,
                _status(progress, language),
            ]
        )
        row_number = targets_sheet.max_row
        value_format = PERCENT_FORMAT if share else COUNT_FORMAT
        targets_sheet.cell(row_number, 4).number_format = value_format
        targets_sheet.cell(row_number, 5).number_format = value_format
        targets_sheet.cell(row_number, 6).number_format = PERCENT_FORMAT
        targets_sheet.cell(row_number, 7).number_format = PERCENT_FORMAT
    _style_sheet(
        targets_sheet,
        [45, 24, 20, 12, 14, 14, 14, 16],
    )

    # Units not reported.
    missing_sheet = workbook.create_sheet(tr(language, "Units not reported"))
    missing_headers = [
        tr(language, "Unit code"),
        tr(language, "Unit name"),
        tr(language, "Unit type"),
        tr(language, "Area"),
        tr(language, "Months not reported"),
    ]
    missing_sheet.append(missing_headers)
    for unit in digest.missing:
        kind_label = digest.kind_labels.get(unit.kind)
        missing_sheet.append(
            [
                unit.code,
                unit.name,
                kind_label.get(language) if kind_label else unit.kind.value,
                unit.area_name,
                ", ".join(_month_short(month) for month in unit.months),
            ]
        )
    _style_sheet(
        missing_sheet,
        [
            _width(missing_headers[0], (u.code for u in digest.missing)),
            _width(missing_headers[1], (u.name for u in digest.missing)),
            24,
            _width(missing_headers[3], (u.area_name for u in digest.missing)),
            20,
        ],
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
