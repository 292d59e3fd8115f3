"""services/office/powers.py: who administers what from the chat, checked from the database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Invite,
    NodeKind,
    OrgNode,
    Person,
    ReportingUnit,
    Role,
    RoleAssignment,
    UnitKind,
)
from services import digests
from services.digests import DigestPeriod
from services.indicators import load_indicator_config
from services.office import powers
from services.office.powers import Mode
from services.periods import Period, load_calendar
from services.reporting import ReportingSetup
from testkit.env import TEST_SECRET
from testkit.org import Tree, make_person, make_tree

SECRET = TEST_SECRET.encode()
NOW = datetime(2026, 11, 20, 3, tzinfo=UTC)


@pytest.fixture
def setup() -> ReportingSetup:
    return ReportingSetup(
        indicators=load_indicator_config(),
        calendar=load_calendar(),
        zone=ZoneInfo("Asia/Ho_Chi_Minh"),
    )


async def zone_union(session: AsyncSession, tree: Tree, *, active: bool = True) -> int:
    unit = ReportingUnit(
        code="CDKCN-QC",
        kind=UnitKind.ZONE_UNION,
        name="Công đoàn KCN Quang Châu",
        org_node_id=tree.zone.id,
        active=active,
    )
    session.add(unit)
    await session.commit()
    return unit.id


async def second_zone(session: AsyncSession, tree: Tree) -> tuple[int, int]:
    """KCN Đình Trám with one enterprise and its union: (zone id, union id)."""
    province = await session.get(OrgNode, tree.province.id)
    assert province is not None
    zone = OrgNode(
        code="KCN-DT", kind=NodeKind.INDUSTRIAL_ZONE, name="KCN Đình Trám", parent_id=province.id
    )
    session.add(zone)
    await session.flush()
    zone.path = f"{province.path}{zone.id}/"
    enterprise = OrgNode(code="DN-03", kind=NodeKind.ENTERPRISE, name="DN 3", parent_id=zone.id)
    session.add(enterprise)
    await session.flush()
    enterprise.path = f"{zone.path}{enterprise.id}/"
    union = ReportingUnit(
        code="CDCS-03", kind=UnitKind.TRADE_UNION, name="CĐCS 3", org_node_id=enterprise.id
    )
    session.add(union)
    await session.commit()
    return zone.id, union.id


async def test_who_counts_as_zone_level(session: AsyncSession) -> None:
    tree = await make_tree(session)
    union_id = await zone_union(session, tree)
    minh = await make_person(session, 1, "Đỗ Minh", units=(union_id,))
    lan = await make_person(session, 2, "Lan", units=(tree.union.id,))  # an enterprise's union
    committee = await make_person(session, 3, "BCĐ", role=Role.COMMITTEE, node_id=tree.zone.id)
    admin = await make_person(session, 4, "Hà", role=Role.ADMIN)

    zone = (await powers.powers_of(session, minh)).zones
    assert [(z.code, z.name) for z in zone] == [("KCN-QC", "KCN Quang Châu")]
    assert not (await powers.powers_of(session, minh)).admin
    for nobody in (lan, committee):
        assert not (await powers.powers_of(session, nobody)).administers
    assert (await powers.powers_of(session, admin)).admin

    # An inactive zone union, a revoked role or a revoked person: zone-level no more.
    unit = await session.get(ReportingUnit, union_id)
    assert unit is not None
    unit.active = False
    await session.commit()
    assert not (await powers.powers_of(session, minh)).administers
    unit.active = True
    role = await session.scalar(select(RoleAssignment).where(RoleAssignment.person_id == minh))
    assert role is not None
    role.revoked_at = NOW
    await session.commit()
    assert not (await powers.powers_of(session, minh)).administers
    role.revoked_at = None
    person = await session.get(Person, minh)
    assert person is not None
    person.revoked_at = NOW
    await session.commit()
    assert not (await powers.powers_of(session, minh)).administers


async def test_a_zone_officer_invites_officers_in_their_zone_only(session: AsyncSession) -> None:
    tree = await make_tree(session)
    minh = await make_person(session, 1, "Đỗ Minh", units=(await zone_union(session, tree),))
    zone2, union3 = await second_zone(session, tree)

    made = await powers.invite(
        session, SECRET, person_id=minh, role=Role.OFFICER, target_id=tree.union.id,
        valid_days=14, now=NOW,
    )  # fmt: skip
    assert made.role is Role.OFFICER and made.scope_name == "CĐCS Công ty May Hà Phong"
    with pytest.raises(powers.OutsideYourZone):
        await powers.invite(
            session, SECRET, person_id=minh, role=Role.OFFICER, target_id=union3,
            valid_days=14, now=NOW,
        )  # fmt: skip
    for role, target in ((Role.COMMITTEE, tree.zone.id), (Role.ADMIN, None)):
        with pytest.raises(powers.AdminsOnly):
            await powers.invite(
                session, SECRET, person_id=minh, role=role, target_id=target,
                valid_days=14, now=NOW,
            )  # fmt: skip
    with pytest.raises(powers.OutsideYourZone):
        await powers.browse(session, minh, Mode.OFFICER, zone2)
    with pytest.raises(powers.OutsideYourZone):
        await powers.find_code(session, minh, Mode.OFFICER, "cdcs-03")
    with pytest.raises(powers.UnknownCode):
        await powers.find_code(session, minh, Mode.OFFICER, "NO-SUCH")
    assert (await powers.find_code(session, minh, Mode.OFFICER, " cdcs-02 ")).unit is not None
    invites = (await session.scalars(select(Invite))).all()
    assert [(i.reporting_unit_id, i.created_by) for i in invites] == [
        (tree.union.id, f"person:{minh}")
    ]


async def test_browsing_pages_and_the_way_back(session: AsyncSession) -> None:
    tree = await make_tree(session)
    admin = await make_person(session, 4, "Hà", role=Role.ADMIN)
    for number in range(25):
        session.add(
            ReportingUnit(
                code=f"U-{number:02}",
                kind=UnitKind.PARTY_CELL,
                name=f"Chi bộ {number:02}",
                org_node_id=tree.zone.id,
            )
        )
    await session.commit()
    top = await powers.browse(session, admin, Mode.OFFICER)
    assert top.node is not None and top.node.code == "BG" and top.up is None  # one root
    first = await powers.browse(session, admin, Mode.OFFICER, tree.zone.id)
    assert (first.page, first.pages, first.up) == (0, 2, tree.province.id)
    assert [n.code for n in first.nodes] == ["DN-02", "DN-01"]  # by name
    assert len(first.units) == powers.PAGE_SIZE - 2
    second = await powers.browse(session, admin, Mode.OFFICER, tree.zone.id, 1)
    assert [u.code for u in second.units] == [
        "U-18",
        "U-19",
        "U-20",
        "U-21",
        "U-22",
        "U-23",
        "U-24",
    ]
    committee = await powers.browse(session, admin, Mode.COMMITTEE, tree.zone.id)
    assert committee.nodes == () and committee.units == () and committee.may_choose_node


async def test_missing_reports_are_the_digests_own_list(
    session: AsyncSession, setup: ReportingSetup
) -> None:
    tree = await make_tree(session)
    minh = await make_person(session, 1, "Đỗ Minh", units=(await zone_union(session, tree),))
    admin = await make_person(session, 4, "Hà", role=Role.ADMIN)
    await second_zone(session, tree)
    today = date(2026, 11, 20)

    mine = await powers.missing_reports(session, minh, setup=setup, today=today)
    assert mine.month == Period(2026, 11)
    (section,) = mine.sections
    assert section.scope_name == "KCN Quang Châu"
    digest = await digests.missing_units(
        session, node_id=tree.zone.id, period=DigestPeriod.of_month(2026, 11), setup=setup,
        today=today,
    )  # fmt: skip
    assert section.units == digest.units
    assert {u.code for u in section.units} == {"CDCS-01", "CB-01", "CDCS-02", "CDKCN-QC"}
    assert [o.name for u in section.units if u.code == "CDKCN-QC" for o in u.officers] == [
        "Đỗ Minh"
    ]
    everything = await powers.missing_reports(session, admin, setup=setup, today=today)
    assert {u.code for s in everything.sections for u in s.units} == {
        "CDCS-01", "CB-01", "CDCS-02", "CDKCN-QC", "CDCS-03"
    }  # fmt: skip
    # Before the 15th the month being collected is the one before.
    early = await powers.missing_reports(session, admin, setup=setup, today=date(2026, 11, 3))
    assert early.month == Period(2026, 10)


async def test_reopening_only_a_locked_month_and_only_by_an_admin(
    session: AsyncSession, setup: ReportingSetup
) -> None:
    tree = await make_tree(session)
    admin = await make_person(session, 4, "Hà", role=Role.ADMIN)
    minh = await make_person(session, 1, "Đỗ Minh", units=(await zone_union(session, tree),))
    assert powers.locked_months(date(2026, 11, 20), setup)[:2] == [
        Period(2026, 10),
        Period(2026, 9),
    ]
    with pytest.raises(powers.NotLocked):
        await powers.reopen(
            session, person_id=admin, unit_id=tree.union.id, period=Period(2026, 11), days=7,
            now=NOW, setup=setup,
        )  # fmt: skip
    with pytest.raises(powers.NotOpenYet):
        await powers.reopen(
            session, person_id=admin, unit_id=tree.union.id, period=Period(2026, 12), days=7,
            now=NOW, setup=setup,
        )  # fmt: skip
    with pytest.raises(powers.AdminsOnly):
        await powers.reopen(
            session, person_id=minh, unit_id=tree.union.id, period=Period(2026, 10), days=7,
            now=NOW, setup=setup,
        )  # fmt: skip
    unlocked = await powers.reopen(
        session, person_id=admin, unit_id=tree.union.id, period=Period(2026, 10), days=7,
        now=NOW, setup=setup,
    )  # fmt: skip
    assert unlocked.unit_id == tree.union.id and (unlocked.until - NOW).days == 7
