"""Read-only queries over the organisation tree."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import NodeKind, OrgNode, ReportingUnit, UnitKind
from services.errors import NotFound


@dataclass(frozen=True)
class UnitRow:
    code: str
    kind: UnitKind
    name: str
    place: str


async def list_units(session: AsyncSession, *, under: str | None = None) -> list[UnitRow]:
    query = (
        select(ReportingUnit, OrgNode)
        .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
        .where(ReportingUnit.active.is_(True))
        .order_by(ReportingUnit.code)
    )
    if under:
        root = await session.scalar(select(OrgNode).where(OrgNode.code == under))
        if root is None:
            raise NotFound()
        query = query.where(OrgNode.path.startswith(root.path))
    rows = (await session.execute(query)).all()
    return [UnitRow(unit.code, unit.kind, unit.name, node.name) for unit, node in rows]


@dataclass(frozen=True)
class EnterpriseRow:
    code: str
    name: str
    worker_count: int | None


async def list_enterprises(
    session: AsyncSession, *, under: str | None = None
) -> list[EnterpriseRow]:
    query = (
        select(OrgNode)
        .where(OrgNode.kind == NodeKind.ENTERPRISE, OrgNode.active.is_(True))
        .order_by(OrgNode.code)
    )
    if under:
        root = await session.scalar(select(OrgNode).where(OrgNode.code == under))
        if root is None:
            raise NotFound()
        query = query.where(OrgNode.path.startswith(root.path))
    return [EnterpriseRow(n.code, n.name, n.worker_count) for n in await session.scalars(query)]


@dataclass(frozen=True)
class NodeRow:
    code: str
    kind: NodeKind
    name: str
    depth: int  # 0 for the node listed from (a province, or the --under node)
    worker_count: int | None


async def list_nodes(session: AsyncSession, *, under: str | None = None) -> list[NodeRow]:
    """Active nodes of the tree in tree order (each node, then its children by code), as one
    query; ``under`` lists that node and everything below it."""
    query = select(OrgNode).where(OrgNode.active.is_(True))
    if under:
        root = await session.scalar(select(OrgNode).where(OrgNode.code == under))
        if root is None:
            raise NotFound()
        query = query.where(OrgNode.path.startswith(root.path))
    nodes = list(await session.scalars(query))
    ids = {node.id for node in nodes}
    children: dict[int | None, list[OrgNode]] = {}
    for node in nodes:
        # A node whose parent is outside the listing (or inactive) starts a branch of its own.
        parent = node.parent_id if node.parent_id in ids else None
        children.setdefault(parent, []).append(node)
    rows: list[NodeRow] = []

    def visit(parent: int | None, depth: int) -> None:
        for node in sorted(children.get(parent, []), key=lambda n: n.code):
            rows.append(NodeRow(node.code, node.kind, node.name, depth, node.worker_count))
            visit(node.id, depth + 1)

    visit(None, 0)
    return rows
