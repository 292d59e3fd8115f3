"""Import the organisation tree and its reporting units from a CSV or XLSX file.

One file holds both the tree nodes (province, zones, communes, enterprises) and the reporting
units that sit in them (trade unions, party cells, …), one per row, each keyed by a stable code so
that importing the file again updates records instead of duplicating them. The whole file is
checked before anything is written: the standing office fixing a spreadsheet wants every mistake
at once, and a half-imported tree is worse than none. Columns and aliases: ``docs/org-import.md``.

Records that exist in the database but not in the file are left alone: an import adds and
updates, it never deletes. An optional column that is absent from the file leaves the stored
value unchanged; present but empty, it clears the value.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import groupby, zip_longest
from pathlib import Path
from typing import Final, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, bindparam, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import NodeKind, OrgNode, Ownership, ReportingUnit, UnitKind
from models.org import reporting_unit_enterprises
from services import audit
from services.errors import N_, DomainError
from services.periods import Period
from services.plain_text import clean_name

DEMO_PROVINCE_CSV: Final = Path(__file__).resolve().parent / "demo_province.csv"

CODE_MAX: Final = 64  # OrgNode.code / ReportingUnit.code
NAME_MAX: Final = 255
# Telegram's start parameter allows these and nothing else (a code goes into the QR poster's
# deep link) and they are safe in a file name (admin posters writes <code>.png).
CODE_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
# What a spreadsheet takes for a formula at the start of a cell (CSV/formula injection).
FORMULA_STARTS: Final = frozenset("=+-@")
# Far above any real enterprise, and far below what an INTEGER column overflows at.
WORKER_COUNT_MAX: Final = 10_000_000
# The default first reporting month is the month of the import where the units are.
VIETNAM: Final = ZoneInfo("Asia/Ho_Chi_Minh")
# Values per IN (...) query: keeps each statement small whatever the file's size.
_CHUNK: Final = 500


class Msg:
    """Message ids of this module (English); Vietnamese in ``infra/locale/vi/org_import.po``."""

    SUMMARY: Final = N_("Nothing was imported: the file has errors ({count}).")
    UNSUPPORTED_TYPE: Final = N_('Unsupported file type "{extension}": use a .csv or .xlsx file.')
    UNREADABLE: Final = N_("The file cannot be opened or is damaged.")
    NOT_UTF8: Final = N_('The file is not UTF-8 text: save it as "CSV UTF-8".')
    NO_HEADER: Final = N_("The file is empty: it has no header row.")
    NO_ROWS: Final = N_("The file has a header row but no data rows.")
    MISSING_KIND: Final = N_('Missing column "kind".')
    MISSING_CODE: Final = N_('Missing column "code".')
    MISSING_NAME: Final = N_('Missing column "name".')
    MISSING_PARENT: Final = N_('Missing column "parent_code".')
    DUPLICATE_COLUMN: Final = N_('Columns "{first}" and "{second}" mean the same thing.')
    EMPTY_KIND: Final = N_("Kind is empty.")
    UNKNOWN_KIND: Final = N_('Unknown kind "{value}".')
    NO_DISTRICT: Final = N_(
        'Kind "{value}": there is no district level since 1 July 2025. Put the enterprises '
        "under their commune or ward (kind commune: xã, phường) or their zone."
    )
    EMPTY_CODE: Final = N_("Code is empty.")
    CODE_CHARACTERS: Final = N_(
        'Code "{code}" may hold only Latin letters, digits, "-" and "_" (it goes into QR '
        "codes and file names)."
    )
    NAME_FORMULA: Final = N_(
        'Name must not start with "=", "+", "-" or "@" (a spreadsheet would run it as a formula).'
    )
    CODE_TOO_LONG: Final = N_('Code "{code}" is longer than {limit} characters.')
    EMPTY_NAME: Final = N_("Name is empty.")
    NAME_TOO_LONG: Final = N_("Name is longer than {limit} characters.")
    DUPLICATE_CODE: Final = N_('Code "{code}" already appears on line {first_line}.')
    CODE_IS_UNIT: Final = N_('Code "{code}" already belongs to a reporting unit.')
    CODE_IS_NODE: Final = N_(
        'Code "{code}" already belongs to a province, zone, commune or enterprise.'
    )
    KIND_CHANGED: Final = N_(
        'Code "{code}" already exists with another kind; an import cannot change it.'
    )
    PROVINCE_WITH_PARENT: Final = N_("A province has no parent: leave the parent code empty.")
    EMPTY_PARENT: Final = N_("Parent code is empty: only a province has no parent.")
    SELF_PARENT: Final = N_('Code "{code}" cannot be its own parent.')
    UNKNOWN_PARENT: Final = N_(
        'Unknown parent "{parent}": it is neither in the file nor in the database.'
    )
    PARENT_IS_UNIT: Final = N_(
        'Parent "{parent}" is a reporting unit; a parent must be a province, zone, commune '
        "or enterprise."
    )
    ZONE_PARENT: Final = N_(
        'The parent of a zone or a commune must be a province; "{parent}" is not.'
    )
    ENTERPRISE_PARENT: Final = N_(
        "The parent of an enterprise must be an industrial zone, an economic zone or a commune; "
        '"{parent}" is not.'
    )
    ENTERPRISE_UNIT_PARENT: Final = N_(
        "A trade union, youth union or women's union sits in an enterprise; "
        '"{parent}" is not an enterprise.'
    )
    PARTY_CELL_PARENT: Final = N_(
        "A party cell sits in an enterprise, or in a zone or commune when it is combined; "
        '"{parent}" is neither.'
    )
    ZONE_UNION_PARENT: Final = N_(
        'A zone union sits in an industrial zone, an economic zone or a commune; "{parent}" is not.'
    )
    CYCLE: Final = N_('Code "{code}" would become its own ancestor.')
    WORKERS_NOT_WHOLE: Final = N_('Worker count "{value}" is not a whole number.')
    WORKERS_NEGATIVE: Final = N_('Worker count "{value}" is negative.')
    WORKERS_TOO_LARGE: Final = N_('Worker count "{value}" is too large.')
    WORKERS_NOT_ENTERPRISE: Final = N_("Only an enterprise has a worker count.")
    UNKNOWN_OWNERSHIP: Final = N_('Unknown ownership "{value}": use domestic, foreign or state.')
    OWNERSHIP_NOT_ENTERPRISE: Final = N_("Only an enterprise has an ownership type.")
    MEMBERS_NOT_PARTY_CELL: Final = N_("Only a party cell lists member enterprises.")
    UNKNOWN_MEMBER: Final = N_('Unknown member enterprise "{member}".')
    MEMBER_NOT_ENTERPRISE: Final = N_('Member "{member}" is not an enterprise.')
    BAD_FIRST_PERIOD: Final = N_(
        'First reporting month "{value}" is not a month: write it like 11/2026.'
    )
    FIRST_PERIOD_NOT_UNIT: Final = N_("Only a reporting unit has a first reporting month.")


@dataclass(frozen=True)
class RowError:
    """One mistake in the file. ``line`` is the row number a spreadsheet shows (header = 1);
    0 when the mistake is the file itself."""

    line: int
    message: str
    params: dict[str, object] = field(default_factory=dict)


class OrgImportError(DomainError):
    """The file was refused; nothing was written. ``errors`` lists every mistake found."""

    message = Msg.SUMMARY

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(count=len(errors))
        self.errors: list[RowError] = sorted(errors, key=lambda error: error.line)


@dataclass(frozen=True)
class ImportResult:
    """Records created, and existing records the file actually changed (re-importing the same
    file reports zero updates). Paths recomputed because an ancestor moved are not counted."""

    nodes_created: int
    nodes_updated: int
    units_created: int
    units_updated: int


# --- vocabulary -----------------------------------------------------------------------------


@lru_cache(maxsize=4096)  # headers, kinds and ownerships repeat on every one of 50,000 rows
def _fold(text: str) -> str:
    """The ASCII skeleton people's spellings share: "Mã cấp trên" → "ma cap tren"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^0-9a-z]+", " ", plain.lower()).strip()


