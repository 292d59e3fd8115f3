"""The committee digest as people receive it: text messages, one PNG chart, one Excel file.

Lives in bot/ because it translates (services never import bot/); it only reads the plain
``services.digests`` results. Texts are plain (no parse mode): unit and enterprise names come from
the org import and may hold any character. Numbers are written the local way (Babel): "1.500" and
"12,5%" in Vietnamese, "1,500" and "12.5%" in English.

The first message is the headline and always a message of its own, short enough for one phone
screen (HEADLINE_MAX_LINES, HEADLINE_MAX_CHARS): the headline stocks, the union density, who
reported and the targets in one line. The details follow in the next messages.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from infra.i18n import capitalized, day, normalize_language, number, plural, tr
from infra.i18n import percent as percent_sign
from services.digests import (
    AreaRate,
    Contact,
    Digest,
    DigestPeriod,
    FlowTotal,
    PeriodKind,
    StockTotal,
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
# One phone screen: what a committee member reads before deciding to scroll.
HEADLINE_MAX_LINES: Final = 15
HEADLINE_MAX_CHARS: Final = 700
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


def _before(kind: PeriodKind, language: str) -> str:
    return tr(language, _PREVIOUS[kind])


def _stock_line(stock: StockTotal, digest: Digest, language: str) -> str | None:
    if stock.value is None:
        return None
    line = f"• {stock.label.get(language)}: {count(stock.value, language)}"
    if stock.previous is not None:
        line += f" ({_before(digest.period.kind, language)} {count(stock.previous, language)})"
    return line


def _reported_line(digest: Digest, language: str) -> str:
    overall = digest.overall
    if not overall.expected:
        return tr(language, "No month of this period is open for reports yet.")
    return tr(
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


def _headline(digest: Digest, language: str) -> list[str]:
    """The part read on one screen: the headline stocks, the union density, who reported and
    how the targets stand. A figure nobody reported is left out rather than shown as "—"."""
    headline = digest.headline
    lines = [line for s in headline.stocks if (line := _stock_line(s, digest, language))]
    if headline.density is not None:
        density = f"• {tr(language, 'Union density (members / workers)')}: "
        density += percent(headline.density, language)
        if headline.density_previous is not None:
            before = percent(headline.density_previous, language)
            density += f" ({_before(digest.period.kind, language)} {before})"
        lines.append(density)
    lines.append("• " + _reported_line(digest, language))
    judged = [t for t in digest.targets if t.status is not None]
    if judged:
        good = sum(t.reached or t.status is TargetStatus.ON_TRACK for t in judged)
        lines.append(
            "• "
            + tr(
                language,
                "Annual targets {year}: {good} of {total} on track or reached.",
                year=digest.period.year,
                good=good,
                total=len(digest.targets),
            )
        )
    return lines


def _reporting(digest: Digest, language: str) -> list[str]:
    if not digest.overall.expected or not digest.areas:
        return []
    lines = [tr(language, "REPORTING"), tr(language, "By area, best first:")]
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


def _compared(label: str, value: Decimal | None, current: Decimal | None, language: str) -> str:
    shown = f"{label} {count(value, language)}"
    delta = change(current, value, language)
    return f"{shown} ({delta})" if delta else shown


def _flow_line(flow: FlowTotal, digest: Digest, language: str) -> str:
    """The period's figure, then only the comparisons that have data: a "—" twenty times over
    says nothing and pushes the figures off the screen."""
    kind = digest.period.kind
    parts = [f"• {flow.label.get(language)}: {count(flow.current, language)}"]
    figures = (
        flow.current,
        flow.previous,
        flow.last_year,
        flow.year_to_date,
        flow.year_to_date_last_year,
    )
    if all(not figure for figure in figures):
        return parts[0]  # nothing happened in any span: "0 · 0 · 0 · 0" compares nothing
    if kind is not PeriodKind.YEAR and flow.previous is not None:
        parts.append(_compared(_before(kind, language), flow.previous, flow.current, language))
    if flow.last_year is not None:
        same = tr(language, "same period last year")
        parts.append(_compared(same, flow.last_year, flow.current, language))
    if kind is not PeriodKind.YEAR and flow.year_to_date is not None:
        if flow.year_to_date_last_year is None:
            parts.append(
                tr(language, "year to date {value}", value=count(flow.year_to_date, language))
            )
        else:
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
    """The digest as messages of at most ``limit`` characters: the headline as a message of its
    own, then the details split between sections (and, for a section longer than one message,
    between lines)."""
    headline = split_message([_header(digest, language), _headline(digest, language)], limit)
    details = [
        _reporting(digest, language),
        _missing(digest, language, max_missing_lines),
        _flows(digest, language),
        _targets(digest, language),
        _concerns(digest, language),
    ]
    return headline + split_message(details, limit)


# --- chart ----------------------------------------------------------------------------------

_GREEN: Final = "#2e7d32"
_RED: Final = "#c62828"
_GREY: Final = "#9e9e9e"
_BLUE: Final = "#1565c0"
_LIGHT_BLUE: Final = "#90caf9"


def _tick(value: float, language: str) -> str:
    return percent_sign(round(value), language, places=0)


def _wrap(text: str, width: int = 34) -> str:
    return "\n".join(textwrap.wrap(text, width)[:2]) or text


def _charted_targets(digest: Digest) -> list[TargetProgress]:
    return [t for t in digest.targets if t.achieved is not None]


def has_chart(digest: Digest) -> bool:
    """Whether a chart shows anything to compare: a target with a result against its pace, or
    two areas or more side by side. One bar alone, or an empty frame, is not worth a message."""
    return bool(_charted_targets(digest)) or len(digest.areas) >= 2


def _draw_targets(axes: Any, targets: Sequence[TargetProgress], language: str) -> None:
    from matplotlib.patches import Patch

    axes.set_title(tr(language, "Annual targets: share reached (| = pace)"), loc="left")
    labels = [_wrap(t.label.get(language)) for t in targets][::-1]
    achieved = [min(t.achieved or 0.0, 1.5) * 100 for t in targets][::-1]
    colours = [
        _GREY if t.status is None else _GREEN if t.status is TargetStatus.ON_TRACK else _RED
        for t in targets
    ][::-1]
    positions = range(len(targets))
    axes.barh(positions, achieved, color=colours, height=0.6)
    for y, progress in zip(positions, targets[::-1], strict=True):
        axes.plot(
            [progress.expected * 100] * 2,
            [y - 0.4, y + 0.4],
            color="black",
            linewidth=2.5,
        )
        axes.text(
            min((progress.achieved or 0.0), 1.5) * 100 + 1.5,
            y,
            percent(progress.achieved, language),
            va="center",
            fontsize=9,
        )
    axes.set_yticks(list(positions), labels)
    axes.set_xlim(0, 175)
    axes.legend(
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
    axes.xaxis.set_major_formatter(lambda x, _pos: _tick(x, language))


def _draw_areas(axes: Any, areas: Sequence[AreaRate], note: str, language: str) -> None:
    axes.set_title(tr(language, "Reporting rate by area") + note, loc="left")
    ordered = list(areas)[::-1]  # best at the top
    positions = range(len(ordered))
    on_time = [(a.rate.on_time_rate or 0) * 100 for a in ordered]
    late = [((a.rate.reporting_rate or 0) - (a.rate.on_time_rate or 0)) * 100 for a in ordered]
    axes.barh(positions, on_time, color=_BLUE, height=0.6, label=tr(language, "on time"))
    axes.barh(
        positions,
        late,
        left=on_time,
        color=_LIGHT_BLUE,
        height=0.6,
        label=tr(language, "late"),
    )
    for y, area in zip(positions, ordered, strict=True):
        axes.text(
            (area.rate.reporting_rate or 0) * 100 + 1,
            y,
            percent(area.rate.reporting_rate, language),
            va="center",
            fontsize=9,
        )
    axes.set_yticks(list(positions), [_wrap(area_name(a, language)) for a in ordered])
    axes.set_xlim(0, 115)
    axes.legend(loc="lower right", bbox_to_anchor=(1, 1), ncols=2, frameon=False, fontsize=8)
    axes.xaxis.set_major_formatter(lambda x, _pos: _tick(x, language))


def render_chart(digest: Digest, path: Path, language: str = "vi") -> Path:
    """One PNG: progress against each annual target (with the pace marker), and the reporting
    rate of each area (on time and late); a part with nothing to compare is left out (see
    ``has_chart`` for whether to send a chart at all). Rendered with Agg, in DejaVu Sans, which
    has every Vietnamese letter; no pyplot, so nothing global is touched."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    targets = _charted_targets(digest)
    areas = list(digest.areas) if len(digest.areas) >= 2 else []
    area_note = ""
    if len(areas) > MAX_CHART_AREAS:
        areas = sorted(areas, key=lambda a: a.rank)[-MAX_CHART_AREAS:]
        area_note = " " + tr(language, "(the {count} lowest)", count=MAX_CHART_AREAS)
    panels: list[tuple[float, str]] = []
    if targets:
        panels.append((0.6 + 0.5 * len(targets), "targets"))
    if areas:
        panels.append((0.6 + 0.38 * len(areas), "areas"))
    if not panels:
        panels.append((1.0, "empty"))
    height = 1.0 + sum(size + 0.8 for size, _ in panels)
    with rc_context({"font.family": "DejaVu Sans", "font.size": 10}):
        figure = Figure(figsize=(10, height), dpi=120, layout="constrained")
        FigureCanvasAgg(figure)
        axes_list = figure.subplots(
            len(panels), 1, height_ratios=[size for size, _ in panels], squeeze=False
        )[:, 0]
        figure.suptitle(
            f"{digest.scope.name} — {period_label(digest.period, language)}",
            fontsize=13,
            fontweight="bold",
        )
        for axes, (_size, kind) in zip(axes_list, panels, strict=True):
            if kind == "targets":
                _draw_targets(axes, targets, language)
            elif kind == "areas":
                _draw_areas(axes, areas, area_note, language)
            else:
                axes.text(
                    0.5,
                    0.5,
                    tr(language, "Nothing to compare in this period."),
                    ha="center",
                    va="center",
                    transform=axes.transAxes,
                )
                axes.set_axis_off()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")
    return path


