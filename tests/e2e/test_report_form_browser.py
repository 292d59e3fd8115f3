"""The report form in a real Chromium (Debian's, through Playwright) at a phone's width, against
the bot's real HTTP app on a loopback port and the test database: opened by a one-time link and
as a Telegram Mini App, filled with the inline errors and a jump confirmed with a reason, sent,
and read back from the database; begun in the chat and finished in the form; and every way in
that must not work refused with nothing written."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import load_reporting_setup
from infra.channel_updates import ChannelUser
from infra.settings import Settings
from models import (
    Report,
    ReportDraft,
    ReportValue,
    UnitKind,
    WebLink,
    WebSession,
)
from scheduler.outbox_sender import drain
from services import reporting, web_auth
from testkit import web as web_kit
from testkit.chat import Chat, Clock
from testkit.org import Tree, make_person, make_tree

pytestmark = pytest.mark.browser

BOT_TOKEN = "123456789:AAE-test-token-for-mini-app-signatures"
DOCS = Path(__file__).resolve().parents[2] / "docs"
NOVEMBER = "2026-11"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """With a bot token: the pages check Telegram's Mini App data against it (the chat itself
    runs on the in-process Bot API whatever the token)."""
    return settings.model_copy(update={"bot_token": SecretStr(BOT_TOKEN)})


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


@pytest.fixture
async def lan_id(session: AsyncSession, tree: Tree, lan: ChannelUser) -> int:
    return await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))


async def october_report(
    session: AsyncSession, settings: Settings, unit_id: int, person_id: int
) -> None:
    """Last month's report: the form shows its figures and checks the jumps against them."""
    setup = load_reporting_setup(settings)
    version = await reporting.current_version_id(session, setup, UnitKind.TRADE_UNION)
    report = Report(
        reporting_unit_id=unit_id,
        period="2026-10",
        indicator_set_version_id=version,
        submitted_at=datetime(2026, 10, 20, 3, 0, tzinfo=UTC),
        submitted_by_person_id=person_id,
    )
    session.add(report)
    await session.flush()
    for code, value in {"workers": 1000, "union_members": 800, "new_union_members": 4}.items():
        session.add(ReportValue(report_id=report.id, indicator_code=code, value=Decimal(value)))
    await session.commit()


async def link(session: AsyncSession, person_id: int, target: str, clock: Clock) -> str:
    issued = await web_auth.issue_link(
        session, person_id=person_id, target=target, now=clock.now, valid=timedelta(minutes=30)
    )
    return f"/l/{issued.token}"


async def stored(session: AsyncSession, unit_id: int) -> dict[str, tuple[Decimal | None, Any]]:
    report = await session.scalar(
        select(Report).where(Report.reporting_unit_id == unit_id, Report.period == NOVEMBER)
    )
    assert report is not None, "no report in the database"
    rows = await session.scalars(select(ReportValue).where(ReportValue.report_id == report.id))
    return {row.indicator_code: (row.value, row.note) for row in rows}


