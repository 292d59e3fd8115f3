"""The office console in a real Chromium (Debian's, through Playwright), against the bot's real
HTTP app on a loopback port and the test database: signing in by a one-time office link (and a
used or expired link refused), the guard (a non-administrator refused on every page by URL, a
POST without its CSRF token refused), importing the organisation tree with a preview, invites in
a batch with their printable QR sheet, and revoking a person."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.async_api import expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry, Role, WebSession
from services import office, web_auth
from testkit import web as web_kit
from testkit.chat import Clock
from testkit.office_pages import DESK, count, office_link, shot, sign_in
from testkit.org import Tree, make_person, make_tree

pytestmark = pytest.mark.browser


# Every page of the console a visitor can ask for by URL.
OFFICE_PAGES = [
    "/office",
    "/office/org",
    "/office/org/import",
    "/office/people",
    "/office/invites",
    "/office/invites/new",
    "/office/audit",
]


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


@pytest.fixture
async def admin_id(session: AsyncSession, tree: Tree) -> int:
    return await make_person(session, 7770001, "Phạm Thu Hà", role=Role.ADMIN)


async def test_signing_in_by_a_one_time_link_and_the_link_refused_once_used_or_expired(
    browser: Any, pages_url: str, session: AsyncSession, clock: Clock, admin_id: int
) -> None:
    path = await office_link(session, admin_id, clock)
    page = await browser.new_page()
    await page.goto(pages_url + path)
    await page.wait_for_url("**/office")
    await expect(page.locator("h1")).to_have_text("Tổng quan")
    await expect(page.locator(".office-who")).to_contain_text("Phạm Thu Hà")
    await shot(page, "office-overview-phone")
    # An office session, with the office's idle time (8 hours), in an HttpOnly cookie.
    cookies = {c["name"]: c for c in await browser.cookies()}
    assert cookies["session"]["httpOnly"] and cookies["session"]["sameSite"] == "Lax"
    session.expire_all()
    stored = await session.scalar(select(WebSession).where(WebSession.person_id == admin_id))
    assert stored is not None and stored.via == "office"
    assert stored.expires_at - clock.now == timedelta(hours=8)

    # The same link again, in another browser: refused, in Vietnamese, and no session.
    other = await browser.browser.new_context()
    try:
        again = await other.new_page()
        await again.goto(pages_url + path)
        await expect(again.locator(".notice")).to_contain_text("Liên kết này đã được dùng")
        await expect(again.locator(".notice")).to_contain_text("/quantri")
        answer = await again.request.post(pages_url + path)
        assert answer.status == 410
        assert not await other.cookies()
    finally:
        await other.close()

    # An expired link: refused the same way.
    late = await office_link(session, admin_id, clock)
    clock.now += timedelta(minutes=31)
    page2 = await browser.new_page()
    await page2.goto(pages_url + late)
    await expect(page2.locator(".notice")).to_contain_text("Liên kết này đã hết hạn")
    assert await count(session, WebSession) == 1

    # Signing out ends the session: the console asks for a new link.
    clock.now -= timedelta(minutes=31)
    await page.click("text=Đăng xuất")
    await expect(page.locator(".notice")).to_contain_text("Bạn đã đăng xuất")
    response = await page.goto(pages_url + "/office")
    assert response.status == 401
    assert await count(session, WebSession) == 0


async def test_a_non_administrator_is_refused_on_every_page_and_a_post_without_csrf(
    browser: Any, pages_url: str, session: AsyncSession, clock: Clock, tree: Tree, admin_id: int
) -> None:
    officer = await make_person(session, 7770002, "Nguyễn Thị Lan", units=(tree.union.id,))
    # An officer cannot be given an office link at all.
    with pytest.raises(office.NotAdmin):
        await office_link(session, officer, clock)
    # An officer signed in to the report form (a report session) gets nothing of the console.
    report = await web_auth.issue_link(
        session, person_id=officer, target="/report", now=clock.now, valid=timedelta(minutes=30)
    )
    page = await browser.new_page()
    await page.goto(f"{pages_url}/l/{report.token}")
    await page.wait_for_url("**/report")
    for path in OFFICE_PAGES:
        response = await page.goto(pages_url + path)
        assert response.status == 401, path
        await expect(page.locator(".notice")).to_contain_text("Bạn chưa đăng nhập trang quản trị")
    # Even an office session (made by hand here) is refused once the database says the person
    # is not an administrator: the role is checked on every request.
    forged = await web_auth.start_session(
        session, person_id=officer, via="office", now=clock.now, idle=timedelta(hours=8)
    )
    await browser.add_cookies(
        [{"name": "session", "value": forged.token, "url": pages_url, "httpOnly": True}]
    )
    for path in OFFICE_PAGES:
        response = await page.goto(pages_url + path)
        assert response.status == 403, path
        await expect(page.locator(".notice")).to_contain_text("chỉ dành cho quản trị viên")
    # An administrator revoked while signed in is refused at the next click.
    await browser.clear_cookies()
    await sign_in(page, pages_url, session, admin_id, clock)
    csrf = web_kit.hidden(await page.content(), "csrf")
    # A POST without the CSRF token (or with a wrong one) is refused and changes nothing.
    before = await count(session, AuditEntry)
    for form in ({}, {"csrf": "x" * 32}):
        answer = await page.request.post(f"{pages_url}/office/people/{officer}/revoke", form=form)
        assert answer.status == 403
        assert "Không có gì thay đổi" in await answer.text()
    assert await count(session, AuditEntry) == before
    for path in ("/office/logout", "/office/invites/new", "/office/org/import/confirm"):
        answer = await page.request.post(pages_url + path, form={})
        assert answer.status == 403, path
    answer = await page.request.post(
        f"{pages_url}/office/org/import",
        multipart={"file": {"name": "a.csv", "mimeType": "text/csv", "buffer": b"kind,code\n"}},
    )
    assert answer.status == 403
    assert csrf
    from services import access

    await access.revoke_person(session, admin_id, actor="cli:test")
    response = await page.goto(pages_url + "/office")
    assert response.status == 401  # a revoked person's session ends


BAD_CSV = (
    "kind,code,name,parent_code\n"
    "doanh nghiệp,DN-03,Công ty TNHH Điện tử Minh Anh,KCN-QC\n"
    "huyện,H-01,Huyện Yên Dũng,BG\n"
    "doanh nghiệp,DN-04,Công ty CP Gỗ An Phát,KCN-XX\n"
).encode()


def good_xlsx() -> bytes:
    """A new enterprise, one renamed, and a union moved to the new enterprise."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Loại", "Mã", "Tên", "Mã cấp trên"])
    sheet.append(["doanh nghiệp", "DN-03", "Công ty TNHH Điện tử Minh Anh", "KCN-QC"])
    sheet.append(["doanh nghiệp", "DN-01", "Công ty TNHH May Hà Phong Bắc Giang", "KCN-QC"])
    sheet.append(["cđcs", "CDCS-02", "CĐCS Công ty Bao bì Nhật Minh", "DN-03"])
    sheet.append(["cđcs", "CDCS-01", "CĐCS Công ty May Hà Phong", "DN-01"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_import_refuses_a_bad_file_with_line_numbers_then_previews_and_imports_a_good_one(
    browser: Any, pages_url: str, session: AsyncSession, clock: Clock, tree: Tree, admin_id: int
) -> None:
    from models import OrgNode, ReportingUnit

    page = await browser.new_page()
    await sign_in(page, pages_url, session, admin_id, clock)
    nodes = await count(session, OrgNode)
    await page.goto(pages_url + "/office/org/import")
    await shot(page, "office-import-phone")
    await page.set_input_files(
        "#file", files=[{"name": "to-chuc.csv", "mimeType": "text/csv", "buffer": BAD_CSV}]
    )
    await page.click("text=Kiểm tra tệp")
    errors = page.locator("#import-errors li")
    await expect(errors).to_have_count(2)
    await expect(errors.nth(0)).to_contain_text("Dòng 3:")
    await expect(errors.nth(0)).to_contain_text("không còn cấp huyện")
    await expect(errors.nth(1)).to_contain_text("Dòng 4:")
    await expect(errors.nth(1)).to_contain_text("KCN-XX")
    assert await count(session, OrgNode) == nodes  # nothing imported, not even line 2

    await page.set_input_files(
        "#file",
        files=[
            {
                "name": "to-chuc.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": good_xlsx(),
            }
        ],
    )
    await page.click("text=Kiểm tra tệp")
    await expect(page.locator("h1")).to_have_text("Xem trước việc nhập")
    counts = page.locator("#preview-counts .tile")
    await expect(counts.nth(0)).to_contain_text("1 mới")
    await expect(counts.nth(1)).to_contain_text("1 thay đổi")
    await expect(counts.nth(2)).to_contain_text("1 chuyển chỗ")
    await expect(counts.nth(3)).to_contain_text("1 không đổi")
    rows = page.locator("#preview-rows tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.nth(2)).to_contain_text("DN-02 → DN-03")
    await shot(page, "office-preview-phone")
    # The preview wrote nothing.
    assert await count(session, OrgNode) == nodes
    await page.click("text=Xác nhận nhập")
    await expect(page.locator(".notice")).to_contain_text("Đã nhập")
    session.expire_all()
    new = await session.scalar(select(OrgNode).where(OrgNode.code == "DN-03"))
    assert new is not None
    moved = await session.get(ReportingUnit, tree.other_union.id)  # the same record, moved
    assert moved is not None and moved.org_node_id == new.id
    renamed = await session.get(OrgNode, tree.enterprise.id)
    assert renamed is not None and renamed.name == "Công ty TNHH May Hà Phong Bắc Giang"
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "org.import"))
    assert entry is not None and entry.actor == f"person:{admin_id}"

    # The tree shows it; the audit log lists the import with the administrator's name.
    await page.goto(pages_url + "/office/org")
    await expect(page.locator(".tree")).to_contain_text("Công ty TNHH Điện tử Minh Anh")
    await shot(page, "office-org-phone")
    await page.goto(pages_url + "/office/audit?action=org.import")
    await expect(page.locator("table.table tbody tr")).to_have_count(1)
    await expect(page.locator("table.table")).to_contain_text("Phạm Thu Hà")
    await shot(page, "office-audit-phone")


async def test_a_batch_of_invites_and_its_printable_sheet(
    browser: Any, pages_url: str, session: AsyncSession, clock: Clock, tree: Tree, admin_id: int
) -> None:
    from models import Invite

    page = await browser.new_page()
    await sign_in(page, pages_url, session, admin_id, clock)
    await page.goto(pages_url + "/office/invites/new?role=officer&under=KCN-QC")
    boxes = page.locator("#scopes input[type=checkbox]")
    await expect(boxes).to_have_count(3)
    await page.uncheck(f"input[name='s:{tree.cell.code}']")
    await shot(page, "office-invites-new-phone")
    await page.click("button:has-text('Tạo mã mời')")
    cards = page.locator(".invite-card")
    await expect(cards).to_have_count(2)
    await expect(cards.nth(0).locator("img")).to_be_visible()
    await expect(page.locator(".sheet")).to_contain_text(tree.union.name)
    await expect(page.locator(".sheet")).to_contain_text(tree.other_union.name)
    await expect(page.locator(".notice").first).to_contain_text("chỉ hiện một lần")
    qr_ok = await cards.nth(0).locator("img").evaluate("img => img.naturalWidth > 50")
    assert qr_ok
    await shot(page, "office-invite-sheet-phone")
    session.expire_all()
    made = list(await session.scalars(select(Invite)))
    assert {i.reporting_unit_id for i in made} == {tree.union.id, tree.other_union.id}
    assert {i.created_by for i in made} == {f"person:{admin_id}"}
    assert await count(session, AuditEntry, AuditEntry.action == "invite.create") == 2
    await page.goto(pages_url + "/office/invites?state=open")
    await expect(page.locator("table.table tbody tr")).to_have_count(2)
    await shot(page, "office-invites-phone")


async def test_revoking_a_person(
    browser: Any, pages_url: str, session: AsyncSession, clock: Clock, tree: Tree, admin_id: int
) -> None:
    from models import Person

    officer = await make_person(session, 7770003, "Trần Văn Hùng", units=(tree.union.id,))
    page = await browser.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    await sign_in(page, pages_url, session, admin_id, clock)
    await page.goto(pages_url + "/office/people?q=hung")
    await expect(page.locator("table.table tbody tr")).to_have_count(1)
    await shot(page, "office-people-phone")
    await page.click("text=Trần Văn Hùng")
    await page.click("button:has-text('Thu hồi quyền')")
    await expect(page.locator(".notice")).to_contain_text("Trần Văn Hùng không còn quyền")
    session.expire_all()
    person = await session.get(Person, officer)
    assert person is not None and person.revoked_at is not None
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "person.revoke"))
    assert entry is not None and entry.actor == f"person:{admin_id}"
    # Inviting them again starts from the role they had.
    await page.click(f"text={tree.union.name}")
    await expect(page.locator("#scopes input[type=checkbox]")).to_have_count(1)


async def test_desk_width_screenshots(
    browser: Any, pages_url: str, session: AsyncSession, clock: Clock, tree: Tree, admin_id: int
) -> None:
    page = await browser.new_page()
    await page.set_viewport_size(DESK)
    await sign_in(page, pages_url, session, admin_id, clock)
    for path, name in (
        ("/office", "office-overview-desk"),
        ("/office/org", "office-org-desk"),
        ("/office/people?state=all", "office-people-desk"),
        ("/office/invites/new?role=officer", "office-invites-new-desk"),
        ("/office/audit", "office-audit-desk"),
    ):
        response = await page.goto(pages_url + path)
        assert response.status == 200, path
        await shot(page, name)