# --- Excel ----------------------------------------------------------------------------------

COUNT_FORMAT: Final = "#,##0"
DECIMAL_FORMAT: Final = "#,##0.0#"
PERCENT_FORMAT: Final = "0.0%"
YES_NO_FORMAT: Final = '"Có";"Có";"Không"'
YES_NO_FORMAT_EN: Final = '"Yes";"Yes";"No"'


# The title row, then the header row: data start on the third row of every sheet.
TITLE_ROW: Final = 1
HEADER_ROW: Final = 2
CHANNEL_NAMES: Final = {"telegram": "Telegram", "zalo": "Zalo", "console": "Console"}


def _unit_status(row: UnitRow, language: str) -> str:
    if row.months_open == 0:
        return tr(language, "Not due yet")
    if row.months_reported == 0:
        return tr(language, "Not reported")
    if row.months_reported < row.months_open:
        missing = row.months_open - row.months_reported
        return plural(
            language,
            missing,
            N_("Missing {count} month"),
            N_("Missing {count} months"),
            count=missing,
        )
    if row.months_late:
        return tr(language, "Late")
    return tr(language, "On time")


def _title(digest: Digest, language: str) -> str:
    return tr(
        language,
        "{scope} — {period} — figures as of {date}",
        scope=digest.scope.name,
        period=period_label(digest.period, language),
        date=day(digest.today, language),
    )


