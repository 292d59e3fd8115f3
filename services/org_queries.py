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
