"""The office console's reporting, indicator/target and concern pages in a real Chromium,
against the bot's HTTP app and the test database: the matrix of a seeded world (on time, late,
missing, amended), reopening a month with the officer told in the chat, one report with its
amendment and reason, editing the targets into a new version (and a bad edit refused with the
item and the reason, nothing changed), concern counts never showing 1–4 for an enterprise, and
the guard on the new pages (non-administrator, POST without CSRF)."""

from __future__ import annotations

import io
import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    AuditEntry,
    Concern,
    ConcernStatus,
    OfficeConfigVersion,
    OutboxMessage,
    Report,
    ReportChange,
    ReportValue,
    Role,
    UnitKind,
    utcnow,
)
from scheduler import outbox_sender as jobs
from services import web_auth
from services.reporting import current_version_id
from testkit import web as web_kit
from testkit.chat import Chat, Clock
from testkit.office_pages import DESK, count, shot, sign_in
from testkit.org import Tree, make_person, make_tree

pytestmark = pytest.mark.browser

NEW_PAGES = ["/office/reports", "/office/config", "/office/config/targets", "/office/concerns"]
OFFICER_TG = 7780002


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


@pytest.fixture
async def admin_id(session: AsyncSession, tree: Tree) -> int:
    return await make_person(session, 7780001, "Phạm Thu Hà", role=Role.ADMIN)


@pytest.fixture
async def officer_id(session: AsyncSession, tree: Tree) -> int:
    return await make_person(
        session, OFFICER_TG, "Nguyễn Thị Lan", units=(tree.union.id, tree.cell.id)
    )


async def seed_reports(session: AsyncSession, chat: Chat, tree: Tree, officer: int) -> int:
    """Today (the test clock) is 20 November 2026: September and October are locked,
    November is open. The union: September on time, October late then amended once. The cell:
    September never sent (missing), October on time. Returns the amended report's id."""
    setup = chat.app.bot_data.reporting
    versions = {
        kind: await current_version_id(session, setup, kind)
        for kind in (UnitKind.TRADE_UNION, UnitKind.PARTY_CELL)
    }

    def report(unit: Any, kind: UnitKind, period: str, *, late: bool, revision: int = 1) -> Report:
        row = Report(
            reporting_unit_id=unit.id,
            period=period,
            indicator_set_version_id=versions[kind],
            submitted_at=datetime(2026, 10, 20, 3, tzinfo=UTC),
            submitted_by_person_id=officer,
            late=late,
            revision=revision,
        )
        session.add(row)
        return row

    report(tree.union, UnitKind.TRADE_UNION, "2026-09", late=False)
    amended = report(tree.union, UnitKind.TRADE_UNION, "2026-10", late=True, revision=2)
    report(tree.cell, UnitKind.PARTY_CELL, "2026-10", late=False)
    await session.flush()
    session.add(ReportValue(report_id=amended.id, indicator_code="workers", value=Decimal(1250)))
    session.add(
        ReportChange(
            report_id=amended.id,
            indicator_code="workers",
            old_value=Decimal(1200),
            new_value=Decimal(1250),
            person_id=officer,
            at=datetime(2026, 11, 2, 3, tzinfo=UTC),
            reason="Tuyển thêm 50 công nhân ca đêm",
        )
    )
    await session.commit()
    return amended.id


async def cell_of(page: Any, unit_code: str, month: str) -> Any:
    return page.locator(f'tr[data-unit="{unit_code}"] td[data-month="{month}"]')