def _style_sheet(
    sheet: Any,
    widths: Sequence[float],
    *,
    frozen_columns: int,
    last_data_row: int | None = None,
) -> None:
    """Title row (what, which period, as of when: the file is forwarded and printed without the
    message around it) in large type, bold header row, the headers and the first
    ``frozen_columns`` columns (the names) frozen, a filter over the data rows only."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet.cell(TITLE_ROW, 1).font = Font(bold=True, size=13)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE7F3")
    wrap = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[HEADER_ROW]:
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = wrap
    sheet.freeze_panes = f"{get_column_letter(frozen_columns + 1)}{HEADER_ROW + 1}"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    last = last_data_row if last_data_row is not None else sheet.max_row
    if last > HEADER_ROW:
        sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(sheet.max_column)}{last}"


def _width(header: str, values: Iterable[Any], minimum: int = 8, maximum: int = 45) -> float:
    longest = max([len(header) * 0.6, *(len(str(v)) for v in values if v is not None)], default=0)
    return float(min(max(minimum, longest + 2), maximum))


def _contacts(officers: Sequence[Contact], language: str) -> str:
    if not officers:
        return tr(language, "No officer registered yet")
    return "; ".join(
        f"{o.name} ({', '.join(CHANNEL_NAMES.get(c, c) for c in o.channels)})"
        if o.channels
        else o.name
        for o in officers
    )


def _text_stays_text(workbook: Any) -> None:
    """openpyxl stores a string that starts with "=" as a formula: an organisation named
    "=HYPERLINK(…)" would become a live link in the committee's file. Every text cell is written
    as text, in every sheet, whatever it starts with."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.data_type != "s":
                    cell.data_type = "s"


