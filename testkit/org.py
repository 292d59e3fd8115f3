"""Organisations straight from the models (no importer involved): ``make_tree`` and
``make_person``, the small explicit world of the tests; ``seed_org`` and ``register_officers``,
the same shapes at the size a benchmark or fault script asks for; ``bench_officers``, the
officers the report benchmarks write as."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import String, cast, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

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
from models.db import make_uow


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


# --- seeding at size: benchmarks and fault scripts ---------------------------------------------


@dataclass(frozen=True)
class SeededUnit:
    id: int
    code: str
    kind: UnitKind
    enterprise_code: str
    worker_count: int  # the enterprise's


async def seed_org(
    session: AsyncSession,
    *,
    province: tuple[str, str],
    zones: Sequence[tuple[str, str]],
    enterprises: int,
    enterprise: tuple[str, str],
    units: Sequence[tuple[UnitKind, str, str]],
    worker_count: Callable[[int], int],
    ownership: Callable[[int], Ownership] = lambda _: Ownership.DOMESTIC,
) -> list[SeededUnit]:
    """A province (the one with that code when there is one already), its ``zones`` (code,
    name), and ``enterprises`` enterprises spread over them in turn, each with one reporting unit
    per entry of ``units`` (kind, code, name) — codes and names are formats of the enterprise's
    index ``i``, as is ``enterprise`` (code, name). Inserted in bulk; committed. The units come
    back enterprise by enterprise, in the order of ``units``."""
    top = await session.scalar(select(OrgNode).where(OrgNode.code == province[0]))
    if top is None:
        top = OrgNode(code=province[0], kind=NodeKind.PROVINCE, name=province[1], path="/")
        session.add(top)
        await session.flush()
        top.path = f"/{top.id}/"
    zone_rows = [
        OrgNode(code=code, kind=NodeKind.INDUSTRIAL_ZONE, name=name, parent_id=top.id)
        for code, name in zones
    ]
    session.add_all(zone_rows)
    await session.flush()
    for zone in zone_rows:
        zone.path = f"{top.path}{zone.id}/"
    await session.flush()
    counts = [worker_count(i) for i in range(enterprises)]
    codes = [enterprise[0].format(i=i) for i in range(enterprises)]
    enterprise_ids = list(
        await session.scalars(
            insert(OrgNode).returning(OrgNode.id, sort_by_parameter_order=True),
            [
                {
                    "code": codes[i],
                    "kind": NodeKind.ENTERPRISE,
                    "name": enterprise[1].format(i=i),
                    "parent_id": zone_rows[i % len(zone_rows)].id,
                    "path": "/",
                    "worker_count": counts[i],
                    "ownership": ownership(i),
                }
                for i in range(enterprises)
            ],
        )
    )
    for zone in zone_rows:
        await session.execute(
            update(OrgNode)
            .where(OrgNode.parent_id == zone.id)
            .values(path=literal(zone.path) + cast(OrgNode.id, String) + "/")
        )
    made = [
        (i, kind, code.format(i=i), name.format(i=i))
        for i in range(enterprises)
        for kind, code, name in units
    ]
    unit_ids = list(
        await session.scalars(
            insert(ReportingUnit).returning(ReportingUnit.id, sort_by_parameter_order=True),
            [
                {"code": code, "kind": kind, "name": name, "org_node_id": enterprise_ids[i]}
                for i, kind, code, name in made
            ],
        )
    )
    await session.commit()
    return [
        SeededUnit(unit_id, code, kind, codes[i], counts[i])
        for unit_id, (i, kind, code, _) in zip(unit_ids, made, strict=True)
    ]


async def register_officers(
    session: AsyncSession, officers: Sequence[tuple[int, str, int]], *, language: str = "vi"
) -> list[int]:
    """People registered on Telegram as officers of one unit each, as registration leaves them:
    (user id, display name, unit id) each; inserted in bulk, committed; their person ids."""
    person_ids = list(
        await session.scalars(
            insert(Person).returning(Person.id, sort_by_parameter_order=True),
            [{"display_name": name, "language": language} for _, name, _ in officers],
        )
    )
    await session.execute(
        insert(ChannelAccount),
        [
            {
                "person_id": person_id,
                "channel": "telegram",
                "external_id": str(user_id),
                "chat_id": str(user_id),
            }
            for person_id, (user_id, _, _) in zip(person_ids, officers, strict=True)
        ],
    )
    await session.execute(
        insert(RoleAssignment),
        [
            {"person_id": person_id, "role": Role.OFFICER, "reporting_unit_id": unit_id}
            for person_id, (_, _, unit_id) in zip(person_ids, officers, strict=True)
        ],
    )
    await session.commit()
    return person_ids


BENCH_FIRST_USER_ID = 7_000_000_001


async def bench_officers(engine: AsyncEngine, count: int, zones: int = 4) -> None:
    """A province, a few zones, ``count`` enterprises each with a trade union and one registered
    officer (as registration leaves them), inserted in bulk; officer ``i`` is Telegram user
    ``BENCH_FIRST_USER_ID + i``."""
    async with make_uow(engine)() as session:
        units = await seed_org(
            session,
            province=("BENCH", "Tỉnh Thử tải"),
            zones=[(f"BENCH-KCN-{z + 1}", f"KCN Thử tải {z + 1}") for z in range(zones)],
            enterprises=count,
            enterprise=("BENCH-DN-{i:05d}", "Công ty TNHH Thử tải số {i}"),
            units=[(UnitKind.TRADE_UNION, "BENCH-CDCS-{i:05d}", "CĐCS Công ty Thử tải số {i}")],
            worker_count=lambda i: 100 + i % 4000,
            ownership=lambda i: Ownership.DOMESTIC if i % 3 else Ownership.FOREIGN,
        )
        await register_officers(
            session,
            [
                (BENCH_FIRST_USER_ID + i, f"Nguyễn Cán bộ {i}", unit.id)
                for i, unit in enumerate(units)
            ],
        )
