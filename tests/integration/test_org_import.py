"""Importing the organisation tree from CSV / XLSX (services/org_import.py), on a real database."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.i18n import load_catalog, tr
from models import AuditEntry, NodeKind, OrgNode, Ownership, ReportingUnit, UnitKind
from models.db import UnitOfWork
from models.org import reporting_unit_enterprises
from services.org_import import (
    DEMO_PROVINCE_CSV,
    ImportResult,
    Msg,
    OrgImportError,
    RowError,
    import_org_rows,
    import_org_tree,
)

HEADER = "kind,code,name,parent_code,worker_count,ownership,member_codes\n"


async def snapshot(uow: UnitOfWork) -> dict[str, Any]:
    """Everything the import may touch, read through a fresh session, keyed by codes."""
    async with uow() as session:
        nodes = (await session.scalars(select(OrgNode))).all()
        code_of = {node.id: node.code for node in nodes}
        units = (await session.scalars(select(ReportingUnit))).all()
        unit_code_of = {unit.id: unit.code for unit in units}
        links = (await session.execute(select(reporting_unit_enterprises))).all()
        audits = await session.scalar(select(func.count()).select_from(AuditEntry))
    return {
        "nodes": {
            node.code: (
                node.kind,
                node.name,
                code_of.get(node.parent_id) if node.parent_id else None,
                node.path,
                node.worker_count,
                node.ownership,
                node.updated_at,
            )
            for node in nodes
        },
        "units": {
            unit.code: (unit.kind, unit.name, code_of[unit.org_node_id], unit.updated_at)
            for unit in units
        },
        "members": sorted((unit_code_of[unit], code_of[node]) for unit, node in links),
        "audits": audits,
    }


def path_of(nodes: dict[str, OrgNode], *codes: str) -> str:
    return "/" + "".join(f"{nodes[code].id}/" for code in codes)


async def load_nodes(session: AsyncSession) -> dict[str, OrgNode]:
    session.expire_all()
    return {node.code: node for node in await session.scalars(select(OrgNode))}


async def load_units(session: AsyncSession) -> dict[str, ReportingUnit]:
    return {unit.code: unit for unit in await session.scalars(select(ReportingUnit))}


async def members_of(session: AsyncSession, unit_code: str) -> set[str]:
    table = reporting_unit_enterprises
    rows = await session.scalars(
        select(OrgNode.code)
        .join(table, table.c.org_node_id == OrgNode.id)
        .join(ReportingUnit, ReportingUnit.id == table.c.reporting_unit_id)
        .where(ReportingUnit.code == unit_code)
    )
    return set(rows)


async def test_import_creates_tree_with_paths_and_combined_cell(
    session: AsyncSession, data_dir: Path
) -> None:
    result = await import_org_tree(session, data_dir / "org_basic.csv", actor="cli:test")

    assert result == ImportResult(
        nodes_created=7, nodes_updated=0, units_created=4, units_updated=0
    )
    nodes = await load_nodes(session)
    assert nodes["T1"].parent_id is None
    assert nodes["T1"].path == path_of(nodes, "T1")
    assert nodes["Z1"].parent_id == nodes["T1"].id
    assert nodes["Z2"].path == path_of(nodes, "T1", "Z2")
    assert nodes["E1"].path == path_of(nodes, "T1", "Z1", "E1")
    assert nodes["E3"].path == path_of(nodes, "T1", "Z2", "E3")
    assert (nodes["E1"].kind, nodes["E1"].worker_count, nodes["E1"].ownership) == (
        NodeKind.ENTERPRISE,
        1500,
        Ownership.FOREIGN,
    )
    assert nodes["E3"].ownership is Ownership.STATE
    assert nodes["E4"].ownership is None
    assert nodes["Z1"].kind is NodeKind.INDUSTRIAL_ZONE
    assert nodes["E2"].name == "Công ty Cổ phần Hai"

    units = await load_units(session)
    assert {code: (unit.kind, unit.org_node_id) for code, unit in units.items()} == {
        "U1": (UnitKind.TRADE_UNION, nodes["E1"].id),
        "C1": (UnitKind.PARTY_CELL, nodes["E1"].id),
        "CG": (UnitKind.PARTY_CELL, nodes["Z1"].id),
        "ZU1": (UnitKind.ZONE_UNION, nodes["Z1"].id),
    }
    assert await members_of(session, "CG") == {"E2", "E4"}
    assert await members_of(session, "C1") == set()

    entries = (await session.scalars(select(AuditEntry))).all()
    assert [(entry.actor, entry.action) for entry in entries] == [("cli:test", "org.import")]
    assert entries[0].details == {
        "file": "org_basic.csv",
        "rows": 11,
        "nodes_created": 7,
        "nodes_updated": 0,
        "units_created": 4,
        "units_updated": 0,
    }


async def test_reimporting_the_same_file_changes_nothing(
    session: AsyncSession, uow: UnitOfWork, data_dir: Path
) -> None:
    await import_org_tree(session, data_dir / "org_basic.csv", actor="cli:test")
    before = await snapshot(uow)

    result = await import_org_tree(session, data_dir / "org_basic.csv", actor="cli:test")

    assert result == ImportResult(
        nodes_created=0, nodes_updated=0, units_created=0, units_updated=0
    )
    after = await snapshot(uow)
    assert after["audits"] == before["audits"] + 1
    assert {**after, "audits": 0} == {**before, "audits": 0}
    assert len(after["nodes"]) == 7


async def test_reimport_renames_recounts_moves_and_recomputes_paths(
    session: AsyncSession, uow: UnitOfWork, data_dir: Path
) -> None:
    await import_org_tree(session, data_dir / "org_basic.csv", actor="cli:test")
    before = await snapshot(uow)

    result = await import_org_tree(session, data_dir / "org_update.csv", actor="cli:test")

    # E1 renamed and recounted, E2 moved to Z2, Z2 moved to the new province T2; CG's members.
    assert result == ImportResult(
        nodes_created=1, nodes_updated=3, units_created=0, units_updated=1
    )
    nodes = await load_nodes(session)
    assert len(nodes) == 8
    assert len(await load_units(session)) == 4
    assert (nodes["E1"].name, nodes["E1"].worker_count) == ("Công ty TNHH Một Thành Viên", 1620)
    assert nodes["E1"].path == path_of(nodes, "T1", "Z1", "E1")
    assert nodes["Z2"].parent_id == nodes["T2"].id
    assert nodes["Z2"].path == path_of(nodes, "T2", "Z2")
    assert nodes["E2"].parent_id == nodes["Z2"].id
    assert nodes["E2"].path == path_of(nodes, "T2", "Z2", "E2")
    # E3 is not in the second file: it follows its zone because it is a descendant.
    assert nodes["E3"].path == path_of(nodes, "T2", "Z2", "E3")
    assert nodes["E4"].path == path_of(nodes, "T1", "Z1", "E4")
    assert await members_of(session, "CG") == {"E1", "E4"}

    after = await snapshot(uow)
    # Untouched records keep their timestamps: only what changed was written.
    assert after["nodes"]["E4"] == before["nodes"]["E4"]
    assert after["units"]["U1"] == before["units"]["U1"]


async def test_moving_a_zone_carries_its_enterprises_not_in_the_file(
    session: AsyncSession, data_dir: Path, tmp_path: Path
) -> None:
    await import_org_tree(session, data_dir / "org_basic.csv", actor="cli:test")
    move = tmp_path / "move.csv"
    move.write_text(
        HEADER + "province,T9,Tỉnh Chín,,,,\nindustrial_zone,Z1,KCN Một,T9,,,\n", encoding="utf-8"
    )

    result = await import_org_tree(session, move, actor="cli:test")

    assert result == ImportResult(
        nodes_created=1, nodes_updated=1, units_created=0, units_updated=0
    )
    nodes = await load_nodes(session)
    for enterprise in ("E1", "E2", "E4"):
        assert nodes[enterprise].path == path_of(nodes, "T9", "Z1", enterprise)
    assert nodes["E3"].path == path_of(nodes, "T1", "Z2", "E3")


BAD_FILE_ERRORS = [
    RowError(4, Msg.UNKNOWN_KIND, {"value": "planet"}),
    RowError(5, Msg.EMPTY_CODE, {}),
    RowError(7, Msg.WORKERS_NOT_WHOLE, {"value": "1,5"}),
    RowError(8, Msg.DUPLICATE_CODE, {"code": "E1", "first_line": 7}),
    RowError(9, Msg.UNKNOWN_PARENT, {"parent": "NOPE"}),
    RowError(10, Msg.ENTERPRISE_PARENT, {"parent": "E1"}),
    RowError(11, Msg.PROVINCE_WITH_PARENT, {}),
    RowError(12, Msg.ENTERPRISE_UNIT_PARENT, {"parent": "Z1"}),
    RowError(13, Msg.WORKERS_NEGATIVE, {"value": "-5"}),
    RowError(13, Msg.UNKNOWN_OWNERSHIP, {"value": "sao hỏa"}),
    RowError(14, Msg.UNKNOWN_MEMBER, {"member": "E9"}),
    RowError(15, Msg.EMPTY_NAME, {}),
    RowError(16, Msg.PARENT_IS_UNIT, {"parent": "U1"}),
]


async def test_bad_file_reports_every_row_and_writes_nothing(
    session: AsyncSession, uow: UnitOfWork, data_dir: Path
) -> None:
    before = await snapshot(uow)

    with pytest.raises(OrgImportError) as caught:
        await import_org_tree(session, data_dir / "org_bad.csv", actor="cli:test")

    assert caught.value.errors == BAD_FILE_ERRORS
    assert caught.value.params == {"count": 13}
    assert await snapshot(uow) == before == {"nodes": {}, "units": {}, "members": [], "audits": 0}
    # What an admin reads: line and message in Vietnamese.
    error = caught.value.errors[3]
    assert tr("vi", error.message, **error.params) == 'Mã "E1" trùng với mã ở dòng 7.'
    assert tr("vi", caught.value.message, **caught.value.params) == (
        "Chưa nhập dữ liệu nào: tệp có 13 lỗi."
    )


async def test_bad_file_on_an_existing_database_changes_nothing(
    session: AsyncSession, uow: UnitOfWork, data_dir: Path, tmp_path: Path
) -> None:
    await import_org_tree(session, data_dir / "org_basic.csv", actor="cli:test")
    before = await snapshot(uow)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        + "enterprise,E1,Công ty đổi tên,Z1,2.000,foreign,\n"  # valid on its own
        + "enterprise,E9,Công ty mới,Z2,10,domestic,\n"  # valid on its own
        + "enterprise,U1,Công ty trùng mã công đoàn,Z1,10,,\n"
        + "trade_union,E2,CĐCS trùng mã doanh nghiệp,E1,,,\n"
        + "commune,Z1,KCN Một thành xã,T1,,,\n"
        + "party_cell,CG,Chi bộ ghép,Z1,,,E1;ZU1\n"
        + "industrial_zone,Z2,KCN Hai,Z2,,,\n"
        + "enterprise,E4,Công ty TNHH Bốn,ZU1,41,,\n"
        + "zone_union,ZU2,Công đoàn ở doanh nghiệp,E3,,,\n"
        + "trade_union,U7,CĐCS Bảy,E3,15,,\n",
        encoding="utf-8",
    )

    with pytest.raises(OrgImportError) as caught:
        await import_org_tree(session, bad, actor="cli:test")

    assert caught.value.errors == [
        RowError(4, Msg.CODE_IS_UNIT, {"code": "U1"}),
        RowError(5, Msg.CODE_IS_NODE, {"code": "E2"}),
        RowError(6, Msg.KIND_CHANGED, {"code": "Z1"}),
        RowError(7, Msg.MEMBER_NOT_ENTERPRISE, {"member": "ZU1"}),
        RowError(8, Msg.SELF_PARENT, {"code": "Z2"}),
        RowError(9, Msg.PARENT_IS_UNIT, {"parent": "ZU1"}),
        RowError(10, Msg.ZONE_UNION_PARENT, {"parent": "E3"}),
        RowError(11, Msg.WORKERS_NOT_ENTERPRISE, {}),
    ]
    assert await snapshot(uow) == before
    nodes = await load_nodes(session)
    assert nodes["E1"].name == "Công ty TNHH Một"
    assert "E9" not in nodes


async def test_a_district_is_refused_by_name_and_communes_are_areas(
    session: AsyncSession, tmp_path: Path
) -> None:
    """Since 1 July 2025 there is no district level: an old file says "huyện" and is told so;
    communes and wards ("xã", "phường", "đặc khu") hold enterprises the way zones do, and a
    "thành phố" is a centrally-run city, a province."""
    old = tmp_path / "old.csv"
    old.write_text(
        HEADER
        + "tỉnh,BN,Tỉnh Bắc Ninh,,,,\n"
        + "huyện,H-LG,Huyện Lạng Giang,BN,,,\n"
        + "district,H-YD,Huyện Yên Dũng,BN,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(OrgImportError) as caught:
        await import_org_tree(session, old, actor="cli:test")
    assert caught.value.errors == [
        RowError(3, Msg.NO_DISTRICT, {"value": "huyện"}),
        RowError(4, Msg.NO_DISTRICT, {"value": "district"}),
    ]

    current = tmp_path / "current.csv"
    current.write_text(
        HEADER
        + "thành phố,HN,Thành phố Hà Nội,,,,\n"
        + "phường,P-KB,Phường Kinh Bắc,HN,,,\n"
        + "xã,X-TD,Xã Tiên Du,HN,,,\n"
        + "đặc khu,DK-1,Đặc khu Một,HN,,,\n"
        + "enterprise,E1,Công ty Một,P-KB,120,domestic,\n"
        + "zone_union,CD-X,Công đoàn xã Tiên Du,X-TD,,,\n",
        encoding="utf-8",
    )
    await import_org_tree(session, current, actor="cli:test")
    nodes = await load_nodes(session)
    assert nodes["HN"].kind is NodeKind.PROVINCE
    assert {nodes[c].kind for c in ("P-KB", "X-TD", "DK-1")} == {NodeKind.COMMUNE}
    assert nodes["E1"].parent_id == nodes["P-KB"].id


@pytest.mark.parametrize(
    ("header", "zone_kind", "enterprise_kind", "ownership"),
    [
        ("loai,ma,ten,ma_cap_tren,so_lao_dong,loai_hinh", "kcn", "doanh nghiep", "nuoc ngoai"),
        ("Loại,Mã,Tên,Mã cấp trên,Số lao động,Loại hình", "Khu công nghiệp", "DN", "FDI"),
        ("KIND,Code,NAME,Parent Code,Worker Count,Ownership", "industrial_zone", "công ty", "fdi"),
    ],
)
async def test_header_and_value_aliases(
    session: AsyncSession,
    tmp_path: Path,
    header: str,
    zone_kind: str,
    enterprise_kind: str,
    ownership: str,
) -> None:
    source = tmp_path / "aliases.csv"
    source.write_text(
        f"{header}\n"
        f"tỉnh,P,Tỉnh P,,,\n"
        f"{zone_kind},Z,KCN Z,P,,\n"
        f'{enterprise_kind},E,Công ty E,Z,"1.234",{ownership}\n',
        encoding="utf-8",
    )

    await import_org_tree(session, source, actor="cli:test")

    nodes = await load_nodes(session)
    assert [(nodes[c].kind, nodes[c].worker_count, nodes[c].ownership) for c in "PZE"] == [
        (NodeKind.PROVINCE, None, None),
        (NodeKind.INDUSTRIAL_ZONE, None, None),
        (NodeKind.ENTERPRISE, 1234, Ownership.FOREIGN),
    ]


async def test_codes_with_wildcards_round_trip(session: AsyncSession, tmp_path: Path) -> None:
    """ "_" is allowed in a code and is a LIKE wildcard: paths must not match by accident.
    (Quotes, "%" and the like are refused now: tests/integration/test_trust_inputs.py.)"""
    source = tmp_path / "odd.csv"
    source.write_text(
        HEADER
        + "province,T_1,Tỉnh,,,,\n"
        + "industrial_zone,Z__1,KCN,T_1,,,\n"
        + "enterprise,E_1,Công ty,Z__1,5,,\n",
        encoding="utf-8",
    )

    await import_org_tree(session, source, actor="cli:test")
    result = await import_org_tree(session, source, actor="cli:test")

    assert result == ImportResult(
        nodes_created=0, nodes_updated=0, units_created=0, units_updated=0
    )
    nodes = await load_nodes(session)
    assert sorted(nodes) == ["E_1", "T_1", "Z__1"]
    assert nodes["E_1"].path == path_of(nodes, "T_1", "Z__1", "E_1")


async def test_vietnamese_semicolon_csv_with_bom(session: AsyncSession, data_dir: Path) -> None:
    assert (data_dir / "org_vietnamese.csv").read_bytes().startswith(b"\xef\xbb\xbfSTT;")

    result = await import_org_tree(session, data_dir / "org_vietnamese.csv", actor="cli:test")

    assert result == ImportResult(
        nodes_created=7, nodes_updated=0, units_created=7, units_updated=0
    )
    nodes = await load_nodes(session)
    assert {code: node.kind for code, node in nodes.items()} == {
        "VN1": NodeKind.PROVINCE,
        "KCN-A": NodeKind.INDUSTRIAL_ZONE,
        "KKT-B": NodeKind.ECONOMIC_ZONE,
        "P-C": NodeKind.COMMUNE,
        "DN-1": NodeKind.ENTERPRISE,
        "DN-2": NodeKind.ENTERPRISE,
        "DN-3": NodeKind.ENTERPRISE,
    }
    assert [(nodes[c].worker_count, nodes[c].ownership) for c in ("DN-1", "DN-2", "DN-3")] == [
        (1250, Ownership.FOREIGN),
        (48, Ownership.DOMESTIC),
        (2000, Ownership.STATE),
    ]
    assert nodes["DN-2"].path == path_of(nodes, "VN1", "P-C", "DN-2")
    units = await load_units(session)
    assert {code: unit.kind for code, unit in units.items()} == {
        "CD-1": UnitKind.TRADE_UNION,
        "CD-2": UnitKind.TRADE_UNION,
        "CB-G": UnitKind.PARTY_CELL,
        "DB-3": UnitKind.PARTY_CELL,
        "CDTN-1": UnitKind.YOUTH_UNION,
        "PN-1": UnitKind.WOMENS_UNION,
        "CDKCN-A": UnitKind.ZONE_UNION,
    }
    assert units["CB-G"].org_node_id == nodes["P-C"].id
    assert await members_of(session, "CB-G") == {"DN-2", "DN-3"}


async def test_excel_unicode_text_export(session: AsyncSession, tmp_path: Path) -> None:
    # Excel's "Unicode text" is UTF-16 with a BOM and tabs between cells.
    source = tmp_path / "unicode.csv"
    source.write_bytes("Loại\tMã\tTên\tMã cấp trên\r\ntỉnh\tP\tTỉnh Phú\t\r\n".encode("utf-16"))

    await import_org_tree(session, source, actor="cli:test")

    assert [(n.code, n.name) for n in (await load_nodes(session)).values()] == [("P", "Tỉnh Phú")]


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Cây tổ chức"
    for row_number, row in enumerate(rows, start=1):
        for column_number, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=row_number, column=column_number, value=value)
    workbook.create_sheet("Ghi chú").append(["this sheet is ignored"])
    workbook.save(path)
    return path


XLSX_HEADER: list[object] = ["Loại", "Mã", "Tên", "Mã cấp trên", "Số lao động", "Loại hình"]


async def test_xlsx_import(session: AsyncSession, tmp_path: Path) -> None:
    source = write_xlsx(
        tmp_path / "cay.xlsx",
        [
            XLSX_HEADER,
            ["tỉnh", "P", "Tỉnh P", None, None, None],
            [],
            ["kcn", "Z", "KCN Z", "P", None, None],
            ["doanh nghiệp", 101, "Công ty số", "Z", 1500, "nước ngoài"],
            ["doanh nghiệp", "E2", "Công ty chữ", "Z", "2.300", "trong nước"],
            ["cđcs", "U", "CĐCS số", 101, None, None],
        ],
    )

    result = await import_org_tree(session, source, actor="cli:test")

    assert result == ImportResult(
        nodes_created=4, nodes_updated=0, units_created=1, units_updated=0
    )
    nodes = await load_nodes(session)
    assert (nodes["101"].worker_count, nodes["101"].ownership) == (1500, Ownership.FOREIGN)
    assert nodes["E2"].worker_count == 2300
    assert nodes["101"].path == path_of(nodes, "P", "Z", "101")
    assert (await load_units(session))["U"].org_node_id == nodes["101"].id


async def test_xlsx_errors_carry_spreadsheet_row_numbers(
    session: AsyncSession, uow: UnitOfWork, tmp_path: Path
) -> None:
    source = write_xlsx(
        tmp_path / "cay.xlsx",
        [
            [],
            XLSX_HEADER,
            ["tỉnh", "P", "Tỉnh P", None, None, None],
            [],
            [],
            ["doanh nghiệp", "E", "Công ty", "P", 12.5, None],
        ],
    )

    with pytest.raises(OrgImportError) as caught:
        await import_org_tree(session, source, actor="cli:test")

    assert caught.value.errors == [
        RowError(6, Msg.WORKERS_NOT_WHOLE, {"value": "12.5"}),
        RowError(6, Msg.ENTERPRISE_PARENT, {"parent": "P"}),
    ]
    assert (await snapshot(uow))["nodes"] == {}


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "tree.xls",
            b"\xd0\xcf\x11\xe0",
            [RowError(0, Msg.UNSUPPORTED_TYPE, {"extension": ".xls"})],
        ),
        ("tree", HEADER.encode(), [RowError(0, Msg.UNSUPPORTED_TYPE, {"extension": "tree"})]),
        ("tree.xlsx", b"kind,code,name\n", [RowError(0, Msg.UNREADABLE, {})]),
        ("missing.csv", None, [RowError(0, Msg.UNREADABLE, {})]),
        (
            "latin.csv",
            (HEADER + "province,T1,Café,,,,\n").encode("cp1252"),
            [RowError(0, Msg.NOT_UTF8, {})],
        ),
        ("utf16.csv", HEADER.encode("utf-16-le"), [RowError(0, Msg.NOT_UTF8, {})]),
        ("empty.csv", b"\n \n", [RowError(0, Msg.NO_HEADER, {})]),
        ("header.csv", HEADER.encode() + b",,,\n", [RowError(0, Msg.NO_ROWS, {})]),
        (
            "columns.csv",
            "\n\nloại,mã,kind,tên\ntỉnh,T1,tỉnh,Tỉnh\n".encode(),
            [
                RowError(3, Msg.DUPLICATE_COLUMN, {"first": "loại", "second": "kind"}),
                RowError(3, Msg.MISSING_PARENT, {}),
            ],
        ),
    ],
)
async def test_unreadable_or_unknown_files_are_refused(
    session: AsyncSession,
    uow: UnitOfWork,
    tmp_path: Path,
    name: str,
    content: bytes | None,
    expected: list[RowError],
) -> None:
    source = tmp_path / name
    if content is not None:
        source.write_bytes(content)

    with pytest.raises(OrgImportError) as caught:
        await import_org_tree(session, source, actor="cli:test")

    assert caught.value.errors == expected
    assert (await snapshot(uow))["audits"] == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("45", 45),
        ("1.500", 1500),
        ("1 500", 1500),
        ("12.345", 12345),
        ("", None),
        ("1,5", Msg.WORKERS_NOT_WHOLE),
        ("1.5", Msg.WORKERS_NOT_WHOLE),
        ("1.50", Msg.WORKERS_NOT_WHOLE),
        ("mười", Msg.WORKERS_NOT_WHOLE),
        ("-1", Msg.WORKERS_NEGATIVE),
        ("99.000.000", Msg.WORKERS_TOO_LARGE),
    ],
)
async def test_worker_count_the_vietnamese_way(
    session: AsyncSession, text: str, expected: int | str | None
) -> None:
    rows = [
        (2, {"kind": "province", "code": "P", "name": "Tỉnh", "parent_code": ""}),
        (3, {"kind": "commune", "code": "D", "name": "Xã", "parent_code": "P"}),
        (
            4,
            {
                "kind": "enterprise",
                "code": "E",
                "name": "DN",
                "parent_code": "D",
                "số lao động": text,
            },
        ),
    ]
    if isinstance(expected, str):
        with pytest.raises(OrgImportError) as caught:
            await import_org_rows(session, rows, actor="system")
        assert caught.value.errors == [RowError(4, expected, {"value": text})]
        return
    await import_org_rows(session, rows, actor="system")
    assert (await load_nodes(session))["E"].worker_count == expected


async def test_absent_optional_column_keeps_stored_values(
    session: AsyncSession, data_dir: Path
) -> None:
    await import_org_tree(session, data_dir / "org_basic.csv", actor="cli:test")
    rows = [(2, {"kind": "enterprise", "code": "E1", "name": "Tên mới", "parent_code": "Z1"})]

    result = await import_org_rows(session, rows, actor="system")

    assert result == ImportResult(
        nodes_created=0, nodes_updated=1, units_created=0, units_updated=0
    )
    nodes = await load_nodes(session)
    assert (nodes["E1"].name, nodes["E1"].worker_count, nodes["E1"].ownership) == (
        "Tên mới",
        1500,
        Ownership.FOREIGN,
    )
    # Present but empty clears: the member list of a combined cell can be emptied.
    await import_org_rows(
        session,
        [
            (
                2,
                {
                    "kind": "chi bộ",
                    "code": "CG",
                    "name": "Chi bộ ghép",
                    "parent_code": "Z1",
                    "member_codes": "",
                },
            )
        ],
        actor="system",
    )
    assert await members_of(session, "CG") == set()


async def test_demo_province_imports_cleanly(session: AsyncSession) -> None:
    result = await import_org_tree(session, DEMO_PROVINCE_CSV, actor="system")

    assert result == ImportResult(
        nodes_created=27, nodes_updated=0, units_created=36, units_updated=0
    )
    nodes = await load_nodes(session)
    units = await load_units(session)
    # Today's geography (since 1 July 2025): Bắc Giang is part of Bắc Ninh, there is no
    # district level, and enterprises outside the zones sit in a commune or ward.
    assert nodes["BN"].name == "Tỉnh Bắc Ninh (dữ liệu mẫu)"
    zones = {code for code, node in nodes.items() if node.kind is NodeKind.INDUSTRIAL_ZONE}
    assert zones == {"KCN-QV", "KCN-YP", "KCN-QC", "KCN-DT"}
    communes = {node.name for node in nodes.values() if node.kind is NodeKind.COMMUNE}
    assert communes == {"Phường Kinh Bắc", "Xã Tiên Du"}
    assert not any("huyện" in node.name.lower() for node in nodes.values())
    assert not any("Bắc Giang" in node.name for node in nodes.values())
    enterprises = [node for node in nodes.values() if node.kind is NodeKind.ENTERPRISE]
    assert len(enterprises) == 20
    assert all(node.worker_count is not None for node in enterprises)
    assert all(40 <= (node.worker_count or 0) <= 6000 for node in enterprises)
    assert sum((node.worker_count or 0) < 50 for node in enterprises) >= 2
    assert {node.ownership for node in enterprises} >= {Ownership.DOMESTIC, Ownership.FOREIGN}
    union_homes = [u.org_node_id for u in units.values() if u.kind is UnitKind.TRADE_UNION]
    assert sorted(union_homes) == sorted(node.id for node in enterprises)
    zone_union_homes = {u.org_node_id for u in units.values() if u.kind is UnitKind.ZONE_UNION}
    assert zone_union_homes == {nodes[code].id for code in zones}
    combined = units["CB-QC-GHEP"]
    assert combined.org_node_id == nodes["KCN-QC"].id
    members = await members_of(session, "CB-QC-GHEP")
    assert members == {"DN-QC-03", "DN-QC-05", "DN-QC-06"}
    assert all(nodes[code].parent_id == nodes["KCN-QC"].id for code in members)
    assert sum(u.kind is UnitKind.PARTY_CELL for u in units.values()) == 9
    assert sum(u.kind is UnitKind.YOUTH_UNION for u in units.values()) == 2


def test_every_message_has_a_vietnamese_translation_with_the_same_placeholders() -> None:
    catalog = load_catalog("vi")

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    messages = [value for name, value in vars(Msg).items() if name.isupper()]
    assert len(messages) == 46  # + first reporting month (2), district (1), codes and formulas (2)
    for message in messages:
        translation = catalog.get(message)
        assert translation is not None and translation.string, message
        assert isinstance(translation.string, str)
        assert fields(translation.string) == fields(message), message
