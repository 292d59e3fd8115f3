"""The report form over HTTP, without a browser: the bot's real web app (bot/web.py with its
pages) in process, the real Application beside it for the chat. What a browser cannot make
happen at will is tested here: a double submit, a page gone stale (the chat changed the draft,
the month locked, the unit reassigned, another officer took over), an amendment, the form and
the chat taking turns on one draft, and the offer in the chat on each channel."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.app import load_reporting_setup
from bot.channels.console import make_console, serve_pages
from bot.web import InstanceState, build_web_app
from infra.channel_updates import ChannelUser
from infra.settings import Settings
from models import (
    OutboxMessage,
    Report,
    ReportChange,
    ReportDraft,
    RoleAssignment,
    WebLink,
    WebSession,
    utcnow,
)
from models.db import UnitOfWork
from services import demo, web_auth
from testkit.chat import Chat, Clock
from testkit.org import Tree, make_person, make_tree
from testkit.web import UNION_FORM_VALUES, hidden

BASE = "http://testserver"
NOVEMBER = "2026-11"
GOOD = UNION_FORM_VALUES


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


@pytest.fixture
async def lan_id(session: AsyncSession, tree: Tree, lan: ChannelUser) -> int:
    return await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))


@pytest.fixture
async def hung_id(session: AsyncSession, tree: Tree, hung: ChannelUser) -> int:
    return await make_person(session, hung.user_id, "Trần Văn Hùng", units=(tree.union.id,))


def web_client(chat: Chat, engine: AsyncEngine) -> httpx.AsyncClient:
    app = build_web_app(chat.app, engine, InstanceState(), webhooks=[], pages=True)
    chat.app.bot_data.pages_url = BASE
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


@pytest.fixture
async def client(chat: Chat, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async with web_client(chat, engine) as found:
        yield found


async def signed_in(
    client: httpx.AsyncClient, session: AsyncSession, person_id: int, path: str, clock: Clock
) -> httpx.Response:
    """Open ``path`` through a fresh one-time link, as the chat would hand it out."""
    issued = await web_auth.issue_link(
        session, person_id=person_id, target=path, now=clock.now, valid=timedelta(minutes=30)
    )
    opened = await client.post(f"/l/{issued.token}")
    assert opened.status_code == 303 and opened.headers["location"] == path
    return await client.get(path)


def form_of(page: httpx.Response, values: dict[str, str]) -> dict[str, str]:
    body = {"csrf": hidden(page.text, "csrf"), "version": hidden(page.text, "version")}
    body.update({f"v:{code}": value for code, value in values.items()})
    return body


async def reports(session: AsyncSession) -> int:
    session.expire_all()
    return int(await session.scalar(select(func.count()).select_from(Report)) or 0)


async def draft_answers(session: AsyncSession) -> dict[str, object] | None:
    session.expire_all()
    draft = await session.scalar(select(ReportDraft))
    return None if draft is None else dict(draft.answers)


def path(tree: Tree) -> str:
    return f"/report/{tree.union.id}/{NOVEMBER}"


async def test_a_double_submit_makes_one_report_and_one_receipt(
    client: httpx.AsyncClient, session: AsyncSession, clock: Clock, tree: Tree, lan_id: int
) -> None:
    page = await signed_in(client, session, lan_id, path(tree), clock)
    review = await client.post(path(tree) + "/review", data=form_of(page, GOOD))
    assert review.status_code == 200 and "Kiểm tra báo cáo rồi gửi đi." in review.text
    send = {"csrf": hidden(review.text, "csrf"), "version": hidden(review.text, "version")}
    first, second = await asyncio.gather(
        client.post(path(tree) + "/send", data=send), client.post(path(tree) + "/send", data=send)
    )
    answers = sorted([first, second], key=lambda r: r.status_code)
    assert answers[0].status_code == 200 and re.search(r"BC-\d{6}", answers[0].text)
    assert answers[1].status_code == 409
    assert "đã được gửi lúc" in answers[1].text and "BC-" in answers[1].text
    assert await reports(session) == 1
    receipts = await session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "receipt")
    )
    assert receipts == 1
    again = await client.post(path(tree) + "/send", data=send)  # the browser's "resend form?"
    assert again.status_code == 409 and await reports(session) == 1


async def test_a_page_older_than_a_chat_answer_saves_nothing(
    client: httpx.AsyncClient,
    chat: Chat,
    session: AsyncSession,
    clock: Clock,
    tree: Tree,
    lan_id: int,
    lan: ChannelUser,
) -> None:
    page = await signed_in(client, session, lan_id, path(tree), clock)
    await chat.send(lan, "/baocao")
    await chat.send(lan, "1.300")  # the chat answers the first question meanwhile
    before = await draft_answers(session)
    saved = await client.post(path(tree) + "/save", data=form_of(page, GOOD))
    assert saved.status_code == 409
    assert "đã được thay đổi ở nơi khác" in saved.json()["stale"]
    review = await client.post(path(tree) + "/review", data=form_of(page, GOOD))
    assert review.status_code == 409 and "đã được thay đổi ở nơi khác" in review.text
    assert 'value="1.300"' in review.text  # the page shows the draft as it now is
    assert await draft_answers(session) == before
    assert await reports(session) == 0


async def test_a_month_locked_or_a_unit_left_meanwhile_is_said_and_nothing_written(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: Clock,
    tree: Tree,
    lan_id: int,
) -> None:
    # The evening before November locks (on 10 December): still open, though late.
    clock.set_local(2026, 12, 9, 23)
    clock.now += timedelta(minutes=30)  # 23:30
    page = await signed_in(client, session, lan_id, path(tree), clock)
    review = await client.post(path(tree) + "/review", data=form_of(page, GOOD))
    send = {"csrf": hidden(review.text, "csrf"), "version": hidden(review.text, "version")}
    before = await draft_answers(session)

    clock.now += timedelta(minutes=40)  # 00:10: locked; the session still lives
    locked = await client.post(path(tree) + "/send", data=send)
    assert locked.status_code == 409 and "Kỳ báo cáo này đã khóa" in locked.text
    saved = await client.post(path(tree) + "/save", data=form_of(page, {"workers": "7"}))
    assert saved.status_code == 409 and "đã khóa" in saved.json()["stale"]

    clock.now -= timedelta(minutes=40)
    await session.execute(update(RoleAssignment).values(revoked_at=utcnow()))
    await session.commit()
    gone = await client.post(path(tree) + "/send", data=send)
    assert gone.status_code == 403 and "không còn là) cán bộ" in gone.text
    assert (await client.get(path(tree))).status_code == 403
    assert await draft_answers(session) == before
    assert await reports(session) == 0


async def test_two_officers_see_who_holds_the_draft_and_one_takes_it_over(
    chat: Chat,
    engine: AsyncEngine,
    session: AsyncSession,
    clock: Clock,
    tree: Tree,
    lan_id: int,
    hung_id: int,
) -> None:
    async with web_client(chat, engine) as lan_phone, web_client(chat, engine) as hung_phone:
        lan_page = await signed_in(lan_phone, session, lan_id, path(tree), clock)
        saved = await lan_phone.post(path(tree) + "/save", data=form_of(lan_page, {"workers": "9"}))
        assert saved.status_code == 200
        held = await signed_in(hung_phone, session, hung_id, path(tree), clock)
        assert "Nguyễn Thị Lan đã bắt đầu soạn báo cáo này" in held.text
        taken = await hung_phone.post(
            path(tree) + "/takeover", data={"csrf": hidden(held.text, "csrf")}
        )
        assert taken.status_code == 303
        hung_page = await hung_phone.get(path(tree))
        assert 'value="9"' in hung_page.text  # Lan's answer is kept
        body = form_of(lan_page, {"workers": "10"})
        body["version"] = saved.json()["version"]
        late = await lan_phone.post(path(tree) + "/save", data=body)
    assert late.status_code == 409
    assert "Trần Văn Hùng đã nhận làm tiếp báo cáo này" in late.json()["stale"]
    answers = await draft_answers(session)
    assert answers is not None and answers["workers"] == {"v": "9", "note": None}


async def test_begun_in_the_form_and_finished_in_the_chat(
    client: httpx.AsyncClient,
    chat: Chat,
    session: AsyncSession,
    clock: Clock,
    tree: Tree,
    lan_id: int,
    lan: ChannelUser,
) -> None:
    page = await signed_in(client, session, lan_id, path(tree), clock)
    saved = await client.post(
        path(tree) + "/save",
        data=form_of(page, {"workers": "1.200", "union_members": "1.000", "new_union_members": ""}),
    )
    assert saved.json()["answered"] == 2
    said = await chat.send(lan, "/baocao")
    assert "Câu 3/9" in said and "Kết nạp đoàn viên mới" in said
    for typed in ("3", "1", "2", "1", "có", "0", "0"):
        said = await chat.send(lan, typed)
    assert "Kiểm tra báo cáo" in said and "1.200 người" in said
    assert "Đã nhận báo cáo" in await chat.press(lan, "Gửi báo cáo")
    stale = await client.post(path(tree) + "/save", data=form_of(page, GOOD))
    assert stale.status_code == 409 and await reports(session) == 1


async def test_a_whole_page_posted_without_script_shows_every_error_in_place(
    client: httpx.AsyncClient, session: AsyncSession, clock: Clock, tree: Tree, lan_id: int
) -> None:
    page = await signed_in(client, session, lan_id, path(tree), clock)
    bad = {**GOOD, "workers": "1.000", "union_members": "1.200", "new_union_members": "1,5"}
    bad["labour_disputes"] = ""
    review = await client.post(path(tree) + "/review", data=form_of(page, bad))
    assert review.status_code == 422
    text = review.text
    assert "Vui lòng sửa các mục được đánh dấu dưới đây." in text
    assert "Số đoàn viên (1.200) không được lớn hơn tổng số lao động (1.000)." in text
    assert "là số nguyên" in text  # 1,5 is not a count
    assert "Vui lòng trả lời mục này." in text  # a required item left empty
    assert 'value="1,5"' in text  # what was typed stays in its field
    assert await reports(session) == 0


async def test_amending_in_the_form_asks_for_a_reason_and_keeps_the_trail(
    client: httpx.AsyncClient, session: AsyncSession, clock: Clock, tree: Tree, lan_id: int
) -> None:
    page = await signed_in(client, session, lan_id, path(tree), clock)
    review = await client.post(path(tree) + "/review", data=form_of(page, GOOD))
    send = {"csrf": hidden(review.text, "csrf"), "version": hidden(review.text, "version")}
    assert (await client.post(path(tree) + "/send", data=send)).status_code == 200

    sent = await client.get(path(tree))
    assert "đã được gửi lúc" in sent.text and "Số biên nhận: BC-" in sent.text
    opened = await client.post(path(tree) + "/amend", data={"csrf": hidden(sent.text, "csrf")})
    assert opened.status_code == 303
    form = await client.get(path(tree))
    assert "Bạn đang sửa báo cáo đã gửi" in form.text and 'value="1.200"' in form.text
    review = await client.post(path(tree) + "/review", data=form_of(form, {"workers": "1.250"}))
    assert review.status_code == 200 and "✅ Gửi bản sửa" in review.text
    send = {"csrf": hidden(review.text, "csrf"), "version": hidden(review.text, "version")}
    missing = await client.post(path(tree) + "/send", data=send)
    assert missing.status_code == 422 and "Vui lòng ghi ngắn gọn lý do" in missing.text
    done = await client.post(
        path(tree) + "/send", data={**send, "amend_reason": "Đếm lại danh sách"}
    )
    assert done.status_code == 200 and "sửa lần 1" in done.text  # the first amendment
    change = await session.scalar(select(ReportChange))
    assert change is not None and change.indicator_code == "workers"
    assert (change.old_value, change.new_value) == (Decimal(1200), Decimal(1250))
    assert change.reason == "Đếm lại danh sách"


async def test_pages_are_private_and_sessions_end_when_left_unused(
    client: httpx.AsyncClient, session: AsyncSession, clock: Clock, tree: Tree, lan_id: int
) -> None:
    issued = await web_auth.issue_link(
        session, person_id=lan_id, target=path(tree), now=clock.now, valid=timedelta(minutes=30)
    )
    landing = await client.get(f"/l/{issued.token}")  # what a link preview fetches
    assert landing.status_code == 200 and await _sessions(session) == 0
    assert landing.headers["referrer-policy"] == "no-referrer"
    opened = await client.post(f"/l/{issued.token}")
    cookie = opened.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    page = await client.get(path(tree))
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors" in page.headers["content-security-policy"]
    index = await client.get("/report")
    assert tree.union.name in index.text and f'href="{path(tree)}"' in index.text

    clock.now += timedelta(minutes=61)  # WEB_SESSION_MINUTES (60) without use
    assert (await client.get(path(tree))).status_code == 401


async def _sessions(session: AsyncSession) -> int:
    session.expire_all()
    return int(await session.scalar(select(func.count()).select_from(WebSession)) or 0)


async def test_on_https_the_cookie_is_secure_and_host_only(
    chat: Chat, engine: AsyncEngine, session: AsyncSession, clock: Clock, tree: Tree, lan_id: int
) -> None:
    async with web_client(chat, engine) as client:
        chat.app.bot_data.pages_url = "https://bot.example.vn"
        issued = await web_auth.issue_link(
            session, person_id=lan_id, target=path(tree), now=clock.now, valid=timedelta(30)
        )
        opened = await client.post(f"/l/{issued.token}")
    cookie = opened.headers["set-cookie"]
    assert cookie.startswith("__Host-session=") and "Secure" in cookie and "HttpOnly" in cookie


async def test_telegram_gets_a_mini_app_button_only_from_an_https_address(
    chat: Chat, session: AsyncSession, tree: Tree, lan_id: int, lan: ChannelUser
) -> None:
    chat.app.bot_data.pages_url = "http://127.0.0.1:8080"
    said = await chat.send(lan, "/baocao")
    assert "biểu mẫu" not in said.lower() and "Câu 1/9" in said
    assert await session.scalar(select(func.count()).select_from(WebLink)) == 0
    await chat.send(lan, "/cancel")
    await chat.press(lan, "Giữ bản nháp")
    chat.app.bot_data.pages_url = "https://bot.example.vn"
    said = await chat.send(lan, "/baocao")
    assert "Bạn có thể điền cả báo cáo trên một trang" in said and "Câu 1/9" in said
    button = chat.last_with_buttons(lan)  # the question's own buttons come after the offer
    offers = [c for c in chat.api.sent(lan.user_id) if c.buttons and "web_app" in c.buttons[0]]
    assert offers and button is not offers[-1]


async def test_the_console_serves_the_pages_and_offers_a_one_time_link(
    settings: Settings, uow: UnitOfWork, session: AsyncSession, clock: Clock
) -> None:
    setup = load_reporting_setup(settings)
    await demo.seed(session, settings.secret, setup, clock.now)
    out = io.StringIO()
    console = make_console(settings, uow, setup, clock=clock, out=out)
    async with console.application:
        await console.application.start()
        pages = await serve_pages(console.application, None)
        assert pages is not None and pages.url.startswith("http://127.0.0.1:")
        try:
            for line in ("/as officer", "/baocao", "1"):
                await console.handle_line(line)
            found = re.search(r"(http://127\.0\.0\.1:\d+/l/[\w-]+)", out.getvalue())
            assert found is not None, out.getvalue()
            assert "liên kết dùng một lần, trong 30 phút" in out.getvalue()
            async with httpx.AsyncClient(follow_redirects=True) as browser:
                landing = await browser.get(found[1])
                opened = await browser.post(found[1])
            assert opened.status_code == 200 and "Xem lại rồi gửi" in opened.text
            assert "Tháng 11/2026" in opened.text
        finally:
            await pages.stop()
            await console.application.stop()
    assert landing.status_code == 200


async def test_python_m_bot_without_a_token_prints_a_link_to_the_form(
    tmp_path: Path, database_url: str, engine: AsyncEngine
) -> None:
    from testkit.chat import run_console

    done = run_console(tmp_path, database_url, "/quit\n")
    assert done.returncode == 0, done.stderr
    found = re.search(
        r"Biểu mẫu báo cáo trên trình duyệt .*(http://127\.0\.0\.1:\d+/l/\S+)", done.stdout
    )
    assert found is not None, done.stdout
    # The demo administrator's way into the office console is printed beside it.
    office = re.search(
        r"Bàn làm việc của cơ quan thường trực .*(http://127\.0\.0\.1:\d+/office/l/\S+)",
        done.stdout,
    )
    assert office is not None, done.stdout
    async with engine.connect() as connection:
        targets = (await connection.scalars(select(WebLink.target))).all()
    assert sorted(targets) == ["/office", "/report"]
