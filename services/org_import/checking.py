"""Checking every row before anything is written: each row's values, then the tree as a whole
(parents exist and are of the right kind, no cycles, members are enterprises), against what the
database already holds. Every mistake is collected with its line, so the office fixes them all at
once."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import BindParameter, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import NodeKind, OrgNode, Ownership, ReportingUnit, UnitKind
from services.org_import.results import Msg, RowError
from services.org_import.vocabulary import (
    CHUNK,
    CODE_MAX,
    CODE_PATTERN,
    COLUMNS,
    DAY_FIRST,
    DISTRICT_KINDS,
    FORMULA_STARTS,
    KINDS,
    MONTH_FIRST,
    NAME_MAX,
    OWNERSHIPS,
    PARENT_RULES,
    REQUIRED_COLUMNS,
    WHOLE_NUMBER,
    WORKER_COUNT_MAX,
    YEAR_FIRST,
    Kind,
    fold,
)
from services.periods import Period
from services.plain_text import clean_name


@dataclass
class Row:
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


class Errors:
    def __init__(self) -> None:
        self.items: list[RowError] = []

    def add(self, line: int, message: str, **params: object) -> None:
        self.items.append(RowError(line, message, params))


def clean(value: str | None) -> str:
    # NFC: Vietnamese typed on some keyboards arrives decomposed and would not match itself.
    return unicodedata.normalize("NFC", value or "").strip()


def parse_row(line: int, raw: dict[str, str], errors: Errors) -> Row:
    cells: dict[str, str] = {}
    for column, value in raw.items():
        key = COLUMNS.get(fold(column))
        if key is not None:
            cells[key] = clean(value)
    for key, message in REQUIRED_COLUMNS.items():
        if key not in cells:
            errors.add(line, message)

    kind_text = cells.get("kind", "")
    kind = KINDS.get(fold(kind_text))
    if not kind_text:
        if "kind" in cells:
            errors.add(line, Msg.EMPTY_KIND)
    elif kind is None and fold(kind_text) in DISTRICT_KINDS:
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
    ownership = OWNERSHIPS.get(fold(ownership_text))
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

    return Row(
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


def _parse_month(line: int, text: str, errors: Errors) -> Period | None:
    if not text:
        return None
    folded = fold(text)
    for pattern in (DAY_FIRST, MONTH_FIRST, YEAR_FIRST):
        match = pattern.fullmatch(folded)
        if match is not None:
            try:
                return Period(int(match["year"]), int(match["month"]))
            except ValueError:
                break
    errors.add(line, Msg.BAD_FIRST_PERIOD, value=text)
    return None


def _parse_worker_count(line: int, text: str, errors: Errors) -> int | None:
    if not text:
        return None
    digits = text.removeprefix("-").strip()
    if not WHOLE_NUMBER.fullmatch(digits):
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


T = TypeVar("T", OrgNode, ReportingUnit)


_V = TypeVar("_V")


def chunks(items: Sequence[_V]) -> Iterator[Sequence[_V]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


async def load_by_code(session: AsyncSession, model: type[T], codes: Iterable[str]) -> dict[str, T]:
    found: dict[str, T] = {}
    for chunk in chunks(sorted(set(codes))):
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
class Plan:
    """Everything the checks learned that the writing needs."""

    rows: dict[str, Row]  # by code, first occurrence only
    nodes: dict[str, OrgNode]  # existing, by code
    units: dict[str, ReportingUnit]
    depth: dict[str, int]  # node rows: 0 when the parent is not in the file


def check_plan(
    rows: list[Row], nodes: dict[str, OrgNode], units: dict[str, ReportingUnit], errors: Errors
) -> Plan:
    by_code: dict[str, Row] = {}
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

        if row.parent_code and row.parent_code != row.code and row.kind in PARENT_RULES:
            allowed, message = PARENT_RULES[row.kind]
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
    return Plan(rows=by_code, nodes=nodes, units=units, depth=depth)


def _depths(by_code: dict[str, Row], nodes: dict[str, OrgNode], errors: Errors) -> dict[str, int]:
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
