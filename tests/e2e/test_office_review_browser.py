"""Review by the level above in the office console, in a real Chromium: the administrator sees
the reports waiting with their figures, last month's and the officer's reasons (what /duyet
shows, from the same service), returns one with a comment (its officer is told through the
outbox), approves another (locked against amendment) and reopens it; every decision audited as
the chat does. A zone reviewer who is not an administrator, with a forged office session, is
refused by URL and by form; the administrator's forged report id of a unit kind nobody reviews
is refused; a POST without CSRF changes nothing. Without review configured the page says so."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from playwright.async_api import expect
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from infra.settings import Settings
from models import AuditEntry, OutboxMessage, Report, ReportReview, ReportValue, Role, UnitKind
from services import web_auth
from services.periods import ReviewRule
from services.reporting import current_version_id
from services.reporting.reviewing import ReportApproved
from testkit.chat import Chat, Clock
from testkit.office_pages import count, shot, sign_in
from testkit.org import Tree, make_person, make_tree
from testkit.review_world import amend_first_item, file_report, zone_unions

pytestmark = pytest.mark.browser

LAN_TG = 7790001
NGA_TG = 7790002


def review_trade_unions(chat: Chat) -> None:
    data = chat.app.bot_data
    data.reporting.calendar = data.reporting.calendar.model_copy(
        update={"review": {UnitKind.TRADE_UNION: ReviewRule(level="zone", by=UnitKind.ZONE_UNION)}}
    )


async def october_figure(
    session: AsyncSession, chat: Chat, unit_id: int, officer: int, value: int
) -> str:
    """Last month's report of the unit, with its first item; returns that item's code."""
    setup = chat.app.bot_data.reporting
    indicators = setup.indicators.for_kind(UnitKind.TRADE_UNION)
    assert indicators is not None
    code: str = indicators.indicators[0].code
    report = Report(
        reporting_unit_id=unit_id,
        period="2026-10",
        indicator_set_version_id=await current_version_id(session, setup, UnitKind.TRADE_UNION),
        submitted_at=chat.app.bot_data.clock() - timedelta(days=30),
        submitted_by_person_id=officer,
        late=False,
        revision=1,
    )
    session.add(report)
    await session.flush()
    session.add(ReportValue(report_id=report.id, indicator_code=code, value=Decimal(value)))
    await session.commit()
    return code


async def test_return_approve_reopen_from_the_console(
    browser: Any, pages_url: str, chat: Chat, session: AsyncSession, clock: Clock
) -> None:
    review_trade_unions(chat)
    setup = chat.app.bot_data.reporting
    tree = await make_tree(session)
    ours, _theirs = await zone_unions(session, tree)
    admin = await make_person(session, 7790009, "Phạm Thu Hà", role=Role.ADMIN)
    lan = await make_person(session, LAN_TG, "Nguyễn Thị Lan", units=(tree.union.id,))
    nga = await make_person(session, NGA_TG, "Đỗ Thị Nga", units=(tree.other_union.id,))
    await make_person(session, 7790003, "Trần Văn Hùng", units=(ours,))
    code = await october_figure(session, chat, tree.union.id, lan, 98)
    returned_id = await file_report(session, lan, tree.union.id, setup, first="100")
    await session.execute(
        update(ReportValue)
        .where(ReportValue.report_id == returned_id, ReportValue.indicator_code == code)
        .values(note="Tuyển thêm công nhân ca đêm")
    )
    await session.commit()
    approved_id = await file_report(session, nga, tree.other_union.id, setup)

    page = await browser.new_page()
    await sign_in(page, pages_url, session, admin, clock)
    await page.click(".office-nav >> text=Duyệt báo cáo")
    await expect(page.locator("h1")).to_have_text("Duyệt báo cáo")
    await expect(page.locator(".review-item")).to_have_count(2)
    card = page.locator(f'.review-item[data-report="{returned_id}"]')
    await expect(card).to_contain_text("CĐCS Công ty May Hà Phong · tháng 11/2026")
    await expect(card).to_contain_text("Cấp duyệt: KCN Quang Châu")
    first = card.locator("tbody tr").first
    await expect(first.locator("[data-value]")).to_have_text("100")
    await expect(first.locator("[data-last-month]")).to_have_text("98")
    await expect(first).to_contain_text("Tuyển thêm công nhân ca đêm")
    await shot(page, "office-review-phone")

    # Return with a comment: the officer is told through the outbox, the decision audited.
    await card.locator("textarea").fill("Số lao động chưa khớp với tháng trước")
    await card.locator("button:has-text('Trả lại kèm nhận xét')").click()
    await expect(page.locator(".notice")).to_contain_text("Đã trả lại")
    await expect(page.locator(".notice")).to_contain_text("Số cán bộ của đơn vị được báo: 1")
    session.expire_all()
    notice = await session.scalar(
        select(OutboxMessage).where(OutboxMessage.person_id == lan, OutboxMessage.kind == "notice")
    )
    assert notice is not None and notice.chat_id == str(LAN_TG)
    assert "Số lao động chưa khớp với tháng trước" in notice.text
    assert (await session.get(ReportReview, returned_id)).status == "returned"  # type: ignore[union-attr]

    # Approve the other: locked against amendment.
    await page.click("text=Quay lại")
    await expect(page.locator(".review-item")).to_have_count(1)
    await page.locator(
        f'.review-item[data-report="{approved_id}"] button:has-text("Duyệt")'
    ).click()
    await expect(page.locator(".notice")).to_contain_text("Đã duyệt")
    session.expire_all()
    assert (await session.get(ReportReview, approved_id)).status == "approved"  # type: ignore[union-attr]
    with pytest.raises(ReportApproved):
        await amend_first_item(session, nga, tree.other_union.id, setup, "130")
    await session.rollback()  # the refused amendment's draft: SQLite's one writer is free again

    # Reopen it: open for amendment again, its officer told.
    await page.click("text=Quay lại")
    await expect(page.locator(".review-item")).to_have_count(0)
    row = page.locator(f'tr[data-approved="{approved_id}"]')
    await expect(row).to_contain_text("Phạm Thu Hà")
    await row.locator("input[name=comment]").fill("Cần bổ sung số đoàn viên")
    await row.locator("button").click()
    await expect(page.locator(".notice")).to_contain_text("Đã mở lại")
    session.expire_all()
    assert (await session.get(ReportReview, approved_id)).status == "returned"  # type: ignore[union-attr]
    await amend_first_item(session, nga, tree.other_union.id, setup, "130")

    decisions = (
        await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action.like("report.review.%"))
            .order_by(AuditEntry.id)
        )
    ).all()
    assert [(d.action, d.actor, d.entity_id, d.details.get("comment")) for d in decisions] == [
        (
            "report.review.return",
            f"person:{admin}",
            str(returned_id),
            "Số lao động chưa khớp với tháng trước",
        ),
        ("report.review.approve", f"person:{admin}", str(approved_id), None),
        ("report.review.reopen", f"person:{admin}", str(approved_id), "Cần bổ sung số đoàn viên"),
    ]
    assert all(d.at is not None for d in decisions)


async def test_other_reviewers_forged_ids_and_posts_without_csrf_are_refused(
    browser: Any,
    pages_url: str,
    chat: Chat,
    session: AsyncSession,
    clock: Clock,
    settings: Settings,
) -> None:
    review_trade_unions(chat)
    setup = chat.app.bot_data.reporting
    tree = await make_tree(session)
    _ours, theirs = await zone_unions(session, tree)
    admin = await make_person(session, 7790019, "Phạm Thu Hà", role=Role.ADMIN)
    lan = await make_person(session, LAN_TG, "Nguyễn Thị Lan", units=(tree.union.id, tree.cell.id))
    minh = await make_person(session, 7790013, "Lê Văn Minh", units=(theirs,))
    report_id = await file_report(session, lan, tree.union.id, setup)
    unreviewed = await file_report(session, lan, tree.cell.id, setup, first="10")

    # The reviewer of another zone (not an administrator), with a forged office session and a
    # valid CSRF token for it: refused by URL and by form; nothing changes.
    forged = await web_auth.start_session(
        session, person_id=minh, via="office", now=clock.now, idle=timedelta(hours=8)
    )
    csrf = web_auth.csrf_token(settings.secret, forged.token)
    page = await browser.new_page()
    await browser.add_cookies(
        [{"name": "session", "value": forged.token, "url": pages_url, "httpOnly": True}]
    )
    response = await page.goto(pages_url + "/office/review")
    assert response.status == 403
    for action in ("approve", "return", "reopen"):
        answer = await page.request.post(
            pages_url + f"/office/review/{report_id}/{action}",
            form={"csrf": csrf, "comment": "giả mạo"},
        )
        assert answer.status == 403, action
    await browser.clear_cookies()

    await sign_in(page, pages_url, session, admin, clock)
    before = await count(session, AuditEntry)
    # Without the CSRF token, or with a wrong one: refused, nothing written.
    for token in ({}, {"csrf": "x" * 32}):
        for action in ("approve", "return"):
            answer = await page.request.post(
                pages_url + f"/office/review/{report_id}/{action}",
                form={**token, "comment": "thiếu CSRF"},
            )
            assert answer.status == 403
            assert "Không có gì thay đổi" in await answer.text()
    # A report id of a unit kind nobody reviews (the party cell), typed into the form's URL.
    await page.goto(pages_url + "/office/review")
    action = f"/office/review/{report_id}/approve"
    await page.evaluate(
        "([from, to]) => { document.querySelector(`form[action='${from}']`).action = to; }",
        [action, f"/office/review/{unreviewed}/approve"],
    )
    await page.locator(f'.review-item[data-report="{report_id}"] button:has-text("Duyệt")').click()
    await expect(page.locator("main")).to_contain_text("Bạn không phải người duyệt báo cáo này")
    assert await count(session, AuditEntry) == before
    session.expire_all()
    assert (await session.get(ReportReview, report_id)).status == "pending"  # type: ignore[union-attr]
    assert await session.get(ReportReview, unreviewed) is None
    assert await count(session, OutboxMessage) == 0
    # Reopening a report that is not approved: refused, nothing changes.
    answer = await page.request.post(
        pages_url + f"/office/review/{report_id}/reopen",
        form={"csrf": await page.locator("input[name=csrf]").first.input_value()},
    )
    assert answer.status == 409
    assert await count(session, AuditEntry) == before


async def test_without_review_configured_the_page_says_so(
    browser: Any, pages_url: str, chat: Chat, session: AsyncSession, clock: Clock, tree: Tree
) -> None:
    admin = await make_person(session, 7790029, "Phạm Thu Hà", role=Role.ADMIN)
    page = await browser.new_page()
    await sign_in(page, pages_url, session, admin, clock)
    await page.goto(pages_url + "/office/review")
    await expect(page.locator(".notice")).to_contain_text(
        "Không loại đơn vị nào phải qua cấp trên duyệt"
    )
    await expect(page.locator("form[action^='/office/review/']")).to_have_count(0)


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)