def render_excel(
    digest: Digest, rows_for_units: UnitTable, path: Path, language: str = "vi"
) -> Path:
    """An .xlsx for the office: units × indicators with totals, annual targets, units not
    reported with the officers to call. Each sheet opens with a title row (scope, period, "as
    of" date); headers in the reader's language (Vietnamese by default); the header row and the
    name columns frozen; figures stored as numbers with number formats (Excel shows the
    separators of the reader's own locale)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    yes_no = YES_NO_FORMAT if _locale(language) == "vi" else YES_NO_FORMAT_EN
    title = _title(digest, language)
    workbook = Workbook()

    # Units × indicators.
    figures = workbook.active
    figures.title = tr(language, "Figures")
    figures.append([title])
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
    # Totals: counts add up; a yes/no column counts its "yes"; percentages are not added.
    totals: list[int | float | None] = [
        None if column.kind is IndicatorKind.PERCENT else 0 for column in columns
    ]
    months = [0, 0]
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
        months[0] += row.months_reported
        months[1] += row.months_late
        for index, value in enumerate(cells):
            fixed_values[index].append(value)
        for position, column in enumerate(columns):
            value = row.values.get(column.code) if column.unit_kind == row.kind else None
            if value is None:
                cells.append(None)
                continue
            if column.kind is IndicatorKind.PERCENT:
                cells.append(float(value) / 100)
            elif value == value.to_integral_value():
                cells.append(int(value))
            else:
                cells.append(float(value))
            if column.kind is IndicatorKind.YES_NO:
                totals[position] = (totals[position] or 0) + (1 if value else 0)
            elif column.kind is not IndicatorKind.PERCENT:
                totals[position] = (totals[position] or 0) + cells[-1]
        figures.append(cells)
        excel_row = figures.max_row
        for offset, column in enumerate(columns, start=len(fixed) + 1):
            cell = figures.cell(excel_row, offset)
            if cell.value is not None:
                cell.number_format = formats[column.kind]
        for offset in (7, 8):
            figures.cell(excel_row, offset).number_format = COUNT_FORMAT
    last_unit_row = figures.max_row
    total_cells: list[Any] = [
        tr(language, "Total"),
        plural(
            language,
            len(rows_for_units.rows),
            N_("{count} unit"),
            N_("{count} units"),
            count=count(len(rows_for_units.rows), language),
        ),
        None,
        None,
        None,
        None,
        *months,
        *totals,
    ]
    figures.append(total_cells)
    total_row = figures.max_row
    for offset in range(1, len(total_cells) + 1):
        cell = figures.cell(total_row, offset)
        cell.font = Font(bold=True)
        if offset > 6 and cell.value is not None:
            cell.number_format = COUNT_FORMAT
    _style_sheet(
        figures,
        [_width(h, v) for h, v in zip(fixed, fixed_values, strict=True)] + [18.0] * len(columns),
        frozen_columns=2,
        last_data_row=last_unit_row,
    )
    figures.row_dimensions[HEADER_ROW].height = 60

    # Annual targets.
    targets_sheet = workbook.create_sheet(tr(language, "Annual targets"))
    targets_sheet.append([title])
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
    _style_sheet(targets_sheet, [45, 24, 20, 12, 14, 14, 14, 16], frozen_columns=1)

    # Units not reported, and whom to call about each.
    missing_sheet = workbook.create_sheet(tr(language, "Units not reported"))
    missing_sheet.append([title])
    missing_headers = [
        tr(language, "Unit code"),
        tr(language, "Unit name"),
        tr(language, "Unit type"),
        tr(language, "Area"),
        tr(language, "Months not reported"),
        tr(language, "Officers to call (app)"),
    ]
    missing_sheet.append(missing_headers)
    contacts = [_contacts(unit.officers, language) for unit in digest.missing]
    for unit, contact in zip(digest.missing, contacts, strict=True):
        kind_label = digest.kind_labels.get(unit.kind)
        missing_sheet.append(
            [
                unit.code,
                unit.name,
                kind_label.get(language) if kind_label else unit.kind.value,
                unit.area_name,
                ", ".join(_month_short(month) for month in unit.months),
                contact,
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
            _width(missing_headers[5], contacts, maximum=60),
        ],
        frozen_columns=2,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    _text_stays_text(workbook)
    workbook.save(path)
    return path
