"""A province with reports, targets and concerns for the digest's tests (shared by the digest,
trend and dashboard tests)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Concern,
    ConcernStatus,
    NodeKind,
    OrgNode,
    Ownership,
    Report,
    ReportingUnit,
    ReportValue,
    UnitKind,
)
from services.concerns import load_concern_config
from services.digests import (
    Digest,
    DigestPeriod,
    build_digest,
)
from services.indicators import load_indicator_config
from services.periods import load_calendar
from services.reporting import ReportingSetup, current_version_id
from services.targets import TargetConfig, load_targets
from testkit.org import make_person

TODAY = date(2026, 11, 20)


OCTOBER = DigestPeriod.of_month(2026, 10)


CANARY = "CANARY-lương tháng 10 bị trừ vô lý"  # a concern's text: must appear nowhere


TARGETS_YAML = """
version: test
targets:
  - code: party
    label: {vi: "Kết nạp đảng viên mới", en: "New party members"}
    year: 2026
    measure: {kind: sum, indicator: new_party_members, unit_kind: party_cell}
    target: 40
  - code: union
    label: {vi: "Kết nạp đoàn viên công đoàn mới", en: "New union members"}
    node_kinds: [province, industrial_zone]
    year: 2026-2030
    measure: {kind: sum, indicator: new_union_members, unit_kind: trade_union}
    target: 1500
  - code: cla
    label: {vi: "Doanh nghiệp có thỏa ước", en: "Enterprises with an agreement"}
    year: 2026
    measure: {kind: share, indicator: cla_in_force, unit_kind: trade_union}
    target: 80
  - code: union
    label: {vi: "Kết nạp đoàn viên công đoàn mới (KCN A)", en: "New union members (zone A)"}
    scope: KCN-A
    year: 2026
    measure: {kind: sum, indicator: new_union_members, unit_kind: trade_union}
    target: 30
  - code: zone_unions
    label: {vi: "Thành lập mới công đoàn cơ sở", en: "New grassroots unions"}
    scope: KCN-A
    year: 2026
    measure: {kind: sum, indicator: new_grassroots_unions, unit_kind: zone_union}
    target: 1
  - code: old
    label: {vi: "Chỉ tiêu năm 2025", en: "A 2025 target"}
    year: 2025
    measure: {kind: sum, indicator: new_party_members, unit_kind: party_cell}
    target: 10