def _folded_table(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {_fold(alias): key for key, names in aliases.items() for alias in (key, *names)}


_COLUMNS: Final = _folded_table(
    {
        "kind": ("loại", "loại đơn vị", "type"),
        "code": ("mã", "mã đơn vị", "mã số"),
        "name": ("tên", "tên đơn vị"),
        "parent_code": ("parent", "mã cấp trên", "cấp trên", "mã đơn vị cấp trên"),
        "worker_count": ("workers", "số lao động", "số lđ", "tổng số lao động", "lao động"),
        "ownership": ("loại hình", "loại hình doanh nghiệp", "sở hữu", "loại hình sở hữu"),
        "member_codes": (
            "members",
            "đơn vị thành viên",
            "doanh nghiệp thành viên",
            "dn thành viên",
            "thành viên",
        ),
        "first_period": (
            "first month",
            "tháng bắt đầu báo cáo",
            "báo cáo từ tháng",
            "tháng báo cáo đầu tiên",
            "kỳ báo cáo đầu tiên",
            "bắt đầu báo cáo",
        ),
    }
)
# A month as people write it: 11/2026, T11/2026, tháng 11/2026, 2026-11, or a date in it
# (an Excel date cell, 01/11/2026), once folded to "11 2026", "2026 11 01 00 00 00", …
_MONTH_FIRST: Final = re.compile(r"(?:thang |t)?(?P<month>\d{1,2}) (?P<year>\d{4})")
_YEAR_FIRST: Final = re.compile(r"(?P<year>\d{4}) (?P<month>\d{1,2})(?: \d{1,2})?(?: [\d ]*)?")
_DAY_FIRST: Final = re.compile(r"\d{1,2} (?P<month>\d{1,2}) (?P<year>\d{4})")
_REQUIRED_COLUMNS: Final = {
    "kind": Msg.MISSING_KIND,
    "code": Msg.MISSING_CODE,
    "name": Msg.MISSING_NAME,
    "parent_code": Msg.MISSING_PARENT,
}

Kind = NodeKind | UnitKind

_KINDS: Final[dict[str, Kind]] = {
    _fold(alias): kind
    for kind, names in (
        # Since 1 July 2025 a "thành phố" is a centrally-run city, a province-level unit.
        (NodeKind.PROVINCE, ("tỉnh", "thành phố")),
        (NodeKind.INDUSTRIAL_ZONE, ("kcn", "khu công nghiệp")),
        (NodeKind.ECONOMIC_ZONE, ("kkt", "khu kinh tế")),
        (NodeKind.COMMUNE, ("xã", "phường", "xã, phường", "xã/phường", "đặc khu")),
        (NodeKind.ENTERPRISE, ("doanh nghiệp", "dn", "công ty")),
        (UnitKind.TRADE_UNION, ("cđcs", "công đoàn cơ sở", "công đoàn")),
        (UnitKind.PARTY_CELL, ("chi bộ", "đảng bộ cơ sở", "đảng bộ", "chi bộ ghép")),
        (UnitKind.YOUTH_UNION, ("chi đoàn", "đoàn thanh niên", "đoàn cơ sở")),
        (UnitKind.WOMENS_UNION, ("women's union", "chi hội phụ nữ", "hội phụ nữ")),
        (
            UnitKind.ZONE_UNION,
            (
                "công đoàn kcn",
                "công đoàn các kcn",
                "công đoàn khu công nghiệp",
                "công đoàn các khu công nghiệp",
                "công đoàn kkt",
            ),
        ),
    )
    for alias in (kind.value, *names)
}

_OWNERSHIPS: Final[dict[str, Ownership]] = {
    _fold(alias): ownership
    for ownership, names in (
        (Ownership.DOMESTIC, ("trong nước", "tư nhân", "ngoài nhà nước", "dn trong nước")),
        (
            Ownership.FOREIGN,
            (
                "nước ngoài",
                "fdi",
                "có vốn đầu tư nước ngoài",
                "vốn đầu tư nước ngoài",
                "đầu tư nước ngoài",
            ),
        ),
        (Ownership.STATE, ("nhà nước", "doanh nghiệp nhà nước", "dnnn")),
    )
    for alias in (ownership.value, *names)
}

# The district level is gone (1 July 2025): a file that still has one is told so, by name.
_DISTRICT_KINDS: Final = frozenset(_fold(k) for k in ("district", "huyện", "quận", "thị xã"))
_AREAS: Final = frozenset({NodeKind.INDUSTRIAL_ZONE, NodeKind.ECONOMIC_ZONE, NodeKind.COMMUNE})
# (kinds a parent may have, message when it has another) for every kind that has a parent.
_PARENT_RULES: Final[dict[Kind, tuple[frozenset[NodeKind], str]]] = {
    NodeKind.INDUSTRIAL_ZONE: (frozenset({NodeKind.PROVINCE}), Msg.ZONE_PARENT),
    NodeKind.ECONOMIC_ZONE: (frozenset({NodeKind.PROVINCE}), Msg.ZONE_PARENT),
    NodeKind.COMMUNE: (frozenset({NodeKind.PROVINCE}), Msg.ZONE_PARENT),
    NodeKind.ENTERPRISE: (_AREAS, Msg.ENTERPRISE_PARENT),
    UnitKind.TRADE_UNION: (frozenset({NodeKind.ENTERPRISE}), Msg.ENTERPRISE_UNIT_PARENT),
    UnitKind.YOUTH_UNION: (frozenset({NodeKind.ENTERPRISE}), Msg.ENTERPRISE_UNIT_PARENT),
    UnitKind.WOMENS_UNION: (frozenset({NodeKind.ENTERPRISE}), Msg.ENTERPRISE_UNIT_PARENT),
    UnitKind.PARTY_CELL: (_AREAS | {NodeKind.ENTERPRISE}, Msg.PARTY_CELL_PARENT),
    UnitKind.ZONE_UNION: (_AREAS, Msg.ZONE_UNION_PARENT),
}

# Vietnamese thousands ("1.500", "1 500"); a comma is a decimal separator there, so "1,5" is
# one and a half and is refused rather than read as fifteen.
_WHOLE_NUMBER: Final = re.compile(r"\d{1,3}(?:[.\s]\d{3})+|\d+")


# --- reading files --------------------------------------------------------------------------


def _file_error(message: str, **params: object) -> OrgImportError:
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
        raise _file_error(Msg.UNSUPPORTED_TYPE, extension=suffix or path.name)
    return _rows_from_table(table)


def _read_csv(path: Path) -> list[list[str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _file_error(Msg.UNREADABLE) from exc
    try:
        # Excel's "Unicode text" export is UTF-16 with a BOM; everything else must be UTF-8.
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = raw.decode("utf-16")
        else:
            text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _file_error(Msg.NOT_UTF8) from exc
    if "\x00" in text:
        # UTF-16 without a BOM decodes as "UTF-8" full of NULs; it is an encoding problem too.
        raise _file_error(Msg.NOT_UTF8)
    # The header decides: a Vietnamese Excel writes ";" (its decimal separator is ","), others ",".
    header = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=header.count)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise _file_error(Msg.UNREADABLE) from exc


def _read_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        raise _file_error(Msg.UNREADABLE) from exc
    try:
        sheet = workbook.worksheets[0]
        # Some generators write a wrong sheet dimension; trusting it would cut rows off.
        sheet.reset_dimensions()
        rows = [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, IndexError) as exc:
        raise _file_error(Msg.UNREADABLE) from exc
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
        raise _file_error(Msg.NO_HEADER)
    header = _header(header_line, header_cells)
    # A short row (trailing empty cells dropped by the exporter) is padded, not "missing a column".
    rows = [
        (line, {key: cell for key, cell in zip_longest(header, cells, fillvalue="") if key})
        for line, cells in numbered
        if any(cell.strip() for cell in cells)
    ]
    if not rows:
        raise _file_error(Msg.NO_ROWS)
    return rows


def _header(line: int, cells: list[str]) -> list[str | None]:
    keys: list[str | None] = []
    seen: dict[str, str] = {}
    errors: list[RowError] = []
    for cell in cells:
        key = _COLUMNS.get(_fold(cell))
        keys.append(key)
        if key is None:
            continue
        if key in seen:
            errors.append(
                RowError(line, Msg.DUPLICATE_COLUMN, {"first": seen[key], "second": cell.strip()})
            )
        seen.setdefault(key, cell.strip())
    errors += [RowError(line, msg, {}) for key, msg in _REQUIRED_COLUMNS.items() if key not in seen]
    if errors:
        raise OrgImportError(errors)
    return keys


# --- checking rows --------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    kind: Kind | None
    code: str
    name: str
    parent_code: str
    worker_count: int | None
    ownership: Ownership | None
    members: list[str]
    present: frozenset[str]  # the optional columns this row has
    first_period: Period | None = None

    @property
    def is_node(self) -> bool:
        return isinstance(self.kind, NodeKind)


class _Errors:
    def __init__(self) -> None:
        self.items: list[RowError] = []

    def add(self, line: int, message: str, **params: object) -> None:
        self.items.append(RowError(line, message, params))


def _clean(value: str | None) -> str:
    # NFC: Vietnamese typed on some keyboards arrives decomposed and would not match itself.
    return unicodedata.normalize("NFC", value or "").strip()


def _parse_row(line: int, raw: dict[str, str], errors: _Errors) -> _Row:
    cells: dict[str, str] = {}
    for column, value in raw.items():
        key = _COLUMNS.get(_fold(column))
        if key is not None:
            cells[key] = _clean(value)
    for key, message in _REQUIRED_COLUMNS.items():
        if key not in cells:
            errors.add(line, message)

    kind_text = cells.get("kind", "")
    kind = _KINDS.get(_fold(kind_text))
    if not kind_text:
        if "kind" in cells:
            errors.add(line, Msg.EMPTY_KIND)
    elif kind is None and _fold(kind_text) in _DISTRICT_KINDS:
        errors.add(line, Msg.NO_DISTRICT, value=kind_text)
    elif kind is None:
        errors.add(line, Msg.UNKNOWN_KIND, value=kind_text)

    code = cells.get("code", "")
    if not code:
        if "code" in cells:
            errors.add(line, Msg.EMPTY_CODE)
    elif len(code) > CODE_MAX:
        errors.add(line, Msg.CODE_TOO_LONG, code=code, limit=CODE_MAX)
    elif not CODE_PATTERN.fullmatch(code):
        errors.add(line, Msg.CODE_CHARACTERS, code=clean_name(code))

    name = clean_name(cells.get("name", ""))
    if not name:
        if "name" in cells:
            errors.add(line, Msg.EMPTY_NAME)
    elif len(name) > NAME_MAX:
        errors.add(line, Msg.NAME_TOO_LONG, limit=NAME_MAX)
    elif name[0] in FORMULA_STARTS:
        errors.add(line, Msg.NAME_FORMULA)

    parent_code = cells.get("parent_code", "")
    if kind is NodeKind.PROVINCE:
        if parent_code:
            errors.add(line, Msg.PROVINCE_WITH_PARENT)
    elif kind is not None and not parent_code:
        errors.add(line, Msg.EMPTY_PARENT)
    if parent_code and parent_code == code:
        errors.add(line, Msg.SELF_PARENT, code=code)

    worker_count = _parse_worker_count(line, cells.get("worker_count", ""), errors)
    if worker_count is not None and kind is not None and kind is not NodeKind.ENTERPRISE:
        errors.add(line, Msg.WORKERS_NOT_ENTERPRISE)

    ownership_text = cells.get("ownership", "")
    ownership = _OWNERSHIPS.get(_fold(ownership_text))
    if ownership_text:
        if ownership is None:
            errors.add(line, Msg.UNKNOWN_OWNERSHIP, value=ownership_text)
        elif kind is not None and kind is not NodeKind.ENTERPRISE:
            errors.add(line, Msg.OWNERSHIP_NOT_ENTERPRISE)

    # ";" as documented; "," too, because that is what people type in a spreadsheet cell.
    members = list(
        dict.fromkeys(
            filter(None, map(str.strip, re.split(r"[;,\n]", cells.get("member_codes", ""))))
        )
    )
    if members and kind is not None and kind is not UnitKind.PARTY_CELL:
        errors.add(line, Msg.MEMBERS_NOT_PARTY_CELL)

    first_period = _parse_month(line, cells.get("first_period", ""), errors)
    if first_period is not None and isinstance(kind, NodeKind):
        errors.add(line, Msg.FIRST_PERIOD_NOT_UNIT)

    return _Row(
        line=line,
        kind=kind,
        code=code,
        name=name,
        parent_code=parent_code,
        worker_count=worker_count,
        ownership=ownership,
        members=members,
        present=frozenset(cells) & {"worker_count", "ownership", "member_codes", "first_period"},
        first_period=first_period,
    )


def _parse_month(line: int, text: str, errors: _Errors) -> Period | None:
    if not text:
        return None
    folded = _fold(text)
    for pattern in (_DAY_FIRST, _MONTH_FIRST, _YEAR_FIRST):
        match = pattern.fullmatch(folded)
        if match is not None:
            try:
                return Period(int(match["year"]), int(match["month"]))
            except ValueError:
                break
    errors.add(line, Msg.BAD_FIRST_PERIOD, value=text)
    return None


def _parse_worker_count(line: int, text: str, errors: _Errors) -> int | None:
    if not text:
        return None
    digits = text.removeprefix("-").strip()
    if not _WHOLE_NUMBER.fullmatch(digits):
        errors.add(line, Msg.WORKERS_NOT_WHOLE, value=text)
        return None
    if text.startswith("-"):
        errors.add(line, Msg.WORKERS_NEGATIVE, value=text)
        return None
    value = int(re.sub(r"\D", "", digits))
    if value > WORKER_COUNT_MAX:
        errors.add(line, Msg.WORKERS_TOO_LARGE, value=text)
        return None
    return value


_T = TypeVar("_T", OrgNode, ReportingUnit)


_V = TypeVar("_V")


def _chunks(items: Sequence[_V]) -> Iterator[Sequence[_V]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


async def _load_by_code(
    session: AsyncSession, model: type[_T], codes: Iterable[str]
) -> dict[str, _T]:
    found: dict[str, _T] = {}
    for chunk in _chunks(sorted(set(codes))):
        # Rendered as quoted literals, not 500 bind parameters: PostgreSQL turns a statement
        # prepared that often into a generic plan that scans the list linearly, and right after
        # a big import (statistics not yet gathered) that made each query take ~170 ms.
        in_codes: BindParameter[str] = bindparam(
            "codes", chunk, expanding=True, literal_execute=True
        )
        for record in await session.scalars(select(model).where(model.code.in_(in_codes))):
            found[record.code] = record
    return found


@dataclass
class _Plan:
    """Everything the checks learned that the writing needs."""

    rows: dict[str, _Row]  # by code, first occurrence only
    nodes: dict[str, OrgNode]  # existing, by code
    units: dict[str, ReportingUnit]
    depth: dict[str, int]  # node rows: 0 when the parent is not in the file


def _check(
    rows: list[_Row], nodes: dict[str, OrgNode], units: dict[str, ReportingUnit], errors: _Errors
) -> _Plan:
    by_code: dict[str, _Row] = {}
    for row in rows:
        if not row.code:
            continue
        first = by_code.setdefault(row.code, row)
        if first is not row:
            errors.add(row.line, Msg.DUPLICATE_CODE, code=row.code, first_line=first.line)

    def kind_of(code: str) -> Kind | None:
        # What the code will be once the file is in: the file wins over the database.
        if code in by_code:
            return by_code[code].kind
        if code in nodes:
            return nodes[code].kind
        if code in units:
            return units[code].kind
        return None

    def known(code: str) -> bool:
        return code in by_code or code in nodes or code in units

    for row in rows:
        if row.kind is None:
            continue
        if row.code:
            existing: OrgNode | ReportingUnit | None = None
            if row.is_node:
                if row.code in units:
                    errors.add(row.line, Msg.CODE_IS_UNIT, code=row.code)
                existing = nodes.get(row.code)
            else:
                if row.code in nodes:
                    errors.add(row.line, Msg.CODE_IS_NODE, code=row.code)
                existing = units.get(row.code)
            if existing is not None and existing.kind != row.kind:
                errors.add(row.line, Msg.KIND_CHANGED, code=row.code)

        if row.parent_code and row.parent_code != row.code and row.kind in _PARENT_RULES:
            allowed, message = _PARENT_RULES[row.kind]
            parent_kind = kind_of(row.parent_code)
            if not known(row.parent_code):
                errors.add(row.line, Msg.UNKNOWN_PARENT, parent=row.parent_code)
            elif isinstance(parent_kind, UnitKind):
                errors.add(row.line, Msg.PARENT_IS_UNIT, parent=row.parent_code)
            elif parent_kind is not None and parent_kind not in allowed:
                errors.add(row.line, message, parent=row.parent_code)

        for member in row.members:
            if not known(member):
                errors.add(row.line, Msg.UNKNOWN_MEMBER, member=member)
            elif kind_of(member) not in {NodeKind.ENTERPRISE, None}:
                errors.add(row.line, Msg.MEMBER_NOT_ENTERPRISE, member=member)

    depth = _depths(by_code, nodes, errors)
    return _Plan(rows=by_code, nodes=nodes, units=units, depth=depth)


def _depths(by_code: dict[str, _Row], nodes: dict[str, OrgNode], errors: _Errors) -> dict[str, int]:
    """Depth of each node row within the file, refusing loops.

    The kind ladder (province → area → enterprise) already rules loops out; this keeps the
    insert order and the path walk finite should the ladder ever be relaxed.
    """
    node_rows = {code: row for code, row in by_code.items() if row.is_node}
    depth: dict[str, int] = {}
    for start in node_rows:
        chain: list[str] = []
        on_chain: set[str] = set()
        code = start
        while code in node_rows and code not in depth:
            if code in on_chain:
                loop = chain[chain.index(code) :]
                for looped in loop:
                    errors.add(node_rows[looped].line, Msg.CYCLE, code=looped)
                    depth[looped] = 0
                chain = chain[: chain.index(code)]
                break
            chain.append(code)
            on_chain.add(code)
            parent_code = node_rows[code].parent_code
            code = "" if parent_code == code else parent_code  # its own parent: reported already
        base = depth.get(code, -1) if code in node_rows else -1
        for step, code_in_chain in enumerate(reversed(chain), start=1):
            depth[code_in_chain] = base + step
    # A node moved under one of its own descendants that the file does not mention.
    for code, row in node_rows.items():
        node, new_parent = nodes.get(code), nodes.get(row.parent_code)
        if node is not None and new_parent is not None and row.parent_code not in node_rows:
            if new_parent.path.startswith(node.path):
                errors.add(row.line, Msg.CYCLE, code=code)
    return depth


# --- writing --------------------------------------------------------------------------------


def _assign(record: object, attribute: str, value: object) -> bool:
    """Set only what changes, so an unchanged record is neither updated nor counted."""
    if getattr(record, attribute) == value:
        return False
    setattr(record, attribute, value)
    return True


async def _write(session: AsyncSession, plan: _Plan, created_month: Period) -> ImportResult:
    node_rows = sorted(
        (row for row in plan.rows.values() if row.is_node), key=lambda row: plan.depth[row.code]
    )
    unit_rows = [row for row in plan.rows.values() if not row.is_node]
    node_ids = {code: node.id for code, node in plan.nodes.items()}
    loaded = {node.id: node for node in plan.nodes.values()}

    moved: list[OrgNode] = []
    nodes_updated: set[str] = set()
    for row in node_rows:
        node = plan.nodes.get(row.code)
        if node is None:
            continue
        if node_ids.get(row.parent_code) != node.parent_id:
            moved.append(node)  # under another existing parent, or under one new in this file
        if _update_node(node, row):
            nodes_updated.add(row.code)
    descendants = await _load_descendants(session, moved)
    loaded.update((node.id, node) for node in descendants)

    # New records go in as bulk INSERT … RETURNING: the ORM would insert them one by one on
    # SQLite to learn their ids. Levels keep each parent's id known before its children.
    nodes_created = 0
    for _, same_depth in groupby(node_rows, key=lambda row: plan.depth[row.code]):
        new_nodes = [
            {
                "code": row.code,
                "kind": row.kind,
                "name": row.name,
                "parent_id": node_ids.get(row.parent_code),
                "path": "/",
                "worker_count": row.worker_count,
                "ownership": row.ownership,
            }
            for row in same_depth
            if row.code not in node_ids
        ]
        node_ids.update(await _insert_returning_ids(session, OrgNode, new_nodes))
        nodes_created += len(new_nodes)

    for node in moved:
        if _assign(node, "parent_id", node_ids[plan.rows[node.code].parent_code]):
            nodes_updated.add(node.code)

    # Everything in the file is recomputed (cheap, and a parent may have moved); beyond the
    # file, only the subtrees of moved nodes can have changed.
    parent_of = {node_id: node.parent_id for node_id, node in loaded.items()}
    parent_of.update((node_ids[row.code], node_ids.get(row.parent_code)) for row in node_rows)
    recompute = {node_ids[row.code] for row in node_rows} | {node.id for node in descendants}
    stored = {node_id: node.path for node_id, node in loaded.items()}
    new_paths: list[dict[str, object]] = []
    for node_id, path in _paths(parent_of, stored, recompute).items():
        node = loaded.get(node_id)
        if node is None:
            new_paths.append({"id": node_id, "path": path})
        else:
            _assign(node, "path", path)
    if new_paths:
        await session.execute(update(OrgNode), new_paths)

    units_updated: set[str] = set()
    unit_ids = {code: unit.id for code, unit in plan.units.items()}
    new_units: list[dict[str, object]] = []
    for row in unit_rows:
        org_node_id = node_ids[row.parent_code]
        unit = plan.units.get(row.code)
        if unit is None:
            new_units.append(
                {
                    "code": row.code,
                    "kind": row.kind,
                    "name": row.name,
                    "org_node_id": org_node_id,
                    # Not expected for months before it existed: they are nobody's missing report.
                    "first_period": (row.first_period or created_month).key,
                }
            )
            continue
        changed = _assign(unit, "name", row.name)
        # Moving a unit changes only where it sits: its id, and so its reports, stay.
        changed = _assign(unit, "org_node_id", org_node_id) or changed
        if row.first_period is not None:  # an empty cell keeps the month already set
            changed = _assign(unit, "first_period", row.first_period.key) or changed
        if changed:
            units_updated.add(row.code)
    unit_ids.update(await _insert_returning_ids(session, ReportingUnit, new_units))

    wanted = {
        unit_ids[row.code]: {node_ids[code] for code in row.members}
        for row in unit_rows
        if row.kind is UnitKind.PARTY_CELL and "member_codes" in row.present
    }
    changed_members = await _sync_members(session, wanted)
    for code, unit in plan.units.items():
        if unit.id in changed_members:
            units_updated.add(code)
            # Whoever holds this unit must not go on reading the old member list.
            session.expire(unit, ["member_enterprises"])
    await session.flush()

    return ImportResult(
        nodes_created=nodes_created,
        nodes_updated=len(nodes_updated),
        units_created=len(new_units),
        units_updated=len(units_updated),
    )


async def _insert_returning_ids(
    session: AsyncSession, model: type[_T], values: Sequence[Mapping[str, object]]
) -> dict[str, int]:
    if not values:
        return {}
    # Matched back by code, so the order RETURNING gives rows in does not matter.
    result = await session.execute(insert(model).returning(model.code, model.id), values)
    return {code: record_id for code, record_id in result.tuples()}


def _update_node(node: OrgNode, row: _Row) -> bool:
    changed = _assign(node, "name", row.name)
    if "worker_count" in row.present:
        changed = _assign(node, "worker_count", row.worker_count) or changed
    if "ownership" in row.present:
        changed = _assign(node, "ownership", row.ownership) or changed
    return changed


async def _load_descendants(session: AsyncSession, moved: list[OrgNode]) -> list[OrgNode]:
    found: dict[int, OrgNode] = {}
    # A prefix inside another moved prefix adds nothing; drop it to keep the queries few.
    prefixes: list[str] = []
    for prefix in sorted({node.path for node in moved}):
        if not prefixes or not prefix.startswith(prefixes[-1]):
            prefixes.append(prefix)
    for start in range(0, len(prefixes), 100):
        chunk = prefixes[start : start + 100]
        conditions = [OrgNode.path.startswith(prefix, autoescape=True) for prefix in chunk]
        for node in await session.scalars(select(OrgNode).where(or_(*conditions))):
            found[node.id] = node
    return list(found.values())


def _paths(
    parent_of: dict[int, int | None], stored: dict[int, str], recompute: set[int]
) -> dict[int, str]:
    """path = parent's path + own id, for every node in ``recompute``; others keep ``stored``."""
    done: dict[int, str] = {}
    for start in recompute:
        chain: list[int] = []
        node_id: int | None = start
        while node_id is not None and node_id in recompute and node_id not in done:
            if len(chain) > len(recompute):
                raise AssertionError("loop in the organisation tree")  # the checks prevent it
            chain.append(node_id)
            node_id = parent_of[node_id]
        base = "/" if node_id is None else done.get(node_id) or stored[node_id]
        for link in reversed(chain):
            base = f"{base}{link}/"
            done[link] = base
    return done


async def _sync_members(session: AsyncSession, wanted: dict[int, set[int]]) -> set[int]:
    """Make each combined cell's member list exactly ``wanted``; return the units that changed."""
    table = reporting_unit_enterprises
    current: dict[int, set[int]] = {unit_id: set() for unit_id in wanted}
    for chunk in _chunks(sorted(wanted)):
        result = await session.execute(
            select(table.c.reporting_unit_id, table.c.org_node_id).where(
                table.c.reporting_unit_id.in_(chunk)
            )
        )
        for unit_id, node_id in result:
            current[unit_id].add(node_id)
    changed: set[int] = set()
    added: list[dict[str, int]] = []
    for unit_id, members in wanted.items():
        if members == current[unit_id]:
            continue
        changed.add(unit_id)
        removed = current[unit_id] - members
        if removed:
            await session.execute(
                delete(table).where(
                    table.c.reporting_unit_id == unit_id, table.c.org_node_id.in_(removed)
                )
            )
        added += [
            {"reporting_unit_id": unit_id, "org_node_id": node_id}
            for node_id in sorted(members - current[unit_id])
        ]
    if added:
        await session.execute(insert(table), added)
    return changed


# --- entry points ---------------------------------------------------------------------------


async def import_org_rows(
    session: AsyncSession,
    rows: list[tuple[int, dict[str, str]]],
    *,
    actor: str,
    source: str | None = None,
    created_month: Period | None = None,
) -> ImportResult:
    """Check ``rows`` ((line, {column: text}), any column alias) and, if all is well, write them
    and commit. On any mistake raise :class:`OrgImportError` listing all of them; nothing is
    written then. ``created_month``: the first reporting month of new units whose row gives
    none (default: this month in Vietnam)."""
    errors = _Errors()
    parsed = [
        _parse_row(line, raw, errors) for line, raw in rows if any(_clean(v) for v in raw.values())
    ]
    if not parsed:
        raise _file_error(Msg.NO_ROWS)
    codes = {row.code for row in parsed} | {row.parent_code for row in parsed}
    codes |= {member for row in parsed for member in row.members}
    codes.discard("")
    nodes = await _load_by_code(session, OrgNode, codes)
    units = await _load_by_code(session, ReportingUnit, codes)
    plan = _check(parsed, nodes, units, errors)
    if errors.items:
        raise OrgImportError(errors.items)

    if created_month is None:
        created_month = Period.of(datetime.now(VIETNAM).date())
    result = await _write(session, plan, created_month)
    audit.record(
        session,
        actor=actor,
        action="org.import",
        entity="org_tree",
        file=source,
        rows=len(parsed),
        nodes_created=result.nodes_created,
        nodes_updated=result.nodes_updated,
        units_created=result.units_created,
        units_updated=result.units_updated,
    )
    await session.commit()
    return result


async def import_org_tree(
    session: AsyncSession, path: Path, *, actor: str, created_month: Period | None = None
) -> ImportResult:
    """Import a .csv or .xlsx file (see the module docstring); commits on success."""
    return await import_org_rows(
        session, read_org_file(path), actor=actor, source=path.name, created_month=created_month
    )
