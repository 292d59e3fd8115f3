"""Small, explicit test data built straight from the models (no importer involved)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    ChannelAccount,
    NodeKind,
    OrgNode,
    Ownership,
    Person,
    ReportingUnit,
    Role,
    RoleAssignment,
    UnitKind,
)


@dataclass(frozen=True)
class Ref:
    """A snapshot of a row's keys: safe to use after the session expired its objects."""

    id: int
    code: str
    name: str


def ref(row: OrgNode | ReportingUnit) -> Ref:
    return Ref(row.id, row.code, row.name)


@dataclass(frozen=True)
class Tree:
    province: Ref
    zone: Ref
    enterprise: Ref
    small_enterprise: Ref
    union: Ref
    cell: Ref
    other_union: Ref


async def make_tree(session: AsyncSession) -> Tree:
    province = OrgNode(code="BG", kind=NodeKind.PROVINCE, name="Tỉnh Bắc Giang", path="/")
    session.add(province)
    await session.flush()
    province.path = f"/{province.id}/"
    zone = OrgNode(
        code="KCN-QC", kind=NodeKind.INDUSTRIAL_ZONE, name="KCN Quang Châu", parent_id=province.id
    )
    session.add(zone)
    await session.flush()
    zone.path = f"{province.path}{zone.id}/"
    enterprise = OrgNode(
        code="DN-01",
        kind=NodeKind.ENTERPRISE,
        name="Công ty TNHH May Hà Phong",
        parent_id=zone.id,
        worker_count=1200,
        ownership=Ownership.DOMESTIC,
    )
    small = OrgNode(
        code="DN-02",
        kind=NodeKind.ENTERPRISE,
        name="Công ty CP Bao bì Nhật Minh",
        parent_id=zone.id,
        worker_count=35,
        ownership=Ownership.FOREIGN,
    )
    session.add_all([enterprise, small])
    await session.flush()
    enterprise.path = f"{zone.path}{enterprise.id}/"
    small.path = f"{zone.path}{small.id}/"
    union = ReportingUnit(
        code="CDCS-01",
        kind=UnitKind.TRADE_UNION,
        name="CĐCS Công ty May Hà Phong",
        org_node_id=enterprise.id,
    )
    cell = ReportingUnit(
        code="CB-01",
        kind=UnitKind.PARTY_CELL,
        name="Chi bộ Công ty May Hà Phong",
        org_node_id=enterprise.id,
    )
    other = ReportingUnit(
        code="CDCS-02",
        kind=UnitKind.TRADE_UNION,
        name="CĐCS Công ty Bao bì Nhật Minh",
        org_node_id=small.id,
    )
    session.add_all([union, cell, other])
    await session.commit()
    return Tree(*(ref(row) for row in (province, zone, enterprise, small, union, cell, other)))


async def make_person(
    session: AsyncSession,
    external_id: int,
    name: str,
    *,
    units: tuple[int, ...] = (),
    role: Role = Role.OFFICER,
    node_id: int | None = None,
    channel: str = "telegram",
) -> int:
    """A registered person with roles, as registration would leave them."""
    person = Person(display_name=name, language="vi")
    session.add(person)
    await session.flush()
    session.add(
        ChannelAccount(
            person_id=person.id,
            channel=channel,
            external_id=str(external_id),
            chat_id=str(external_id),
        )
    )
    for unit_id in units:
        session.add(RoleAssignment(person_id=person.id, role=role, reporting_unit_id=unit_id))
    if role is not Role.OFFICER:
        session.add(RoleAssignment(person_id=person.id, role=role, org_node_id=node_id))
    await session.commit()
    return person.id