"""


@dataclass(frozen=True)
class World:
    province: int
    zone: int
    commune: int
    other_province: int
    enterprises: dict[str, int]
    units: dict[str, int]


@pytest.fixture
def setup() -> ReportingSetup:
    return ReportingSetup(
        indicators=load_indicator_config(),
        calendar=load_calendar(),
        zone=ZoneInfo("Asia/Ho_Chi_Minh"),
    )


@pytest.fixture
def targets(tmp_path: Path, setup: ReportingSetup) -> TargetConfig:
    path = tmp_path / "targets.yaml"
    path.write_text(TARGETS_YAML, encoding="utf-8")
    return load_targets(path, setup.indicators)


CONCERNS = load_concern_config()


async def _node(
    session: AsyncSession, code: str, kind: NodeKind, name: str, parent: OrgNode | None
) -> OrgNode:
    node = OrgNode(
        code=code,
        kind=kind,
        name=name,
        parent_id=parent.id if parent else None,
        worker_count=300 if kind is NodeKind.ENTERPRISE else None,
        ownership=Ownership.DOMESTIC if kind is NodeKind.ENTERPRISE else None,
    )
    session.add(node)
    await session.flush()
    node.path = f"{parent.path if parent else '/'}{node.id}/"
    return node


async def _unit(
    session: AsyncSession, code: str, kind: UnitKind, name: str, node: OrgNode, active: bool = True
) -> int:
    unit = ReportingUnit(code=code, kind=kind, name=name, org_node_id=node.id, active=active)
    session.add(unit)
    await session.flush()
    return unit.id


async def build_world(session: AsyncSession, setup: ReportingSetup) -> World:
    province = await _node(session, "BG", NodeKind.PROVINCE, "Tỉnh Bắc Giang", None)
    zone = await _node(session, "KCN-A", NodeKind.INDUSTRIAL_ZONE, "KCN An Phú", province)
    commune = await _node(session, "X-B", NodeKind.COMMUNE, "Xã Bình Sơn", province)
    e1 = await _node(session, "DN-1", NodeKind.ENTERPRISE, "Công ty May Hà Phong", zone)
    e2 = await _node(session, "DN-2", NodeKind.ENTERPRISE, "Công ty Bao bì Nhật Minh", zone)
    e3 = await _node(session, "DN-3", NodeKind.ENTERPRISE, "Công ty Giày Bình Sơn", commune)
    other = await _node(session, "XX", NodeKind.PROVINCE, "Tỉnh khác", None)
    other_zone = await _node(session, "KCN-X", NodeKind.INDUSTRIAL_ZONE, "KCN X", other)
    ex = await _node(session, "DN-X", NodeKind.ENTERPRISE, "Công ty X", other_zone)
    units = {
        "TU1": await _unit(session, "CDCS-1", UnitKind.TRADE_UNION, "CĐCS Hà Phong", e1),
        "PC1": await _unit(session, "CB-1", UnitKind.PARTY_CELL, "Chi bộ Hà Phong", e1),
        "TU2": await _unit(session, "CDCS-2", UnitKind.TRADE_UNION, "CĐCS Nhật Minh", e2),
        "ZU1": await _unit(session, "CDKCN-A", UnitKind.ZONE_UNION, "Công đoàn KCN An Phú", zone),
        "TU3": await _unit(session, "CDCS-3", UnitKind.TRADE_UNION, "CĐCS Giày Bình Sơn", e3),
        "PC3": await _unit(session, "CB-3", UnitKind.PARTY_CELL, "Chi bộ Giày Bình Sơn", e3),
        # Dissolved: neither expected nor missing.
        "TU4": await _unit(
            session, "CDCS-4", UnitKind.TRADE_UNION, "CĐCS đã giải thể", e3, active=False
        ),
        "TUX": await _unit(session, "CDCS-X", UnitKind.TRADE_UNION, "CĐCS X", ex),
    }
    await session.commit()
    world = World(
        province.id,
        zone.id,
        commune.id,
        other.id,
        {"DN-1": e1.id, "DN-2": e2.id, "DN-3": e3.id, "DN-X": ex.id},
        units,
    )
    await _reports(session, setup, world)
    await _concerns(session, world)
    return world


async def _reports(session: AsyncSession, setup: ReportingSetup, world: World) -> None:
    officer = await make_person(session, 1, "Cán bộ")
    versions = {
        kind: await current_version_id(session, setup, kind)
        for kind in (UnitKind.TRADE_UNION, UnitKind.PARTY_CELL, UnitKind.ZONE_UNION)
    }
    kinds = {
        "TU1": UnitKind.TRADE_UNION,
        "TU2": UnitKind.TRADE_UNION,
        "TU3": UnitKind.TRADE_UNION,
        "TUX": UnitKind.TRADE_UNION,
        "PC1": UnitKind.PARTY_CELL,
        "PC3": UnitKind.PARTY_CELL,
        "ZU1": UnitKind.ZONE_UNION,
    }

    def report(unit: str, period: str, late: bool, **values: int | None) -> None:
        row = Report(
            reporting_unit_id=world.units[unit],
            period=period,
            indicator_set_version_id=versions[kinds[unit]],
            submitted_at=datetime(2026, 1, 1, tzinfo=UTC),
            submitted_by_person_id=officer,
            late=late,
        )
        session.add(row)
        rows.append((row, values))

    rows: list[tuple[Report, dict[str, int | None]]] = []
    # October 2026: TU1, PC1, PC3 on time; TU2 and ZU1 late; TU3 missing.
    report(
        "TU1",
        "2026-10",
        False,
        new_union_members=10,
        cla_in_force=1,
        workers=500,
        union_members=420,
    )
    report(
        "TU2", "2026-10", True, new_union_members=5, cla_in_force=0, workers=80, union_members=60
    )
    report("PC1", "2026-10", False, new_party_members=3, party_members=12)
    report("PC3", "2026-10", False, new_party_members=2, party_members=8)
    report(
        "ZU1",
        "2026-10",
        True,
        new_grassroots_unions=1,
        new_party_organisations=0,
        new_youth_organisations=1,
    )
    # September 2026 (the previous month).
    report(
        "TU1",
        "2026-09",
        False,
        new_union_members=4,
        cla_in_force=1,
        workers=490,
        union_members=400,
    )
    report("TU2", "2026-09", False, new_union_members=6)
    report("PC1", "2026-09", False, new_party_members=1, party_members=11)
    # January 2026 (year to date only). TU3's "yes" is its latest answer within 12 months.
    report("TU1", "2026-01", False, new_union_members=20)
    report(
        "TU3",
        "2026-01",
        False,
        new_union_members=0,
        cla_in_force=1,
        workers=300,
        union_members=150,
    )
    report("PC1", "2026-01", False, new_party_members=30)
    # October 2025 (same month last year) and a month outside every window.
    report("TU1", "2025-10", False, new_union_members=7)
    report("PC1", "2025-10", False, new_party_members=2)
    report("TU1", "2025-11", False, new_union_members=900)
    # Another province: must never be counted.
    report("TUX", "2026-10", False, new_union_members=1000, cla_in_force=1)
    await session.flush()
    for row, values in rows:
        for code, value in values.items():
            session.add(
                ReportValue(
                    report_id=row.id,
                    indicator_code=code,
                    value=None if value is None else Decimal(value),
                )
            )
    await session.commit()


async def _concerns(session: AsyncSession, world: World) -> None:
    def concern(
        enterprise: str,
        category: str,
        created: date,
        status: ConcernStatus = ConcernStatus.RECEIVED,
        answered: date | None = None,
        overdue: bool = False,
    ) -> None:
        session.add(
            Concern(
                id=secrets.token_hex(16),
                case_code="TT-" + secrets.token_hex(4).upper(),
                receipt_hash=secrets.token_hex(32),
                enterprise_id=world.enterprises[enterprise],
                category=category,
                status=status,
                created_on=created,
                status_changed_on=answered or created,
                answered_on=answered,
                escalated_on=None,
                escalated_to_node_id=None,
                overdue=overdue,
                text_encrypted=CANARY.encode(),
                push_sealed=None,
                notified=True,
            )
        )

    # DN-1, wages: 6 new in October, 5 of them answered in October, 1 still waiting (overdue).
    for day in range(1, 6):
        concern("DN-1", "wages", date(2026, 10, day), ConcernStatus.ANSWERED, date(2026, 10, 20))
    concern("DN-1", "wages", date(2026, 10, 6))
    # DN-2, wages: 2 new in October, both waiting: overdue now (one already escalated).
    concern("DN-2", "wages", date(2026, 10, 7))
    concern("DN-2", "wages", date(2026, 10, 8), ConcernStatus.ESCALATED, overdue=True)
    # DN-3: one safety case raised and answered in October; one overtime case from September
    # answered in October; one raised after the period, not yet overdue.
    concern("DN-3", "safety", date(2026, 10, 9), ConcernStatus.CLOSED, date(2026, 10, 12))
    concern("DN-3", "overtime", date(2026, 9, 20), ConcernStatus.ANSWERED, date(2026, 10, 3))
    concern("DN-3", "meals", TODAY - timedelta(days=2))
    # Another province: never counted.
    for day in range(1, 8):
        concern("DN-X", "wages", date(2026, 10, day))
    await session.commit()


async def digest_of(
    session: AsyncSession,
    node_id: int,
    setup: ReportingSetup,
    targets: TargetConfig,
    period: DigestPeriod = OCTOBER,
    today: date = TODAY,
    keep_figures: bool = True,
) -> Digest:
    return await build_digest(
        session,
        node_id=node_id,
        period=period,
        setup=setup,
        targets=targets,
        concern_config=CONCERNS,
        today=today,
        keep_figures=keep_figures,
    )
