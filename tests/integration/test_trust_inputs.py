"""Inputs that could fool a reader or a spreadsheet (issue #13): formula-looking names, codes a
QR link or a file name cannot carry, and invisible or direction-reversing characters in names."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.i18n import tr
from models import OrgNode
from services.org_import import OrgImportError, RowError, import_org_tree
from services.plain_text import clean_name

HEADER = "kind,code,name,parent_code\n"


def _text(error: RowError) -> str:
    return tr("vi", error.message, **error.params)


async def _import(session: AsyncSession, tmp_path: Path, rows: str) -> OrgImportError | None:
    path = tmp_path / "org.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    try:
        await import_org_tree(session, path, actor="test")
    except OrgImportError as refused:
        return refused
    return None


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
async def test_a_name_that_a_spreadsheet_would_run_is_refused(
    session: AsyncSession, tmp_path: Path, start: str
) -> None:
    refused = await _import(
        session, tmp_path, f'province,BN,"{start}HYPERLINK(""http://x"",""Bấm"")",\n'
    )
    assert refused is not None
    assert any(e.line == 2 and "công thức" in _text(e) for e in refused.errors)
    assert await session.scalar(select(OrgNode)) is None  # nothing half-imported


@pytest.mark.parametrize("code", ["../..", "/etc/x", "DN 01", "DN.01", "ĐN-01"])
async def test_a_code_a_link_or_a_file_name_cannot_carry_is_refused(
    session: AsyncSession, tmp_path: Path, code: str
) -> None:
    refused = await _import(session, tmp_path, f'province,"{code}",Tỉnh Bắc Ninh,\n')
    assert refused is not None
    assert any(e.line == 2 and "chữ cái Latin" in _text(e) for e in refused.errors)
    assert await session.scalar(select(OrgNode)) is None


async def test_invisible_and_reversing_characters_leave_names(
    session: AsyncSession, tmp_path: Path
) -> None:
    row = 'province,BN,"Tỉnh\u202e Bắc\u200b Ninh\x07",\n'
    assert await _import(session, tmp_path, row) is None
    node = await session.scalar(select(OrgNode))
    assert node is not None and node.name == "Tỉnh Bắc Ninh"
    assert clean_name(" Lan\u202e\u2066 Nguyễn\u200d\n") == "Lan Nguyễn"
