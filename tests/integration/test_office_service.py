"""The office console's services against the test database: office links only for
administrators, the import preview writes nothing and refuses a confirm once the database moved,
an edit is a one-row import (same rules, same ids, audited), a batch of invites is all or
nothing, revoking oneself is refused, the audit log pages newest first; and the CLI's
login-link, and the multipart reader with a binary file."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import admin
from models import AuditEntry, Invite, OrgNode, ReportingUnit, Role, WebLink
from services import office, org_import
from services.office import audit_log, org, people
from services.periods import Period
from testkit.env import TEST_SECRET
from testkit.org import Tree, make_person, make_tree

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


@pytest.fixture
async def admin_id(session: AsyncSession, tree: Tree) -> int:
    return await make_person(session, 8880001, "Phạm Thu Hà", role=Role.ADMIN)


async def count(session: AsyncSession, model: type, *where: object) -> int:
    session.expire_all()
    query = select(func.count()).select_from(model)
    for condition in where:
        query = query.where(condition)  # type: ignore[arg-type]
    return int(await session.scalar(query) or 0)


def rows(text: str) -> list[tuple[int, dict[str, str]]]:
    return org.rows_from_upload("file.csv", text.encode())


async def test_an_office_link_only_for_an_administrator_and_audited(
    session: AsyncSession, tree: Tree, admin_id: int
) -> None:
    officer = await make_person(session, 8880002, "Nguyễn Thị Lan", units=(tree.union.id,))
    with pytest.raises(office.NotAdmin):
        await office.issue_office_link(
            session, officer, now=NOW, valid=timedelta(minutes=30), actor="cli:test"
        )
    assert await count(session, WebLink) == 0
    link = await office.issue_office_link(
        session, admin_id, now=NOW, valid=timedelta(minutes=30), actor="cli:test"
    )
    assert link.path.startswith("/office/l/") and link.display_name == "Phạm Thu Hà"
    stored = await session.scalar(select(WebLink))
    assert stored is not None and stored.target == "/office"
    assert await count(session, AuditEntry, AuditEntry.action == "office.link") == 1
    # Found by name, without accents; an officer's name finds no administrator.
    assert await office.find_admin(session, "thu ha") == admin_id
    with pytest.raises(office.NoSuchAdmin):
        await office.find_admin(session, "Lan")


async def test_the_preview_writes_nothing_and_a_stale_confirm_is_refused(
    session: AsyncSession, tree: Tree, admin_id: int
) -> None:
    file = rows(
        "kind,code,name,parent_code\n"
        "doanh nghiệp,DN-03,Công ty Minh Anh,KCN-QC\n"
        "cđcs,CDCS-02,CĐCS Nhật Minh,DN-03\n"
        "doanh nghiệp,DN-01,Công ty TNHH May Hà Phong,KCN-QC\n"
    )
    nodes = await count(session, OrgNode)
    preview = await org.preview_import(session, file)
    assert (preview.new, preview.changed, preview.moved, preview.unchanged) == (1, 0, 1, 1)
    moved = next(c for c in preview.changes if c.code == "CDCS-02")
    assert ("parent", "DN-02", "DN-03") in moved.fields
    assert ("name", tree.other_union.name, "CĐCS Nhật Minh") in moved.fields
    assert await count(session, OrgNode) == nodes
    assert await count(session, AuditEntry) == 0

    # Someone else imports DN-03 meanwhile: the confirm shows a new preview, writes nothing.
    await org_import.import_org_rows(
        session, rows("kind,code,name,parent_code\ndoanh nghiệp,DN-03,Khác,KCN-QC\n"), actor="x"
    )
    answer = await org.confirm_import(
        session,
        file,
        fingerprint=preview.fingerprint,
        source="file.csv",
        by=admin_id,
        created_month=Period(2026, 11),
    )
    assert isinstance(answer, org.Preview) and answer.new == 0
    unit = await session.get(ReportingUnit, tree.other_union.id)
    assert unit is not None and unit.name == tree.other_union.name  # not written
    done = await org.confirm_import(
        session,
        file,
        fingerprint=answer.fingerprint,
        source="file.csv",
        by=admin_id,
        created_month=Period(2026, 11),
    )
    assert isinstance(done, org_import.ImportResult) and done.units_updated == 1
    entry = await session.scalar(
        select(AuditEntry).where(AuditEntry.action == "org.import", AuditEntry.actor != "x")
    )
    assert entry is not None and entry.actor == f"person:{admin_id}"


async def test_a_bad_file_is_refused_with_its_lines(session: AsyncSession, tree: Tree) -> None:
    with pytest.raises(org_import.OrgImportError) as refused:
        await org.preview_import(
            session,
            rows("kind,code,name,parent_code\nhuyện,H1,Huyện A,BG\ndn,DN-9,=SUM(A1),KCN-QC\n"),
        )
    assert [e.line for e in refused.value.errors] == [2, 3]


async def test_an_edit_is_a_one_row_import_keeping_the_id_and_audited(
    session: AsyncSession, tree: Tree, admin_id: int
) -> None:
    after = await org.edit(
        session,
        "unit",
        tree.other_union.id,
        name="CĐCS Bao bì Nhật Minh",
        parent_code="DN-01",
        first_period="12/2026",
        by=admin_id,
    )
    assert (after.name, after.parent_code, after.first_period) == (
        "CĐCS Bao bì Nhật Minh",
        "DN-01",
        "12/2026",
    )
    session.expire_all()
    unit = await session.get(ReportingUnit, tree.other_union.id)
    assert unit is not None and unit.org_node_id == tree.enterprise.id
    assert unit.first_period == "2026-12"
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "org.edit"))
    assert entry is not None and entry.actor == f"person:{admin_id}"
    assert entry.details["parent_code"] == {"before": "DN-02", "after": "DN-01"}
    # The import's rules hold: a union cannot sit in a zone, a node cannot move into itself.
    with pytest.raises(org_import.OrgImportError):
        await org.edit(session, "unit", tree.union.id, name="X", parent_code="KCN-QC", by=admin_id)
    with pytest.raises(org_import.OrgImportError):
        await org.edit(session, "node", tree.zone.id, name="KCN", parent_code="DN-01", by=admin_id)
    # Moving a zone's enterprise elsewhere keeps the subtree's paths right.
    moved = await org.edit(
        session, "node", tree.small_enterprise.id, name="DN 2", parent_code="KCN-QC", by=admin_id
    )
    assert moved.name == "DN 2"


async def test_a_batch_is_all_or_nothing_and_self_revoke_is_refused(
    session: AsyncSession, tree: Tree, admin_id: int
) -> None:
    with pytest.raises(people.UnknownScope):
        await people.create_batch(
            session,
            TEST_SECRET.encode(),
            role=Role.OFFICER,
            codes=[tree.union.code, "NOPE"],
            by=admin_id,
            valid_days=14,
            now=NOW,
        )
    assert await count(session, Invite) == 0
    made = await people.create_batch(
        session,
        TEST_SECRET.encode(),
        role=Role.COMMITTEE,
        codes=[tree.zone.code, tree.province.code],
        by=admin_id,
        valid_days=14,
        now=NOW,
    )
    assert len(made) == 2 and await count(session, Invite) == 2
    lines, more = await people.invites_page(session, now=NOW, state="open")
    assert len(lines) == 2 and not more
    lines, _ = await people.invites_page(session, now=NOW + timedelta(days=15), state="expired")
    assert len(lines) == 2
    with pytest.raises(people.RevokeSelf):
        await people.revoke(session, admin_id, by=admin_id)


async def test_the_audit_log_newest_first_paged_and_filtered(
    session: AsyncSession, admin_id: int
) -> None:
    for index in range(5):
        session.add(
            AuditEntry(
                at=NOW + timedelta(minutes=index),
                actor=f"person:{admin_id}" if index % 2 else "cli:root",
                action="invite.create",
                entity="invite",
                entity_id=str(index),
                details={},
            )
        )
    await session.commit()
    first = await audit_log.audit_page(session, per_page=2)
    assert [e.entity_id for e in first.entries] == ["4", "3"] and first.has_next
    last = await audit_log.audit_page(session, per_page=2, page=3)
    assert [e.entity_id for e in last.entries] == ["0"] and not last.has_next
    mine = await audit_log.audit_page(session, actor=f"person:{admin_id}")
    assert {e.actor_name for e in mine.entries} == {"Phạm Thu Hà"} and len(mine.entries) == 2


async def test_the_cli_prints_a_login_link(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    session: AsyncSession,
    admin_id: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from testkit.env import concern_key_env

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("APP_SECRET", TEST_SECRET)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://bot.example.vn")
    for name, value in concern_key_env().items():
        monkeypatch.setenv(name, value)
    assert await asyncio.to_thread(admin.main, ["login-link", "--person", "Thu Hà"]) == 0
    out = capsys.readouterr().out
    assert "Liên kết vào trang quản trị cho Phạm Thu Hà" in out
    assert "https://bot.example.vn/office/l/" in out
    officer = await make_person(session, 8880003, "Trần Văn Hùng")
    assert await asyncio.to_thread(admin.main, ["login-link", "--person", str(officer)]) == 1
    assert "chỉ dành cho quản trị viên" in capsys.readouterr().err


async def test_the_multipart_reader_keeps_a_binary_file_intact() -> None:
    from starlette.requests import Request

    from web.office.guard import _multipart

    content = bytes(range(256)) * 40 + b"\r\n--not-a-boundary\r\n\r\n"
    boundary = "----boundary7MA4YWxk"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\nabc\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="tổ chức.xlsx"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    sent = False

    async def receive() -> dict[str, object]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "headers": [
            (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
        ],
    }
    read = await _multipart(Request(scope, receive))
    assert read is not None
    fields, files = read
    assert fields == {"csrf": "abc"}
    assert files["file"].content == content
    assert files["file"].name == "tổ chức.xlsx"