async def count(session: AsyncSession, model: Any) -> int:
    session.expire_all()
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_by_link_errors_inline_a_jump_with_its_reason_sent_and_read_back(
    browser: Any,
    pages_url: str,
    chat: Chat,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    tree: Tree,
    lan_id: int,
    lan: ChannelUser,
) -> None:
    await october_report(session, settings, tree.union.id, lan_id)
    page = await browser.new_page()
    await page.goto(
        pages_url + await link(session, lan_id, f"/report/{tree.union.id}/2026-11", clock)
    )
    await page.wait_for_url(f"**/report/{tree.union.id}/{NOVEMBER}")
    await expect(page.locator("h1")).to_have_text(tree.union.name)
    # A stock starts at last month's figure, written the Vietnamese way.
    await expect(page.locator("#v-workers")).to_have_value("1.000")
    await expect(page.locator(".item[data-code=workers] .last")).to_have_text(
        "Tháng trước: 1.000 người"
    )
    await expect(page.locator(".item[data-code=technical_initiatives] .optional")).to_be_visible()

    # Errors next to the field as the officer types: a negative number, a bad number, union
    # members above the workers.
    await page.fill("#v-new_union_members", "-3")
    await expect(page.locator("#e-new_union_members")).to_have_text(
        '"-3" là số âm: số liệu này không được nhỏ hơn 0.'
    )
    await page.fill("#v-members_introduced_to_party", "12abc")
    await expect(page.locator("#e-members_introduced_to_party")).to_contain_text(
        '"12abc" không phải là số'
    )  # the browser cannot read it: the server's answer
    await page.fill("#v-union_members", "1.500")
    await expect(page.locator("#e-union_members")).to_have_text(
        "Số đoàn viên (1.500) không được lớn hơn tổng số lao động (1.000)."
    )
    await expect(page.locator("#save-status")).to_contain_text("Đã lưu nháp")
    await expect(page.locator("form#report:not([data-saving])")).to_be_attached()
    session.expire_all()
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None
    assert not {"new_union_members", "members_introduced_to_party", "union_members"} & set(
        draft.answers
    ), "a refused value reached the draft"

    # Put right; then a jump against last month, confirmed with a reason in place.
    for code, value in {
        "union_members": "900",
        "new_union_members": "5",
        "members_introduced_to_party": "2",
        "workplace_dialogues": "1",
        "worker_conferences": "0",
        "labour_disputes": "0",
    }.items():
        await page.fill(f"#v-{code}", value)
    await page.fill("#v-workers", "2.000")
    doubt = page.locator("#d-workers")
    await expect(doubt).to_be_visible()
    await expect(doubt).to_contain_text("thay đổi nhiều so với tháng trước: 1.000 người → 2.000")
    await page.fill("#r-workers", "Tuyển thêm ca đêm")
    await page.locator("label.switch:has(#v-cla_in_force)").click()
    await expect(page.locator("#e-union_members")).to_have_text("")
    await web_kit_screenshot(page)

    await page.click("form#report button[type=submit]")
    await page.wait_for_url("**/review")
    review = page.locator("ol.review")
    await expect(review).to_contain_text("2.000 người")
    await expect(review).to_contain_text("lý do: Tuyển thêm ca đêm")
    session.expire_all()
    sent = await session.scalar(select(Report.id).where(Report.period == NOVEMBER))
    assert sent is None, "the review sent nothing yet"
    await page.click("text=Gửi báo cáo")
    number = page.locator("#receipt-number")
    await expect(number).to_have_text(re.compile(r"BC-\d{6}"))

    values = await stored(session, tree.union.id)
    assert values == {
        "workers": (Decimal(2000), "Tuyển thêm ca đêm"),
        "union_members": (Decimal(900), None),
        "new_union_members": (Decimal(5), None),
        "members_introduced_to_party": (Decimal(2), None),
        "workplace_dialogues": (Decimal(1), None),
        "worker_conferences": (Decimal(0), None),
        "cla_in_force": (Decimal(1), None),
        "labour_disputes": (Decimal(0), None),
        "technical_initiatives": (None, None),  # optional, left empty: skipped
    }
    assert await count(session, ReportDraft) == 0
    # The receipt reaches the chat too, through the outbox.
    receipt = (await number.text_content() or "").strip()
    result = await drain(chat.app.bot_data, chat.app.bot)
    assert result.sent == 1
    said = chat.api.sent(lan.user_id)[-1].text
    assert "Đã nhận báo cáo: tháng 11/2026" in said and receipt in said


async def web_kit_screenshot(page: Any) -> None:
    """The form fits a 360 px phone (no sideways scrolling); REFRESH_SCREENSHOTS=1 writes the
    picture the README shows (docs/report-form.png)."""
    await web_kit.assert_no_sideways_scroll(page)
    if os.environ.get("REFRESH_SCREENSHOTS") == "1":
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=str(DOCS / "report-form.png"), full_page=True)


