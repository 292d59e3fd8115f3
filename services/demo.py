"""The demo province a newcomer's console starts with: a tree, officers, a committee member,
an admin and a few invite codes to try registration with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    ChannelAccount,
    NodeKind,
    OrgNode,
    Person,
    ReportingUnit,
    Role,
    RoleAssignment,
    UnitKind,
)
from services import audit
from services.invites import create_invite, display_code
from services.org_import import import_org_tree

DEMO_TREE = Path(__file__).with_name("demo_province.csv")
DEMO_CHANNEL = "console"
ACTOR = "system:demo"


@dataclass(frozen=True)
class DemoPerson:
    key: str  # what the console's /as takes
    external_id: str
    first_name: str
    last_name: str


DEMO_PEOPLE = (
    DemoPerson("officer", "9001", "Nguyễn Thị", "Lan"),
    DemoPerson("officer2", "9002", "Trần Văn", "Hùng"),
    DemoPerson("committee", "9003", "Lê Minh", "Tuấn"),
    DemoPerson("admin", "9004", "Phạm Thu", "Hà"),
)
# Not registered: the worker is anonymous, "new" is somebody with an invite code to try.
DEMO_STRANGERS = (
    DemoPerson("worker", "9100", "Công", "Nhân"),
    DemoPerson("new", "9200", "Người", "Mới"),
)
DEMO_INVITE_CODES = ("DEMQ2345", "DEMR2345", "DEMS2345")


@dataclass(frozen=True)
class DemoSeed:
    invites: list[tuple[str, Role, str]]  # (displayed code, role, unit or node name)


async def is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(func.count()).select_from(OrgNode))


async def seed(session: AsyncSession, secret: bytes) -> DemoSeed:
    """Fill an empty database with the demo province. Commits."""
    await import_org_tree(session, DEMO_TREE, actor=ACTOR)
    unions = (
        await session.scalars(
            select(ReportingUnit)
            .where(ReportingUnit.kind == UnitKind.TRADE_UNION)
            .order_by(ReportingUnit.code)
        )
    ).all()
    cells = (
        await session.scalars(
            select(ReportingUnit)
            .where(ReportingUnit.kind == UnitKind.PARTY_CELL)
            .order_by(ReportingUnit.code)
        )
    ).all()
    province = await session.scalar(select(OrgNode).where(OrgNode.kind == NodeKind.PROVINCE))
    assert unions and cells and province is not None, "the demo tree has unions, cells, a province"

    grants: dict[str, list[tuple[Role, int | None, int | None]]] = {
        # The demo officer serves two units, as many real ones do (union chair and cell secretary).
        "officer": [(Role.OFFICER, unions[0].id, None), (Role.OFFICER, cells[0].id, None)],
        "officer2": [(Role.OFFICER, unions[1].id, None)],
        "committee": [(Role.COMMITTEE, None, province.id)],
        "admin": [(Role.ADMIN, None, None)],
    }
    for demo in DEMO_PEOPLE:
        person = Person(display_name=f"{demo.first_name} {demo.last_name}", language="vi")
        session.add(person)
        await session.flush()
        session.add(
            ChannelAccount(
                person_id=person.id,
                channel=DEMO_CHANNEL,
                external_id=demo.external_id,
                chat_id=demo.external_id,
            )
        )
        for role, unit_id, node_id in grants[demo.key]:
            session.add(
                RoleAssignment(
                    person_id=person.id, role=role, reporting_unit_id=unit_id, org_node_id=node_id
                )
            )
    audit.record(session, actor=ACTOR, action="demo.seed", entity="database")
    await session.commit()

    offered = [
        (Role.OFFICER, unions[2].code, None, unions[2].name),
        (Role.OFFICER, cells[1].code, None, cells[1].name),
        (Role.COMMITTEE, None, province.code, province.name),
    ]
    invites = []
    for code, (role, unit_code, node_code, scope) in zip(DEMO_INVITE_CODES, offered, strict=True):
        await create_invite(
            session,
            secret,
            role=role,
            actor=ACTOR,
            valid_days=365,
            unit_code=unit_code,
            node_code=node_code,
            code=code,
        )
        invites.append((display_code(code), role, scope))
    return DemoSeed(invites)
