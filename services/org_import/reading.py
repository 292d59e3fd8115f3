"""Reading a CSV or XLSX organisation file into numbered rows keyed by the canonical column
names; a file that cannot be read is one error naming why."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from itertools import zip_longest
from pathlib import Path

from services.org_import.results import Msg, OrgImportError, RowError
from services.org_import.vocabulary import COLUMNS, REQUIRED_COLUMNS, fold


def file_error(message: str, **params: object) -> OrgImportError:
    return OrgImportError([RowError(0, message, dict(params))])


def read_org_file(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows of a .csv or .xlsx file as (line, {column: text}), empty rows left out.

    Column names are canonical (``kind``, ``code``, …) whatever alias the header used; columns
    nobody knows (a "STT" numbering column, notes) are dropped.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = _read_csv(path)
    elif suffix in {".xlsx", ".xlsm"}:
        table = _read_xlsx(path)
    else:
        raise file_error(Msg.UNSUPPORTED_TYPE, extension=suffix or path.name)
    return _rows_from_table(table)


def _read_csv(path: Path) -> list[list[str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise file_error(Msg.UNREADABLE) from exc
    try:
        # Excel's "Unicode text" export is UTF-16 with a BOM; everything else must be UTF-8.
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = raw.decode("utf-16")
        else:
            text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise file_error(Msg.NOT_UTF8) from exc
    if "\x00" in text:
        # UTF-16 without a BOM decodes as "UTF-8" full of NULs; it is an encoding problem too.
        raise file_error(Msg.NOT_UTF8)
    # The header decides: a Vietnamese Excel writes ";" (its decimal separator is ","), others ",".
    header = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=header.count)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise file_error(Msg.UNREADABLE) from exc


def _read_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        raise file_error(Msg.UNREADABLE) from exc
    try:
        sheet = workbook.worksheets[0]
        # Some generators write a wrong sheet dimension; trusting it would cut rows off.
        sheet.reset_dimensions()
        rows = [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, IndexError) as exc:
        raise file_error(Msg.UNREADABLE) from exc
    finally:
        workbook.close()
    return rows


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    # A code or count typed as a number comes back as 1500.0; the user typed 1500.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _rows_from_table(table: Iterable[list[str]]) -> list[tuple[int, dict[str, str]]]:
    numbered = enumerate(table, start=1)
    # Blank rows above the header are tolerated; line numbers still count them.
    header_line, header_cells = next(
        ((line, cells) for line, cells in numbered if any(cell.strip() for cell in cells)),
        (0, []),
    )
    if not header_line:
        raise file_error(Msg.NO_HEADER)
    header = _header(header_line, header_cells)
    # A short row (trailing empty cells dropped by the exporter) is padded, not "missing a column".
    rows = [
        (line, {key: cell for key, cell in zip_longest(header, cells, fillvalue="") if key})
        for line, cells in numbered
        if any(cell.strip() for cell in cells)
    ]
    if not rows:
        raise file_error(Msg.NO_ROWS)
    return rows


def _header(line: int, cells: list[str]) -> list[str | None]:
    keys: list[str | None] = []
    seen: dict[str, str] = {}
    errors: list[RowError] = []
    for cell in cells:
        key = COLUMNS.get(fold(cell))
        keys.append(key)
        if key is None:
            continue
        if key in seen:
            errors.append(
                RowError(line, Msg.DUPLICATE_COLUMN, {"first": seen[key], "second": cell.strip()})
            )
        seen.setdefault(key, cell.strip())
    errors += [RowError(line, msg, {}) for key, msg in REQUIRED_COLUMNS.items() if key not in seen]
    if errors:
        raise OrgImportError(errors)
    return keys