async def test_the_matrix_shows_each_months_status_and_a_reopened_month_reaches_the_officer(
    browser: Any,
    pages_url: str,
    chat: Chat,
    session: AsyncSession,
    clock: Clock,
    tree: Tree,
    admin_id: int,
    officer_id: int,
) -> None:
    amended = await seed_reports(session, chat, tree, officer_id)
    page = await browser.new_page()
    await sign_in(page, pages_url, session, admin_id, clock)
    await page.click(".office-nav >> text=Báo cáo")
    await expect(page.locator("h1")).to_have_text("Báo cáo")
    await page.goto(pages_url + "/office/reports?from=2026-09&to=2026-11")
    union, cell = tree.union.code, tree.cell.code
    expected = {
        (union, "2026-09"): "on_time",
        (union, "2026-10"): "late",
        (union, "2026-11"): "due",
        (cell, "2026-09"): "missing",
        (cell, "2026-10"): "on_time",
        (tree.other_union.code, "2026-10"): "missing",
    }
    for (code, month), status in expected.items():
        await expect(await cell_of(page, code, month)).to_have_attribute("data-status", status)
    amended_cell = await cell_of(page, union, "2026-10")
    await expect(amended_cell).to_have_attribute("data-amended", "1")
    await expect(amended_cell).to_contain_text("đã sửa")
    await expect(await cell_of(page, cell, "2026-09")).to_contain_text("thiếu")
    await shot(page, "office-reports-phone")
    await page.set_viewport_size(DESK)
    await shot(page, "office-reports-desk")
    await page.set_viewport_size(web_kit.PHONE)

    # Filtered: only units with a missing month; only party cells.
    await page.select_option("#status", "missing")
    await page.click("button:has-text('Hiện danh sách')")
    await expect(page.locator("tr[data-unit]")).to_have_count(2)  # the cell, the other union
    await page.select_option("#kind", UnitKind.PARTY_CELL.value)
    await page.click("button:has-text('Hiện danh sách')")
    await expect(page.locator("tr[data-unit]")).to_have_count(1)
    await page.select_option("#status", "amended")
    await page.select_option("#kind", "")
    await page.click("button:has-text('Hiện danh sách')")
    await expect(page.locator("tr[data-unit]")).to_have_count(1)
    await expect(page.locator(f'tr[data-unit="{union}"]')).to_have_count(1)

    # Excel: the same matrix, a file.
    await page.select_option("#status", "")
    await page.click("button:has-text('Hiện danh sách')")
    async with page.expect_download() as download_info:
        await page.click("text=Tải Excel")
    download = await download_info.value
    import openpyxl

    assert download.suggested_filename == "bao-cao-2026-09-2026-11.xlsx"
    content = Path(await download.path()).read_bytes()  # noqa: ASYNC240 (a test, a small file)
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    rows = [[c.value for c in row] for row in workbook.active.iter_rows()]
    header = rows[1]
    by_code = {row[0]: row for row in rows[2:]}
    assert by_code[cell][header.index("tháng 9/2026")] == "thiếu"
    assert by_code[union][header.index("tháng 10/2026")] == "nộp muộn · đã sửa"

    # One report: its values, and the amendment with its reason.
    await amended_cell.locator("a").click()
    await page.wait_for_url(f"**/office/reports/{amended}")
    await expect(page.locator('tr[data-code="workers"]')).to_contain_text("1.250")
    await expect(page.locator("table").nth(1)).to_contain_text("Tuyển thêm 50 công nhân ca đêm")
    await shot(page, "office-report-phone")
    await page.go_back()

    # Reopen the cell's missing September: the CLI's unlock, the officer told.
    await page.select_option("#unlock-unit", str(tree.cell.id))
    await page.select_option("#unlock-period", "2026-09")
    await page.fill("#unlock-days", "5")
    await page.click("button:has-text('Mở lại')")
    await expect(page.locator(".notice")).to_contain_text("Đã mở lại tháng 9/2026")
    await expect(page.locator(".notice")).to_contain_text("Số cán bộ của đơn vị được báo: 1")
    session.expire_all()
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "report.unlock"))
    assert entry is not None and entry.actor == f"person:{admin_id}"
    assert entry.details["period"] == "2026-09"
    notice = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "notice"))
    assert notice is not None and notice.person_id == officer_id
    assert notice.chat_id == str(OFFICER_TG) and notice.period == "2026-09"
    clock.now = utcnow() + timedelta(seconds=1)
    await jobs.drain(chat.app.bot_data, chat.app.bot)
    told = [c.text for c in chat.api.sent(OFFICER_TG)]
    assert any("đã mở lại kỳ báo cáo tháng 9/2026" in text for text in told), told
    # The matrix says so.
    clock.now = datetime(2026, 11, 20, 3, tzinfo=UTC)
    await page.click("text=Quay lại")
    await expect(await cell_of(page, cell, "2026-09")).to_contain_text("đã mở lại")


