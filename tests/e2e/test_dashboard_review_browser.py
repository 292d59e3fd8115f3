"""The dashboard with review by the level above, in Chromium at 360 px: the reporting rate shows
approved beside submitted (overall and by area), and each flow figure of a reviewed unit kind
its approved part ("15 (đã duyệt 10)"); with the default configuration (no review) the page
says nothing of approval."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from playwright.async_api import expect
from sqlalchemy.ext.asyncio import AsyncSession

from models import Role
from services import web_auth
from testkit import web as web_kit
from testkit.chat import Chat, Clock
from testkit.digest_world import build_world
from testkit.org import make_person
from testkit.review_world import mark_reviewed, reviewing

pytestmark = pytest.mark.browser

TODAY = date(2026, 11, 20)


async def test_approved_beside_submitted_and_in_each_flow_figure(
    browser: Any, pages_url: str, chat: Chat, session: AsyncSession, clock: Clock
) -> None:
    data = chat.app.bot_data
    world = await build_world(session, data.reporting)
    member = await make_person(
        session, 6670001, "Lê Minh Tuấn", role=Role.COMMITTEE, node_id=world.province
    )
    units = world.units
    await mark_reviewed(session, units["TU1"], "2026-10", world.zone, "approved")
    await mark_reviewed(session, units["TU2"], "2026-10", world.zone, "pending")
    await mark_reviewed(session, units["TU1"], "2026-09", world.zone, "approved")
    issued = await web_auth.issue_link(
        session, person_id=member, target="/dashboard", now=clock.now, valid=timedelta(minutes=30)
    )
    page = await browser.new_page()
    await page.goto(pages_url + f"/l/{issued.token}")
    await expect(page.locator("#scope")).to_have_text("Tỉnh Bắc Giang")
    flows = page.locator("#flows tbody tr", has_text="Kết nạp đoàn viên")

    # Default configuration: not a word of approval, the figures as before.
    await expect(page.locator("#reported")).not_to_contain_text("duyệt")
    assert "đã duyệt" not in (await page.content()).lower()
    await expect(flows.locator("td").first).to_have_text("15")

    data.reporting = reviewing(data.reporting)
    await page.reload()
    await expect(page.locator("#approved")).to_have_text("Đã duyệt: 16,7% (1).")
    zone = page.locator("#areas li", has_text="KCN An Phú")
    await expect(zone.locator(".approved")).to_have_text("· đã duyệt 25,0% (1)")
    commune = page.locator("#areas li", has_text="Xã Bình Sơn")
    await expect(commune.locator(".approved")).to_have_text("· đã duyệt 0,0% (0)")
    cells = flows.locator("td")
    await expect(cells.nth(0)).to_have_text("15 (đã duyệt 10)")
    await expect(cells.nth(3)).to_have_text("45 (đã duyệt 14)")
    party = page.locator("#flows tbody tr", has_text="Kết nạp đảng viên")
    await expect(party.locator("td").first).to_have_text("5")  # party cells: not reviewed
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= web_kit.PHONE["width"]
