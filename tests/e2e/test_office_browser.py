"""The office console in a real Chromium (Debian's, through Playwright), against the bot's real
HTTP app on a loopback port and the test database: signing in by a one-time office link (and a
used or expired link refused), the guard (a non-administrator refused on every page by URL, a
POST without its CSRF token refused), importing the organisation tree with a preview, invites in
a batch with their printable QR sheet, and revoking a person."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry, Role, WebSession
from services import office, web_auth
from tests import web_kit
from tests.e2e.conftest import Clock
from tests.factories import Tree, make_person, make_tree

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs"
SHOTS = DOCS / "screenshots"
DESK = {"width": 1280, "height": 900}

# Every page of the console a visitor can ask for by URL.
OFFICE_PAGES = ["/office"]


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


@pytest.fixture
async def admin_id(session: AsyncSession, tree: Tree) -> int:
    return await make_person(session, 7770001, "Phạm Thu Hà", role=Role.ADMIN)


async def office_link(session: AsyncSession, person_id: int, clock: Clock) -> str:
    issued = await office.issue_office_link(
        session, person_id, now=clock.now, valid=timedelta(minutes=30), actor="cli:test"
    )
    return issued.path


async def sign_in(
    page: Any, pages_url: str, session: AsyncSession, admin: int, clock: Clock
) -> None:
    await page.goto(pages_url + await office_link(session, admin, clock))
    await page.wait_for_url("**/office")


async def count(session: AsyncSession, model: Any, *where: Any) -> int:
    session.expire_all()
    query = select(func.count()).select_from(model)
    if where:
        query = query.where(*where)
    return int(await session.scalar(query) or 0)


async def shot(page: Any, name: str) -> None:
    """No sideways scrolling on a 360 px phone; REFRESH_SCREENSHOTS=1 writes docs/screenshots/."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{page.url} is {width} px wide on a {viewport} px screen"
    if os.environ.get("REFRESH_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


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
        answer = await page.request.post(f"{pages_url}/office/logout", form=form)
        assert answer.status == 403
        assert "Không có gì thay đổi" in await answer.text()
    assert await count(session, AuditEntry) == before
    assert csrf
    from services import access

    await access.revoke_person(session, admin_id, actor="cli:test")
    response = await page.goto(pages_url + "/office")
    assert response.status == 401  # a revoked person's session ends