async def test_as_a_telegram_mini_app_with_signed_init_data(
    browser: Any,
    pages_url: str,
    session: AsyncSession,
    clock: Clock,
    tree: Tree,
    lan_id: int,
    lan: ChannelUser,
) -> None:
    signed = web_kit.init_data(lan.user_id, auth_date=clock.now, bot_token=BOT_TOKEN)
    page = await browser.new_page()
    await page.goto(
        f"{pages_url}/report/{tree.union.id}/{NOVEMBER}?tg=1" + web_kit.mini_app_fragment(signed)
    )
    await expect(page.locator("h1")).to_have_text(tree.union.name)  # signed in, page reloaded
    assert await count(session, WebSession) == 1
    for code, value in {
        "workers": "1.200",
        "union_members": "1 000",
        "new_union_members": "3",
        "members_introduced_to_party": "1",
        "workplace_dialogues": "2",
        "worker_conferences": "1",
        "labour_disputes": "0",
        "technical_initiatives": "7",
    }.items():
        await page.fill(f"#v-{code}", value)
    await page.click("form#report button[type=submit]")
    await page.wait_for_url("**/review?tg=1")
    await page.click("text=Gửi báo cáo")
    await expect(page.locator("#receipt-number")).to_have_text(re.compile(r"BC-\d{6}"))
    await expect(page.locator("[data-telegram-close]")).to_be_visible()
    values = await stored(session, tree.union.id)
    assert values["workers"] == (Decimal(1200), None)
    assert values["union_members"] == (Decimal(1000), None)
    assert values["cla_in_force"] == (Decimal(0), None)  # the switch left off: "No"
    assert values["technical_initiatives"] == (Decimal(7), None)


async def test_begun_in_the_chat_and_finished_in_the_form(
    browser: Any,
    pages_url: str,
    chat: Chat,
    session: AsyncSession,
    clock: Clock,
    tree: Tree,
    lan_id: int,
    lan: ChannelUser,
) -> None:
    # Telegram opens Mini Apps from https addresses only: the button is offered for the public
    # address, and its page is opened here on the test server.
    chat.app.bot_data.pages_url = "https://bot.example.vn"
    said = await chat.send(lan, "/baocao")
    assert "Bạn có thể điền cả báo cáo trên một trang" in said
    offer = next(call for call in chat.api.sent(lan.user_id) if "trên một trang" in call.text)
    url = offer.buttons[0]["web_app"]["url"]
    assert offer.buttons[0]["text"] == "📝 Mở biểu mẫu"
    assert url == f"https://bot.example.vn/report/{tree.union.id}/{NOVEMBER}?tg=1"
    for typed in ("1.200", "1.000", "4"):
        await chat.send(lan, typed)

    signed = web_kit.init_data(lan.user_id, auth_date=clock.now, bot_token=BOT_TOKEN)
    page = await browser.new_page()
    await page.goto(
        pages_url + url.removeprefix("https://bot.example.vn") + web_kit.mini_app_fragment(signed)
    )
    await expect(page.locator("#v-workers")).to_have_value("1.200")
    await expect(page.locator("#v-union_members")).to_have_value("1.000")
    await expect(page.locator("#v-new_union_members")).to_have_value("4")
    for code, value in {
        "members_introduced_to_party": "1",
        "workplace_dialogues": "0",
        "worker_conferences": "0",
        "labour_disputes": "0",
    }.items():
        await page.fill(f"#v-{code}", value)
    await page.locator("label.switch:has(#v-cla_in_force)").click()
    await page.click("form#report button[type=submit]")
    await page.click("text=Gửi báo cáo")
    await expect(page.locator("#receipt-number")).to_have_text(re.compile(r"BC-\d{6}"))
    values = await stored(session, tree.union.id)
    assert values["workers"][0] == Decimal(1200) and values["new_union_members"][0] == 4
    assert values["cla_in_force"][0] == 1 and values["technical_initiatives"] == (None, None)
    # The chat's conversation knows: a typed answer now finds no draft.
    assert "không còn" in await chat.send(lan, "5")


