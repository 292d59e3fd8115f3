"""The committee's dashboard in a real Chromium at 360 px, against the bot's real HTTP app and
the test database (the small tree of tests/integration/test_digests.py, October 2026 as of 20
November): opened as a Telegram Mini App and by a one-time link, its figures the chat digest
service's own, drilled down area → enterprise → unit, another period chosen, the Excel file
downloaded; another zone's page by a typed address, and a person who is no member, refused."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.async_api import expect
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.digests.labels import count, percent, suppressed
from infra.channel_updates import ChannelUser
from infra.settings import Settings
from models import Role
from services.digests import Digest, DigestPeriod, build_digest, unit_table
from testkit import web as web_kit
from testkit.chat import Chat, Clock
from testkit.digest_world import World, build_world
from testkit.org import make_person

pytestmark = pytest.mark.browser

BOT_TOKEN = "123456789:AAE-test-token-for-mini-app-signatures"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
OCTOBER = DigestPeriod.of_month(2026, 10)
TODAY = date(2026, 11, 20)  # the e2e clock's local date
MEMBER = ChannelUser(6660001, "Tuấn", "Lê")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"bot_token": SecretStr(BOT_TOKEN)})


@pytest.fixture
async def world(session: AsyncSession, chat: Chat) -> World:
    return await build_world(session, chat.app.bot_data.reporting)


async def member_of(session: AsyncSession, node_id: int) -> int:
    return await make_person(
        session, MEMBER.user_id, "Lê Minh Tuấn", role=Role.COMMITTEE, node_id=node_id
    )


async def digest_of(
    chat: Chat, session: AsyncSession, node_id: int, period: DigestPeriod
) -> Digest:
    data = chat.app.bot_data
    return await build_digest(
        session,
        node_id=node_id,
        period=period,
        setup=data.reporting,
        targets=data.targets,
        concern_config=data.concerns.config,
        today=TODAY,
    )




async def fits_a_phone(page: Any, name: str) -> None:
    """No sideways scrolling at 360 px; REFRESH_SCREENSHOTS=1 writes docs/screenshots/<name>."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= web_kit.PHONE["width"], f"the dashboard is {width} px wide on a 360 px phone"
    if os.environ.get("REFRESH_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=str(SCREENSHOTS / name), full_page=False)


async def test_as_a_mini_app_the_province_then_drill_down_to_a_unit(
    browser: Any,
    pages_url: str,
    chat: Chat,
    session: AsyncSession,
    clock: Clock,
    world: World,
) -> None:
    await member_of(session, world.province)
    # /tonghop offers the dashboard as a Mini App when the pages have an https address.
    chat.app.bot_data.pages_url = "https://bot.example.vn"
    await chat.send(MEMBER, "/tonghop")
    offer = next(
        c for c in chat.api.sent(MEMBER.user_id) if c.buttons and "web_app" in c.buttons[0]
    )
    assert offer.buttons[0]["text"] == "📊 Bảng điều khiển"
    url = offer.buttons[0]["web_app"]["url"]
    assert url == "https://bot.example.vn/dashboard?tg=1"
    assert "Tổng hợp kỳ nào?" in chat.last_with_buttons(MEMBER).text  # the menu stays last
    chat.app.bot_data.pages_url = pages_url

    signed = web_kit.init_data(MEMBER.user_id, auth_date=clock.now, bot_token=BOT_TOKEN)
    page = await browser.new_page()
    await page.goto(pages_url + "/dashboard?tg=1" + web_kit.mini_app_fragment(signed))
    await expect(page.locator("#scope")).to_have_text("Tỉnh Bắc Giang")
    assert f"/dashboard/{world.province}?period=2026-10&tg=1" in page.url

    # The figures are the chat digest service's, written as the chat writes them.
    digest = await digest_of(chat, session, world.province, OCTOBER)
    headline = page.locator("#headline")
    for stock in digest.headline.stocks:
        await expect(headline).to_contain_text(f"{stock.label.vi} {count(stock.value, 'vi')}")
    overall = digest.overall
    await expect(page.locator("#reported")).to_have_text(
        f"Đã báo cáo: {percent(overall.reporting_rate, 'vi')} ({overall.submitted}/"
        f"{overall.expected}); đúng hạn: {percent(overall.on_time_rate, 'vi')}; muộn: "
        f"{overall.late}; chưa báo cáo: {overall.missing}."
    )
    areas = page.locator("#areas li")
    await expect(areas).to_have_count(len(digest.areas))
    for index, area in enumerate(digest.areas):
        await expect(areas.nth(index)).to_contain_text(
            f"{area.rank}. {area.name} {percent(area.rate.reporting_rate, 'vi')}"
        )
    await expect(page.locator("#missing")).to_contain_text(digest.missing[0].name)
    targets = page.locator("#targets li")
    await expect(targets).to_have_count(len(digest.targets))
    # Concerns: the digest's suppression, the same strings (a total with a hidden part is ≥ N).
    wages = next(line for line in digest.concerns if line.category == "wages")
    assert suppressed(wages.new, "vi") == "≥ 7"
    row = page.locator("#concerns tr", has_text=wages.label.vi)
    await expect(row.locator("td")).to_have_text(
        [suppressed(c, "vi") for c in (wages.new, wages.answered, wages.overdue)]
    )
    await expect(page.locator("#trends svg")).not_to_have_count(0)
    # A meter's grey track spans its whole bar (a stylesheet rule for another .track once
    # gave it a CSS width of 56px: 56 % of the bar).
    meter = page.locator("svg.meter").first
    track = await meter.locator("rect.track").bounding_box()
    whole = await meter.bounding_box()
    assert track is not None and whole is not None
    assert abs(track["width"] - whole["width"]) < 1
    await expect(page.locator("script[src*='telegram.org']")).to_have_count(1)
    await fits_a_phone(page, "dashboard-top.png")

    # Drill down: the zone, then an enterprise and its units; and back up.
    await page.click("#areas a:has-text('KCN An Phú')")
    await expect(page.locator("#scope")).to_have_text("KCN An Phú")
    zone = await digest_of(chat, session, world.zone, OCTOBER)
    await expect(page.locator("#areas li")).to_have_count(len(zone.areas))
    await fits_a_phone(page, "dashboard-drill-down.png")
    await page.click("#areas a:has-text('Công ty May Hà Phong')")
    await expect(page.locator("#scope")).to_have_text("Công ty May Hà Phong")
    unit = page.locator("details.unit", has_text="CĐCS Hà Phong")
    await unit.locator("summary").click()
    await expect(unit.locator("dl.values")).to_contain_text("Tổng số lao động")
    await expect(unit.locator("dl.values")).to_contain_text("500")
    await page.click("#up")
    await expect(page.locator("#scope")).to_have_text("KCN An Phú")
    await page.click("#up")
    await expect(page.locator("#scope")).to_have_text("Tỉnh Bắc Giang")
    await expect(page.locator("#up")).to_have_count(0)  # nothing above the member's level


async def test_by_link_a_zone_member_changes_period_and_downloads_the_excel(
    browser: Any,
    pages_url: str,
    chat: Chat,
    session: AsyncSession,
    clock: Clock,
    world: World,
    tmp_path: Path,
) -> None:
    person = await member_of(session, world.zone)
    page = await browser.new_page()
    await page.goto(pages_url + await web_kit.dashboard_link(session, person, clock))
    await expect(page.locator("#scope")).to_have_text("KCN An Phú")
    await expect(page.locator("#up")).to_have_count(0)

    await page.select_option("#period", "2026-Q4")
    await page.wait_for_url(f"**/dashboard/{world.zone}?period=2026-Q4")
    await expect(page.locator(".sub")).to_contain_text("quý IV/2026")
    quarter = DigestPeriod.of_quarter(2026, 4)
    digest = await digest_of(chat, session, world.zone, quarter)
    await expect(page.locator("#reported")).to_contain_text(
        f"({digest.overall.submitted}/{digest.overall.expected})"
    )

    async with page.expect_download() as info:
        await page.click("#excel")
    download = await info.value
    assert download.suggested_filename == "tong-hop-KCN-An-Phu-2026-Q4.xlsx"
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    workbook = openpyxl.load_workbook(saved)
    assert workbook.sheetnames == ["Số liệu", "Chỉ tiêu năm", "Đơn vị chưa báo cáo"]
    table = await unit_table(
        session, node_id=world.zone, period=quarter, setup=chat.app.bot_data.reporting, today=TODAY
    )
    codes = [row[0].value for row in workbook["Số liệu"].iter_rows(min_row=3)][:-1]
    assert codes == [row.code for row in table.rows]


async def test_another_zone_by_a_typed_address_is_refused(
    browser: Any, pages_url: str, session: AsyncSession, clock: Clock, world: World
) -> None:
    person = await member_of(session, world.zone)
    page = await browser.new_page()
    await page.goto(pages_url + await web_kit.dashboard_link(session, person, clock))
    await expect(page.locator("#scope")).to_have_text("KCN An Phú")
    for node in (world.commune, world.province, world.other_province, world.enterprises["DN-3"]):
        for path in (f"/dashboard/{node}?period=2026-10", f"/dashboard/{node}/excel"):
            response = await page.goto(pages_url + path)
            assert response is not None and response.status == 403, path
            await expect(page.locator(".notice")).to_contain_text(
                "Bạn không được xem tổng hợp của phần tổ chức này."
            )
            assert "Xã Bình Sơn" not in await page.content()
    response = await page.goto(f"{pages_url}/dashboard/{world.zone}?period=2026-13")
    assert response is not None and response.status == 404
    # Its own enterprises are still open to it.
    response = await page.goto(f"{pages_url}/dashboard/{world.enterprises['DN-2']}")
    assert response is not None and response.status == 200


async def test_a_person_who_is_not_a_member_is_refused(
    browser: Any,
    pages_url: str,
    session: AsyncSession,
    clock: Clock,
    world: World,
    lan: ChannelUser,
) -> None:
    officer = await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(world.units["TU1"],))
    page = await browser.new_page()
    await page.goto(pages_url + await web_kit.dashboard_link(session, officer, clock))
    await expect(page.locator(".notice")).to_have_text("Trang này dành cho thành viên Ban Chỉ đạo.")
    response = await page.goto(f"{pages_url}/dashboard")
    assert response is not None and response.status == 403
    response = await page.goto(f"{pages_url}/dashboard/{world.enterprises['DN-1']}")
    assert response is not None and response.status == 403

    # A Telegram user nobody registered, with validly signed data: not signed in at all.
    stranger = web_kit.init_data(777000111, auth_date=clock.now, bot_token=BOT_TOKEN)
    other = await browser.browser.new_context()
    page = await other.new_page()
    await page.goto(f"{pages_url}/dashboard?tg=1" + web_kit.mini_app_fragment(stranger))
    await expect(page.locator("#telegram-sign-in")).to_contain_text("dành cho cán bộ đã đăng ký")
    response = await page.goto(f"{pages_url}/dashboard/{world.province}")
    assert response is not None and response.status == 401
    await expect(page.locator(".notice")).to_contain_text("Gõ /tonghop")
    await other.close()