async def test_editing_the_targets_makes_a_new_version_and_a_bad_edit_changes_nothing(
    browser: Any,
    pages_url: str,
    chat: Chat,
    session: AsyncSession,
    clock: Clock,
    admin_id: int,
) -> None:
    data = chat.app.bot_data
    page = await browser.new_page()
    await page.set_viewport_size(DESK)
    await sign_in(page, pages_url, session, admin_id, clock)
    await page.click(".office-nav >> text=Bộ chỉ tiêu, chỉ tiêu năm")
    targets_card = page.locator('section[data-kind="targets"]')
    await expect(targets_card).to_contain_text("phiên bản 2026.1")
    await expect(targets_card).to_contain_text("theo tệp cấu hình")
    await shot(page, "office-config-desk")
    await targets_card.locator("text=Sửa").click()
    original = await page.input_value("#content")
    assert "target: 50" in original

    # A bad edit: 1.500 is read by YAML as 1.5, refused for a count, with the item and reason.
    bad = original.replace("target: 50", "target: 1.500", 1).replace(
        'version: "2026.1"', 'version: "2026.2"'
    )
    await page.fill("#content", bad)
    await page.click("text=Lưu thành phiên bản mới")
    refusal = page.locator("#refusal")
    await expect(refusal).to_contain_text("Chưa lưu — chỉ tiêu năm thứ 1 (new_party_members)")
    await expect(refusal).to_contain_text("phải là số nguyên viết liền")
    assert await page.input_value("#content") == bad  # the typed text is kept to fix
    assert await count(session, OfficeConfigVersion) == 0
    assert data.targets.version == "2026.1"
    await shot(page, "office-config-refused-desk")
    await page.set_viewport_size(web_kit.PHONE)
    await shot(page, "office-config-refused-phone")
    await page.set_viewport_size(DESK)

    # The same label again: refused too (a new version needs a new label).
    await page.fill("#content", original.replace("target: 50", "target: 60", 1))
    await page.click("text=Lưu thành phiên bản mới")
    await expect(page.locator("#refusal")).to_contain_text("“version” vẫn là 2026.1")
    assert await count(session, OfficeConfigVersion) == 0

    # A good edit: a new version, in force at once, audited.
    good = original.replace("target: 50", "target: 60", 1).replace(
        'version: "2026.1"', 'version: "2026.2"'
    )
    await page.fill("#content", good)
    await page.click("text=Lưu thành phiên bản mới")
    await expect(page.locator(".notice")).to_contain_text("phiên bản 2026.2 có hiệu lực")
    session.expire_all()
    row = await session.scalar(select(OfficeConfigVersion))
    assert row is not None and row.kind == "targets" and row.version == "2026.2"
    assert row.created_by == f"person:{admin_id}"
    assert data.targets.version == "2026.2"
    assert data.targets.targets[0].target == 60
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "config.edit"))
    assert entry is not None and entry.details["version"] == "2026.2"
    await page.goto(pages_url + "/office/config")
    await expect(page.locator('section[data-kind="targets"]')).to_contain_text(
        "sửa trên trang quản trị"
    )

    # A target naming an indicator that does not exist: refused, naming the target.
    await page.goto(pages_url + "/office/config/targets")
    typo = good.replace("indicator: new_party_members", "indicator: new_party_member", 1).replace(
        'version: "2026.2"', 'version: "2026.3"'
    )
    await page.fill("#content", typo)
    await page.click("text=Lưu thành phiên bản mới")
    await expect(page.locator("#refusal")).to_contain_text(
        "chỉ tiêu năm thứ 1 (new_party_members): measure.indicator: “new_party_member” không "
        "phải là chỉ tiêu của party_cell"
    )
    # An indicator set edit whose rule names a code no longer there: refused, naming the rule.
    await page.goto(pages_url + "/office/config/indicators")
    indicators = await page.input_value("#content")
    broken = indicators.replace("code: new_party_members", "code: new_members_of_party").replace(
        'version: "2026.1"', 'version: "2026.9"'
    )
    await page.fill("#content", broken)
    await page.click("text=Lưu thành phiên bản mới")
    refusal = page.locator("#refusal")
    await expect(refusal).to_contain_text("bộ chỉ tiêu thứ 2 (party_cell) → quy tắc thứ 1")
    await expect(refusal).to_contain_text("không phải là chỉ tiêu của bộ này")
    assert await count(session, OfficeConfigVersion) == 1
    assert data.reporting.indicators.version == "2026.1"
    assert data.targets.version == "2026.2"


