"""The organisation tree in the console: browse, search, preview an import, edit one record.

An import from the console runs the CLI's own checks (``org_import.plan_rows``) and writes with
the CLI's own code (``import_org_rows``: everything or nothing, audited). The preview is those
checks plus a comparison with the database, and writes nothing. An edit of one unit or node is
a one-row import, so it obeys exactly the rules of a file (kinds of parents, no loops, names,
months), and a record keeps its id — its reports and history stay with it wherever it moves.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import NodeKind, OrgNode, Ownership, ReportingUnit, UnitKind
from models.org import reporting_unit_enterprises
from services import audit, org_import
from services.errors import N_, NotFound
from services.office.login import actor_of
from services.office.people import plain
from services.org_import import Plan, Row
from services.org_import.checking import Errors, check_plan, load_by_code, parse_row
from services.org_import.writing import write_plan
from services.periods import Period

# --- browsing and searching -----------------------------------------------------------------


@dataclass
class UnitLine:
    id: int
    code: str
    name: str
    kind: UnitKind
    first_period: str | None


@dataclass
class TreeNode:
    id: int
    code: str
    name: str
    kind: NodeKind
    depth: int
    worker_count: int | None
    units: list[UnitLine] = field(default_factory=list)
    children: list[TreeNode] = field(default_factory=list)


async def tree(session: AsyncSession) -> list[TreeNode]:
    """Every active node, nested, each with its reporting units (two queries)."""
    nodes = list(await session.scalars(select(OrgNode).where(OrgNode.active.is_(True))))
    made = {
        n.id: TreeNode(n.id, n.code, n.name, n.kind, n.path.count("/") - 2, n.worker_count)
        for n in nodes
    }
    for unit in await session.scalars(
        select(ReportingUnit).where(ReportingUnit.active.is_(True)).order_by(ReportingUnit.code)
    ):
        if unit.org_node_id in made:
            made[unit.org_node_id].units.append(
                UnitLine(unit.id, unit.code, unit.name, unit.kind, unit.first_period)
            )
    roots: list[TreeNode] = []
    for node in sorted(nodes, key=lambda n: n.code):
        (made[node.parent_id].children if node.parent_id in made else roots).append(made[node.id])
    return roots


@dataclass(frozen=True)
class Found:
    kind: str  # "node" or "unit"
    id: int
    code: str
    name: str
    place: str


async def search(session: AsyncSession, query: str, *, limit: int = 100) -> list[Found]:
    """Nodes and units whose name or code holds ``query`` (accents and case ignored)."""
    wanted = plain(query)
    if not wanted:
        return []
    nodes = {n.id: n for n in await session.scalars(select(OrgNode).where(OrgNode.active))}
    found = [
        Found("node", n.id, n.code, n.name, nodes[n.parent_id].name if n.parent_id in nodes else "")
        for n in sorted(nodes.values(), key=lambda n: n.code)
        if wanted in plain(n.name) or wanted in plain(n.code)
    ]
    for unit in await session.scalars(
        select(ReportingUnit).where(ReportingUnit.active).order_by(ReportingUnit.code)
    ):
        if wanted in plain(unit.name) or wanted in plain(unit.code):
            place = nodes[unit.org_node_id].name if unit.org_node_id in nodes else ""
            found.append(Found("unit", unit.id, unit.code, unit.name, place))
    return found[:limit]


# --- import with a preview ------------------------------------------------------------------

FIELD_NAME = N_("name")
FIELD_PARENT = N_("parent")
FIELD_WORKERS = N_("workers")
FIELD_OWNERSHIP = N_("ownership")
FIELD_FIRST = N_("first reporting month")
FIELD_MEMBERS = N_("member enterprises")


@dataclass(frozen=True)
class Change:
    line: int
    code: str
    name: str
    kind: NodeKind | UnitKind
    what: str  # "new", "changed", "moved" (moved, and maybe changed too)
    fields: list[tuple[str, str, str]]  # (field msgid, before, after)


@dataclass(frozen=True)
class Preview:
    rows: int
    new: int
    changed: int
    moved: int
    unchanged: int
    changes: list[Change]
    fingerprint: str  # of the changes: a confirm is refused if the database moved meanwhile


def rows_from_upload(filename: str, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """An uploaded file's rows, read exactly as the CLI reads a file (by its extension).
    Blocking (openpyxl): call it off the event loop."""
    suffix = Path(filename).suffix.lower()[:8]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(content)
        return org_import.read_org_file(path)


def _text(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, Ownership | NodeKind | UnitKind):
        return value.value
    return str(value)


async def preview_import(session: AsyncSession, rows: list[tuple[int, dict[str, str]]]) -> Preview:
    """What importing ``rows`` would change, row by row; raises ``OrgImportError`` with every
    mistake (line-numbered) as the CLI does. Writes nothing."""
    parsed, plan = await org_import.plan_rows(session, rows)
    parents = await _names_by_id(session, plan)
    members = await _members(session, plan)
    changes: list[Change] = []
    unchanged = 0
    for row in plan.rows.values():
        change = _compare(row, plan, parents, members)
        if change is None:
            unchanged += 1
        else:
            changes.append(change)
    changes.sort(key=lambda c: c.line)
    digest = hashlib.sha256(repr(changes).encode()).hexdigest()[:32]
    await session.rollback()  # nothing was written; leave no transaction open
    return Preview(
        rows=len(parsed),
        new=sum(c.what == "new" for c in changes),
        changed=sum(c.what == "changed" for c in changes),
        moved=sum(c.what == "moved" for c in changes),
        unchanged=unchanged,
        changes=changes,
        fingerprint=digest,
    )


async def _names_by_id(session: AsyncSession, plan: Plan) -> dict[int, str]:
    ids = {n.parent_id for n in plan.nodes.values() if n.parent_id} | {
        u.org_node_id for u in plan.units.values()
    }
    if not ids:
        return {}
    rows = await session.execute(select(OrgNode.id, OrgNode.code).where(OrgNode.id.in_(ids)))
    return dict(rows.tuples().all())


async def _members(session: AsyncSession, plan: Plan) -> dict[int, set[str]]:
    ids = [u.id for u in plan.units.values() if u.kind is UnitKind.PARTY_CELL]
    if not ids:
        return {}
    table = reporting_unit_enterprises
    rows = await session.execute(
        select(table.c.reporting_unit_id, OrgNode.code)
        .join(OrgNode, OrgNode.id == table.c.org_node_id)
        .where(table.c.reporting_unit_id.in_(ids))
    )
    found: dict[int, set[str]] = {}
    for unit_id, code in rows.tuples():
        found.setdefault(unit_id, set()).add(code)
    return found


def _compare(
    row: Row, plan: Plan, parents: dict[int, str], members: dict[int, set[str]]
) -> Change | None:
    assert row.kind is not None  # checked
    record: OrgNode | ReportingUnit | None = (
        plan.nodes.get(row.code) if row.is_node else plan.units.get(row.code)
    )
    if record is None:
        return Change(row.line, row.code, row.name, row.kind, "new", [])
    fields: list[tuple[str, str, str]] = []

    def differs(label: str, before: object, after: object) -> None:
        if before != after:
            fields.append((label, _text(before), _text(after)))

    differs(FIELD_NAME, record.name, row.name)
    if isinstance(record, OrgNode):
        old_parent = parents.get(record.parent_id) if record.parent_id else None
        if "worker_count" in row.present:
            differs(FIELD_WORKERS, record.worker_count, row.worker_count)
        if "ownership" in row.present:
            differs(FIELD_OWNERSHIP, record.ownership, row.ownership)
    else:
        old_parent = parents.get(record.org_node_id)
        if row.first_period is not None:
            differs(FIELD_FIRST, record.first_period, row.first_period.key)
        if "member_codes" in row.present and row.kind is UnitKind.PARTY_CELL:
            before = sorted(members.get(record.id, set()))
            differs(
                FIELD_MEMBERS, ", ".join(before) or None, ", ".join(sorted(row.members)) or None
            )
    moved = (old_parent or "") != row.parent_code
    if moved:
        fields.insert(0, (FIELD_PARENT, _text(old_parent), _text(row.parent_code or None)))
    if not fields:
        return None
    return Change(row.line, row.code, row.name, row.kind, "moved" if moved else "changed", fields)


async def confirm_import(
    session: AsyncSession,
    rows: list[tuple[int, dict[str, str]]],
    *,
    fingerprint: str,
    source: str,
    by: int,
    created_month: Period,
) -> org_import.ImportResult | Preview:
    """Import ``rows`` if they would still change exactly what the preview showed; otherwise
    the new preview (the database changed meanwhile), and nothing written."""
    again = await preview_import(session, rows)
    if again.fingerprint != fingerprint:
        return again
    return await org_import.import_org_rows(
        session, rows, actor=actor_of(by), source=source, created_month=created_month
    )


# --- editing one record ---------------------------------------------------------------------


@dataclass(frozen=True)
class Editable:
    kind: str  # "node" or "unit"
    id: int
    code: str
    name: str
    record_kind: NodeKind | UnitKind
    parent_code: str
    first_period: str  # "11/2026", or "" for a node


async def editable(session: AsyncSession, kind: str, record_id: int) -> Editable:
    if kind == "unit":
        unit = await session.get(ReportingUnit, record_id)
        if unit is None:
            raise NotFound()
        parent = await session.get(OrgNode, unit.org_node_id)
        first = Period.from_key(unit.first_period) if unit.first_period else None
        return Editable(
            "unit",
            unit.id,
            unit.code,
            unit.name,
            unit.kind,
            parent.code if parent else "",
            f"{first.month:02d}/{first.year}" if first else "",
        )
    node = await session.get(OrgNode, record_id) if kind == "node" else None
    if node is None:
        raise NotFound()
    parent = await session.get(OrgNode, node.parent_id) if node.parent_id else None
    return Editable(
        "node", node.id, node.code, node.name, node.kind, parent.code if parent else "", ""
    )


async def edit(
    session: AsyncSession,
    kind: str,
    record_id: int,
    *,
    name: str,
    parent_code: str,
    first_period: str = "",
    by: int,
) -> Editable:
    """Rename a unit or node, move it under another parent, or set a unit's first reporting
    month: a one-row import (same checks; raises ``OrgImportError``), audited. Commits."""
    before = await editable(session, kind, record_id)
    raw = {
        "kind": before.record_kind.value,
        "code": before.code,
        "name": name,
        "parent_code": parent_code.strip(),
    }
    if kind == "unit" and first_period.strip():
        raw["first_period"] = first_period
    errors = Errors()
    row = parse_row(1, raw, errors)
    codes = {row.code, row.parent_code} - {""}
    nodes = await load_by_code(session, OrgNode, codes)
    units = await load_by_code(session, ReportingUnit, codes)
    plan = check_plan([row], nodes, units, errors)
    if errors.items:
        await session.rollback()
        raise org_import.OrgImportError(errors.items)
    await write_plan(session, plan, Period.from_key("2000-01"))  # existing records only
    after = await editable(session, kind, record_id)
    audit.record(
        session,
        actor=actor_of(by),
        action="org.edit",
        entity=kind,
        entity_id=record_id,
        code=before.code,
        **{
            key: {"before": getattr(before, key), "after": getattr(after, key)}
            for key in ("name", "parent_code", "first_period")
            if getattr(before, key) != getattr(after, key)
        },
    )
    await session.commit()
    return after
