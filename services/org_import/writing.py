"""Writing a checked plan: new and changed nodes and units, moved subtrees' paths, the
membership of units in enterprises, and one audit row per import. Never deletes a record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import OrgNode, ReportingUnit, UnitKind
from models.org import reporting_unit_enterprises
from services.org_import.checking import Plan, Row, T, chunks
from services.org_import.results import ImportResult
from services.periods import Period


def _assign(record: object, attribute: str, value: object) -> bool:
    """Set only what changes, so an unchanged record is neither updated nor counted."""
    if getattr(record, attribute) == value:
        return False
    setattr(record, attribute, value)
    return True


async def write_plan(session: AsyncSession, plan: Plan, created_month: Period) -> ImportResult:
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
    session: AsyncSession, model: type[T], values: Sequence[Mapping[str, object]]
) -> dict[str, int]:
    if not values:
        return {}
    # Matched back by code, so the order RETURNING gives rows in does not matter.
    result = await session.execute(insert(model).returning(model.code, model.id), values)
    return {code: record_id for code, record_id in result.tuples()}


def _update_node(node: OrgNode, row: Row) -> bool:
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
    for chunk in chunks(sorted(wanted)):
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