async def test_forged_or_old_telegram_data_is_refused_and_nothing_is_written(
    browser: Any,
    pages_url: str,
    session: AsyncSession,
    clock: Clock,
    tree: Tree,
    lan_id: int,
    lan: ChannelUser,
) -> None:
    form = f"{pages_url}/report/{tree.union.id}/{NOVEMBER}?tg=1"
    forged = web_kit.init_data(lan.user_id, auth_date=clock.now, bot_token="999:not-our-bot")
    page = await browser.new_page()
    await page.goto(form + web_kit.mini_app_fragment(forged))
    await expect(page.locator("#telegram-sign-in")).to_contain_text(
        "Không xác nhận được thông tin đăng nhập Telegram"
    )
    old = web_kit.init_data(
        lan.user_id, auth_date=clock.now - timedelta(hours=2), bot_token=BOT_TOKEN
    )
    page = await browser.new_page()
    await page.goto(form + web_kit.mini_app_fragment(old))
    await expect(page.locator("#telegram-sign-in")).to_contain_text("đã được mở quá lâu")
    # Another Telegram user's signed data changes nothing either: they are not registered.
    stranger = web_kit.init_data(777000111, auth_date=clock.now, bot_token=BOT_TOKEN)
    page = await browser.new_page()
    await page.goto(form + web_kit.mini_app_fragment(stranger))
    await expect(page.locator("#telegram-sign-in")).to_contain_text("dành cho cán bộ đã đăng ký")
    assert await count(session, WebSession) == 0
    assert await count(session, ReportDraft) == 0


async def test_a_link_works_once_and_not_after_it_expired(
    browser: Any, pages_url: str, session: AsyncSession, clock: Clock, tree: Tree, lan_id: int
) -> None:
    target = f"/report/{tree.union.id}/{NOVEMBER}"
    once = await link(session, lan_id, target, clock)
    page = await browser.new_page()
    await page.goto(pages_url + once)
    await expect(page.locator("h1")).to_have_text(tree.union.name)
    assert await count(session, WebSession) == 1

    other = await browser.browser.new_context()  # another phone, no cookie
    again = await other.new_page()
    response = await again.goto(pages_url + once)
    await expect(again.locator(".notice")).to_contain_text("Liên kết này đã được dùng")
    assert response is not None
    late = await link(session, lan_id, target, clock)
    clock.now += timedelta(minutes=31)
    await again.goto(pages_url + late)
    await expect(again.locator(".notice")).to_contain_text("Liên kết này đã hết hạn")
    await again.goto(f"{pages_url}/l/made-up-token")
    await expect(again.locator(".notice")).to_contain_text("Liên kết này không hợp lệ")
    await again.goto(pages_url + target)  # and without any link: nothing to see
    await expect(again.locator(".notice")).to_contain_text("Phiên làm việc đã kết thúc")
    assert await count(session, WebSession) == 1
    await other.close()
    links = (await session.scalars(select(WebLink).order_by(WebLink.id))).all()
    assert [row.used_at is not None for row in links] == [True, False]


async def test_another_units_page_and_a_post_without_csrf_are_refused(
    browser: Any,
    pages_url: str,
    session: AsyncSession,
    clock: Clock,
    tree: Tree,
    lan_id: int,
) -> None:
    page = await browser.new_page()
    await page.goto(
        pages_url + await link(session, lan_id, f"/report/{tree.union.id}/2026-11", clock)
    )
    await expect(page.locator("h1")).to_have_text(tree.union.name)
    version = await page.locator("input[name=version]").input_value()

    # Another unit's id typed into the address: refused, and no draft is opened for it.
    response = await page.goto(f"{pages_url}/report/{tree.other_union.id}/{NOVEMBER}")
    assert response is not None and response.status == 403
    await expect(page.locator(".notice")).to_contain_text("không phải (hoặc không còn là) cán bộ")
    drafts = (await session.scalars(select(ReportDraft.reporting_unit_id))).all()
    assert drafts == [tree.union.id]

    # A script (another site's, or a forged form) posting without the page's CSRF token.
    await page.goto(f"{pages_url}/report/{tree.union.id}/{NOVEMBER}")
    statuses = await page.evaluate(
        """async ([base, version]) => {
            const out = [];
            for (const action of ['save', 'review', 'send']) {
                const response = await fetch(base + '/' + action, {
                    method: 'POST',
                    headers: {'Content-Type': 'application/x-www-form-urlencoded'},
                    body: 'version=' + version + '&v:workers=5&v:union_members=4',
                });
                out.push(response.status);
            }
            return out;
        }""",
        [f"/report/{tree.union.id}/{NOVEMBER}", version],
    )
    assert statuses == [403, 403, 403]
    session.expire_all()
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None and draft.answers == {}
    assert await count(session, Report) == 0
