"""Import the organisation tree and its reporting units from a CSV or XLSX file.

One file holds both the tree nodes (province, zones, communes, enterprises) and the reporting
units that sit in them (trade unions, party cells, …), one per row, each keyed by a stable code so
that importing the file again updates records instead of duplicating them. The whole file is
checked before anything is written: the standing office fixing a spreadsheet wants every mistake
at once, and a half-imported tree is worse than none. Columns and aliases: ``docs/org-import.md``.

Records that exist in the database but not in the file are left alone: an import adds and
updates, it never deletes. An optional column that is absent from the file leaves the stored
value unchanged; present but empty, it clears the value.

The package: ``reading`` (CSV/XLSX into numbered rows), ``vocabulary`` (the words offices use, and
the rules codes and names obey), ``checking`` (every row and the tree, before anything is
written), ``writing`` (the checked plan into the database), ``results`` (messages, errors,
counts); this module holds the two entry points.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from models import OrgNode, ReportingUnit
from services import audit
from services.org_import.checking import (
    Errors,
    Plan,
    Row,
    check_plan,
    clean,
    load_by_code,
    parse_row,
)
from services.org_import.reading import file_error, read_org_file
from services.org_import.results import ImportResult, Msg, OrgImportError, RowError
from services.org_import.vocabulary import (
    CODE_MAX,
    CODE_PATTERN,
    DEMO_PROVINCE_CSV,
    FORMULA_STARTS,
    NAME_MAX,
    VIETNAM,
    WORKER_COUNT_MAX,
)
from services.org_import.writing import write_plan
from services.periods import Period

__all__ = [
    "CODE_MAX",
    "CODE_PATTERN",
    "DEMO_PROVINCE_CSV",
    "FORMULA_STARTS",
    "NAME_MAX",
    "WORKER_COUNT_MAX",
    "ImportResult",
    "Msg",
    "OrgImportError",
    "Plan",
    "Row",
    "RowError",
    "import_org_rows",
    "import_org_tree",
    "plan_rows",
    "read_org_file",
]


async def plan_rows(
    session: AsyncSession, rows: list[tuple[int, dict[str, str]]]
) -> tuple[list[Row], Plan]:
    """Every check of an import, against the database, writing nothing: the rows and the plan
    ``write_plan`` would carry out (the office console previews it). Raises
    :class:`OrgImportError` with every mistake."""
    errors = Errors()
    parsed = [
        parse_row(line, raw, errors) for line, raw in rows if any(clean(v) for v in raw.values())
    ]
    if not parsed:
        raise file_error(Msg.NO_ROWS)
    codes = {row.code for row in parsed} | {row.parent_code for row in parsed}
    codes |= {member for row in parsed for member in row.members}
    codes.discard("")
    nodes = await load_by_code(session, OrgNode, codes)
    units = await load_by_code(session, ReportingUnit, codes)
    plan = check_plan(parsed, nodes, units, errors)
    if errors.items:
        raise OrgImportError(errors.items)
    return parsed, plan


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
    parsed, plan = await plan_rows(session, rows)
    if created_month is None:
        created_month = Period.of(datetime.now(VIETNAM).date())
    result = await write_plan(session, plan, created_month)
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
