"""The digest's Excel workbook: the figures and every unit's reporting, for the office to sort
and filter. Built in a worker thread (infra/rendering.py off_the_loop)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

from handlers.digests.labels import count, month_short, period_label, target_status
from handlers.digests.poll_sheet import WIDTHS as POLL_WIDTHS
from handlers.digests.poll_sheet import add_poll_sheet
from infra.i18n import day, normalize_language, plural, tr
from services.digests import (
    Contact,
    Digest,
    UnitRow,
    UnitTable,
)
from services.errors import N_
from services.indicators import IndicatorKind
from services.polls import PollResults
from services.targets import MeasureKind

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
    status = _reporting_status(row, language)
    if row.months_approved is None or not row.months_reported:
        return status
    # Reviewed by the level above: whether the figures of the row are approved.
    return tr(
        language,
        "{status}; approved {approved}/{reported}",
        status=status,
        approved=row.months_approved,
        reported=row.months_reported,
    )


def _reporting_status(row: UnitRow, language: str) -> str:
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
    digest: Digest,
    rows_for_units: UnitTable,
    path: Path,
    language: str = "vi",
    polls: Sequence[PollResults] | None = None,
) -> Path:
    """An .xlsx for the office: units × indicators with totals, annual targets, units not
    reported with the officers to call. Each sheet opens with a title row (scope, period, "as
    of" date); headers in the reader's language (Vietnamese by default); the header row and the
    name columns frozen; figures stored as numbers with number formats (Excel shows the
    separators of the reader's own locale). The workers' polls (``polls``, by default the
    digest's: those closed in the period) are a sheet of their own, when there is one."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    yes_no = YES_NO_FORMAT if normalize_language(language) == "vi" else YES_NO_FORMAT_EN
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
                target_status(progress, language),
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
                ", ".join(month_short(month) for month in unit.months),
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
    poll_sheet = add_poll_sheet(workbook, digest.polls if polls is None else polls, title, language)
    if poll_sheet is not None:
        _style_sheet(poll_sheet, POLL_WIDTHS, frozen_columns=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    _text_stays_text(workbook)
    workbook.save(path)
    return path