async def test_concern_counts_never_show_one_to_four_for_an_enterprise(
    browser: Any,
    pages_url: str,
    session: AsyncSession,
    clock: Clock,
    tree: Tree,
    admin_id: int,
) -> None:
    def concern(enterprise: int, category: str, created: date, overdue: bool = False) -> None:
        session.add(
            Concern(
                id=secrets.token_hex(16),
                case_code="TT-" + secrets.token_hex(4).upper(),
                receipt_hash=secrets.token_hex(32),
                enterprise_id=enterprise,
                category=category,
                status=ConcernStatus.RECEIVED,
                created_on=created,
                status_changed_on=created,
                overdue=overdue,
                released=True,
                text_encrypted=b"CANARY",
            )
        )

    # Today is 20 November. DN-01: 6 about wages this week, 2 about safety unanswered since
    # the 4th (overdue). DN-02: 3 about wages this week.
    for _ in range(6):
        concern(tree.enterprise.id, "wages", date(2026, 11, 18))
    concern(tree.enterprise.id, "safety", date(2026, 11, 4))
    concern(tree.enterprise.id, "safety", date(2026, 11, 4), overdue=True)
    for _ in range(3):
        concern(tree.small_enterprise.id, "wages", date(2026, 11, 18))
    await session.commit()

    page = await browser.new_page()
    await sign_in(page, pages_url, session, admin_id, clock)
    await page.click(".office-nav >> text=Tâm tư")
    await expect(page.locator("h1")).to_have_text("Tâm tư")
    big = page.locator(f'tr[data-enterprise="{tree.enterprise.code}"]')
    small = page.locator(f'tr[data-enterprise="{tree.small_enterprise.code}"]')
    await expect(big.locator('td[data-category="wages"]')).to_have_text("6")
    await expect(big.locator('td[data-category="safety"]')).to_have_text("<5")
    await expect(big.locator('td[data-count="new"]')).to_have_text("8")
    await expect(big.locator('td[data-count="overdue"]')).to_have_text("<5")
    await expect(small.locator('td[data-count="new"]')).to_have_text("<5")
    for cell in await page.locator("tr[data-enterprise] td").all_text_contents():
        assert cell.strip() not in {"1", "2", "3", "4"}, cell
    html = await page.content()
    assert "CANARY" not in html
    await shot(page, "office-concerns-phone")
    await page.set_viewport_size(DESK)
    await shot(page, "office-concerns-desk")


async def test_the_new_pages_refuse_a_non_administrator_and_a_post_without_csrf(
    browser: Any,
    pages_url: str,
    chat: Chat,
    session: AsyncSession,
    clock: Clock,
    tree: Tree,
    admin_id: int,
    officer_id: int,
) -> None:
    forged = await web_auth.start_session(
        session, person_id=officer_id, via="office", now=clock.now, idle=timedelta(hours=8)
    )
    page = await browser.new_page()
    await browser.add_cookies(
        [{"name": "session", "value": forged.token, "url": pages_url, "httpOnly": True}]
    )
    for path in [*NEW_PAGES, "/office/reports.xlsx"]:
        response = await page.goto(pages_url + path)
        assert response.status == 403, path
    answer = await page.request.post(
        pages_url + "/office/reports/unlock",
        form={"unit": str(tree.union.id), "period": "2026-09", "days": "7"},
    )
    assert answer.status == 403
    await browser.clear_cookies()
    await sign_in(page, pages_url, session, admin_id, clock)
    before = await count(session, AuditEntry)
    for path, form in [
        ("/office/reports/unlock", {"unit": str(tree.union.id), "period": "2026-09", "days": "7"}),
        ("/office/config/targets", {"content": "version: x\ntargets: []\n"}),
    ]:
        for token in ({}, {"csrf": "x" * 32}):
            answer = await page.request.post(pages_url + path, form={**form, **token})
            assert answer.status == 403, path
            assert "Không có gì thay đổi" in await answer.text()
    assert await count(session, AuditEntry) == before
    assert await count(session, OfficeConfigVersion) == 0
    assert await count(session, OutboxMessage) == 0
