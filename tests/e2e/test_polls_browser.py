"""Poll results in a real Chromium at 360 px (issue 17), against the bot's real HTTP app: the
dashboard's poll section for a zone's committee member (its own polls only, suppressed as the
service says, nothing before the close, a "Khảo sát" sheet in its Excel file), and the office
console's poll pages (set a poll, its results only after the close, the answer count too)."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.async_api import expect
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry, Poll, Role
from services import polls, web_auth
from testkit import web as web_kit
from testkit.chat import Chat, Clock
from testkit.digest_world import World, build_world
from testkit.office_pages import count, shot, sign_in
from testkit.org import make_person
from testkit.poll_world import MEALS, PARKING, add_answers, add_poll

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
async def world(session: AsyncSession, chat: Chat) -> World:
    return await build_world(session, chat.app.bot_data.reporting)




async def test_the_dashboard_shows_the_zones_closed_polls_suppressed(
    browser: Any,
    pages_url: str,
    session: AsyncSession,
    clock: Clock,
    world: World,
    tmp_path: Path,
) -> None:
    office = await make_person(session, 81, "Văn phòng", role=Role.ADMIN, node_id=world.province)
    member = await make_person(
        session, 6660001, "Lê Minh Tuấn", role=Role.COMMITTEE, node_id=world.zone
    )
    ours = await add_poll(
        session,
        office,
        world.zone,
        date(2026, 10, 1),
        date(2026, 10, 10),
        questions=(MEALS, PARKING),
    )
    await add_answers(session, ours, world.enterprises["DN-1"], [[12, 3, 0], [9, 6]])
    await add_answers(session, ours, world.enterprises["DN-2"], [[2, 1, 0], [3, 0]])
    sibling = await add_poll(session, office, world.commune, date(2026, 10, 1), date(2026, 10, 9))
    await add_answers(session, sibling, world.enterprises["DN-3"], [[7, 0, 0]])
    still_open = await add_poll(session, office, world.zone, date(2026, 11, 2), date(2026, 11, 30))
    await add_answers(session, still_open, world.enterprises["DN-1"], [[8, 0, 0]])

    page = await browser.new_page()
    await page.goto(pages_url + await web_kit.dashboard_link(session, member, clock))
    await page.wait_for_url(f"**/dashboard/{world.zone}?period=2026-10")
    section = page.locator("#polls")
    await expect(section.locator("h2")).to_have_text("Khảo sát người lao động")
    await expect(section.locator("article.poll")).to_have_count(1)  # never the commune's
    poll = section.locator(f'[data-poll="{ours}"]')
    await expect(poll.locator("h3")).to_have_text("Bữa ăn ca có ngon không? (và 1 câu hỏi khác)")
    await expect(poll.locator(".poll-meta")).to_contain_text("đã kết thúc")
    await expect(poll.locator(".poll-meta")).to_contain_text("01/10/2026 – 10/10/2026")
    await expect(poll.locator(".poll-meta")).to_contain_text("≥ 16 người trả lời")
    area = poll.locator('[data-part="area"]')
    await expect(area).to_contain_text("15 người trả lời tại 1 doanh nghiệp")
    await expect(area).to_contain_text("1 doanh nghiệp có quá ít câu trả lời không được tính")
    first = area.locator(".poll-question").nth(0).locator("li")
    await expect(first.nth(0)).to_contain_text("≥ 5")
    await expect(first.nth(1)).to_contain_text("<5")
    second = area.locator(".poll-question").nth(1).locator("li")
    await expect(second.nth(0)).to_contain_text("9 (60%)")
    await expect(second.nth(0).locator("svg rect.poll-fill")).to_have_attribute("width", "60.0")
    await page.click("#polls summary")
    enterprises = poll.locator('[data-part="enterprise"]')
    await expect(enterprises.filter(has_text="Nhật Minh")).to_contain_text(
        "quá ít câu trả lời để hiển thị"
    )
    await expect(enterprises.filter(has_text="Nhật Minh").locator("li")).to_have_count(0)
    await expect(enterprises.filter(has_text="Hà Phong").locator("li").nth(1)).to_contain_text("<5")
    # No time of day anywhere in the section: dates only.
    assert re.search(r"\d:\d\d", await section.inner_text()) is None
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= web_kit.PHONE["width"]
    # The bar spans the card: its track as wide as the bar (no page rule resizes it).
    assert await page.evaluate(
        "(() => { const s = document.querySelector('#polls svg.poll-bar');"
        " return Math.round(s.querySelector('rect.poll-track').getBoundingClientRect().width)"
        " === Math.round(s.getBoundingClientRect().width); })()"
    )
    if os.environ.get("REFRESH_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await section.screenshot(path=str(SCREENSHOTS / "dashboard-polls-phone.png"))

    # The Excel file of the same page has the poll's sheet.
    async with page.expect_download() as info:
        await page.click("#excel")
    saved = tmp_path / "d.xlsx"
    await (await info.value).save_as(saved)
    book = openpyxl.load_workbook(saved)
    assert book.sheetnames[-1] == "Khảo sát"
    names = {row[2].value for row in book["Khảo sát"].iter_rows(min_row=3)}
    assert "Công ty Giày Bình Sơn" not in names and "Công ty May Hà Phong" in names

    # November: the open poll is listed, without results or a count, until it closes.
    await page.select_option("#period", "2026-11")
    await page.wait_for_url(f"**/dashboard/{world.zone}?period=2026-11")
    poll = page.locator(f'#polls [data-poll="{still_open}"]')
    await expect(poll.locator(".poll-meta")).to_contain_text("đang mở")
    await expect(poll.locator(".poll-meta")).not_to_contain_text("người trả lời")
    await expect(poll).to_contain_text("Kết quả được hiển thị khi khảo sát kết thúc.")
    await expect(poll.locator('[data-part="area"]')).to_have_count(0)


async def test_the_office_sets_a_poll_and_sees_its_results_only_after_the_close(
    browser: Any,
    pages_url: str,
    session: AsyncSession,
    clock: Clock,
    world: World,
) -> None:
    admin = await make_person(session, 7770001, "Phạm Thu Hà", role=Role.ADMIN)
    page = await browser.new_page()
    await sign_in(page, pages_url, session, admin, clock)
    await page.click('.office-nav a[href="/office/polls"]')
    await expect(page.locator(".notice")).to_have_text("Chưa có khảo sát nào.")
    await page.click("#new-poll")
    await page.fill("#area", "kcn-a")
    await page.fill("#q1", "Bữa ăn ca có ngon không? | Are the meals good?")
    await page.fill("#o1", "Ngon\n")  # one option only: refused, the form kept
    await page.fill("#closes", "2026-11-25")
    await page.click("#create-poll")
    await expect(page.locator("#refusal")).to_contain_text("từ 1 đến 5 câu hỏi")
    assert await count(session, Poll) == 0
    await expect(page.locator("#q1")).to_have_value(
        "Bữa ăn ca có ngon không? | Are the meals good?"
    )
    await page.fill("#o1", "Ngon | Good\nBình thường\nKhông ngon")
    await page.click("#create-poll")
    await page.wait_for_url("**/office/polls/*?made=1")
    await expect(page.locator(".notice")).to_contain_text("Đã tạo khảo sát")
    await expect(page.locator("#poll-status")).to_have_text("đang mở")
    await expect(page.locator("#results")).to_contain_text(
        "Kết quả được hiển thị khi khảo sát kết thúc."
    )
    (made,) = await polls.list_polls(session)
    assert made.audience_node_id == world.zone and made.opens_on == date(2026, 11, 20)
    assert made.questions[0].options[0].en == "Good" and not made.results_before_close
    assert await count(session, AuditEntry, AuditEntry.action == "poll.create") == 1

    await add_answers(session, made.id, world.enterprises["DN-1"], [[6, 1, 5]])
    await add_answers(session, made.id, world.enterprises["DN-2"], [[4, 0, 0]])
    await page.reload()
    await expect(page.locator("#poll-answers")).to_have_count(0)  # no count before the close
    await expect(page.locator('[data-part="area"]')).to_have_count(0)
    await page.goto(pages_url + "/office/polls")
    await expect(page.locator(f'[data-poll="{made.id}"] [data-answers]')).to_have_text("—")

    clock.set_local(2026, 11, 26)  # closed at the end of the 25th (a new day, a new link)
    await sign_in(page, pages_url, session, admin, clock)
    await page.goto(pages_url + "/office/polls")
    row = page.locator(f'[data-poll="{made.id}"]')
    await expect(row.locator("[data-answers]")).to_have_text("≥ 13")
    await expect(row).to_contain_text("đã kết thúc")
    await shot(page, "office-polls-phone")
    await row.locator("a").click()
    await expect(page.locator("#poll-answers")).to_have_text("≥ 13 người trả lời")
    area = page.locator('[data-part="area"]')
    await expect(area.locator("li").nth(1)).to_contain_text("<5")
    ha_phong = page.locator('[data-part="enterprise"]').filter(has_text="Hà Phong")
    await expect(ha_phong).to_contain_text("12 người trả lời")
    await expect(ha_phong.locator("li").nth(0)).to_contain_text("6 (50%)")
    await expect(ha_phong.locator("li").nth(1)).to_contain_text("<5")
    # 1 is "<5", and as the lone one it takes the smallest other option (5) with it.
    await expect(ha_phong.locator("li").nth(2)).to_contain_text("ẩn")
    nhat_minh = page.locator('[data-part="enterprise"]').filter(has_text="Nhật Minh")
    await expect(nhat_minh).to_contain_text("quá ít câu trả lời để hiển thị")
    await expect(nhat_minh).not_to_contain_text("4")
    await shot(page, "office-poll-results-phone")
    response = await page.goto(pages_url + "/office/polls/999999")
    assert response is not None and response.status == 404


async def test_the_poll_pages_are_for_administrators_and_a_post_needs_its_token(
    browser: Any,
    pages_url: str,
    session: AsyncSession,
    clock: Clock,
    world: World,
) -> None:
    office = await make_person(session, 7770001, "Phạm Thu Hà", role=Role.ADMIN)
    member = await make_person(
        session, 6660001, "Lê Minh Tuấn", role=Role.COMMITTEE, node_id=world.zone
    )
    poll_id = await add_poll(session, office, world.zone, date(2026, 10, 1), date(2026, 10, 10))
    await add_answers(session, poll_id, world.enterprises["DN-1"], [[6, 0, 5]])
    paths = ["/office/polls", "/office/polls/new", f"/office/polls/{poll_id}"]
    page = await browser.new_page()
    for path in paths:
        response = await page.goto(pages_url + path)
        assert response is not None and response.status == 401, path
    # A committee member with an office session (forged here): refused, from the database.
    forged = await web_auth.start_session(
        session, person_id=member, via="office", now=clock.now, idle=timedelta(hours=8)
    )
    await browser.add_cookies(
        [{"name": "session", "value": forged.token, "url": pages_url, "httpOnly": True}]
    )
    for path in paths:
        response = await page.goto(pages_url + path)
        assert response is not None and response.status == 403, path
        assert "Bữa ăn ca" not in await page.content()
    await browser.clear_cookies()
    await sign_in(page, pages_url, session, office, clock)
    form = {
        "area": "KCN-A",
        "q1": "Nhà xe có đủ chỗ không?",
        "o1": "Đủ\nThiếu",
        "opens": "2026-11-20",
        "closes": "2026-11-25",
    }
    for token in ({}, {"csrf": "x" * 32}):
        answer = await page.request.post(f"{pages_url}/office/polls/new", form={**form, **token})
        assert answer.status == 403
    assert await count(session, Poll) == 1
