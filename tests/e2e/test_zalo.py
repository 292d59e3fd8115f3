"""The same conversations on Zalo, against a loopback stand-in of Zalo's Bot Platform API
(testkit/zalo.py): registration, a whole monthly report, a concern and its follow-up, a
reminder and a digest — buttons as numbered lists, texts under 2,000 characters, pictures and
Excel files by link, duplicate events dropped, the webhook's secret checked."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.channels.zalo import (
    ZaloClient,
    alias_of,
    zalo_id_of,
)
from bot.runtime import ZALO_SECRET_HEADER, poll_zalo
from handlers.concerns import jobs as concern_jobs
from handlers.reports import reminders as reminder_jobs
from infra.settings import Settings
from models import ChannelAccount, Concern, Report, ReportingUnit, Role
from scheduler import outbox_sender as jobs
from services.invites import create_invite
from testkit.bot_api import StandIn
from testkit.chat import Clock
from testkit.db import cell_texts, dump
from testkit.env import TEST_SECRET, concern_key_env
from testkit.org import Tree, make_person, make_tree
from testkit.zalo import ZaloStandIn, text_update
from testkit.zalo_chat import SECRET, ZaloChat, free_port, register

OFFICER = "6ede9afa66b88fe6d6a9"  # Zalo ids are strings
WORKER = "a1b2c3d4e5f60718293a"
MEMBER = "0f1e2d3c4b5a69788796"


async def officer_of_a_union(session: AsyncSession, settings: Settings) -> tuple[Tree, str]:
    tree = await make_tree(session)
    union_code = await session.scalar(
        select(ReportingUnit.code).where(ReportingUnit.id == tree.union.id)
    )
    assert union_code is not None
    code = "ZALK2345"
    await create_invite(
        session,
        settings.secret,
        role=Role.OFFICER,
        actor="test",
        valid_days=14,
        unit_code=union_code,
        code=code,
    )
    return tree, code


async def test_registration_and_a_whole_monthly_report_on_zalo(
    zalo: ZaloChat, session: AsyncSession, settings: Settings
) -> None:
    tree, code = await officer_of_a_union(session, settings)
    welcome = await register(zalo, OFFICER, code)
    assert "/baocao" in welcome
    account = await session.scalar(select(ChannelAccount).where(ChannelAccount.channel == "zalo"))
    assert account is not None and zalo_id_of(account.external_id) == OFFICER

    question = await zalo.send(OFFICER, "/baocao")
    for _ in range(25):  # one typed answer per question, as an officer types on a phone
        if "Kiểm tra báo cáo" in question:
            break
        if "Có hoặc Không" in question:
            answer = "có"
        elif "đúng không" in question.lower() or "có đúng" in question.lower():
            answer = "1"
        else:
            answer = "120" if "lao động" in question.split("Câu")[-1][:80] else "10"
        question = await zalo.send(OFFICER, answer)
    assert "Kiểm tra báo cáo" in question and "1. ✅ Gửi báo cáo" in question
    receipt = await zalo.send(OFFICER, "1")
    assert "Đã nhận báo cáo" in receipt and "BC-" in receipt
    report = await session.scalar(select(Report).where(Report.reporting_unit_id == tree.union.id))
    assert report is not None
    # Nothing sent to Zalo broke its rules: every message ≤ 2,000 characters, none refused.
    sent = zalo.api.messages(OFFICER)
    assert sent and all(len(text) <= 2000 for text in sent)
    assert not [c for c in zalo.api.calls if c[0] == "sendMessage" and not c[1].get("text")]


async def test_a_concern_its_answer_pushed_and_followed_up_on_zalo(
    zalo: ZaloChat,
    session: AsyncSession,
    settings: Settings,
    app_logging: pytest.LogCaptureFixture,
) -> None:
    tree, code = await officer_of_a_union(session, settings)
    await register(zalo, OFFICER, code)
    enterprise = await session.scalar(
        select(ReportingUnit.org_node_id).where(ReportingUnit.id == tree.union.id)
    )
    from models import OrgNode

    enterprise_code = await session.scalar(select(OrgNode.code).where(OrgNode.id == enterprise))
    assert enterprise_code is not None

    screen = await zalo.send(WORKER, f"/start c_{enterprise_code}", name="Công nhân")
    assert "1. " in screen
    categories = await zalo.send(WORKER, "1")  # go on
    assert "  3. An toàn, điều kiện làm việc" in categories
    prompt = await zalo.send(WORKER, "an toàn, điều kiện làm việc")  # chosen by its words
    assert prompt
    long_text = "Ca đêm không có nước uống, quạt hỏng. " * 52  # about 2,000 characters
    preview = await zalo.send(WORKER, long_text[:1990])

    # The preview repeats the whole text and adds its choices: more than one Zalo message.
    assert all(len(part) <= 2000 for part in zalo.api.messages(WORKER))
    push_choice = next(
        line.split(".")[0].strip()
        for line in preview.splitlines()
        if line.strip()[:2].rstrip(".").isdigit() and "báo" in line.lower()
    )
    sent = await zalo.send(WORKER, push_choice)
    assert "Mã vụ việc: TT-" in sent
    receipt = sent.split("Mã biên nhận bí mật: ")[1].split("\n")[0]
    assert (await session.scalar(select(Concern.id))) is not None

    # The officer hears of it at the next notice batch, reads it on Zalo and answers.
    context = type("Ctx", (), {"bot_data": zalo.app.bot_data, "bot": zalo.app.bot})
    await concern_jobs.announce_new_concerns(context)  # type: ignore[arg-type]
    inbox = await zalo.send(OFFICER, "/hopthu")
    assert "nước uống" in inbox
    opened = await zalo.send(OFFICER, "1")  # the first case of the list, by its number
    if "Viết trả lời" not in opened:
        number = next(
            line.split(".")[0].strip() for line in opened.splitlines() if "Trả lời" in line
        )
        opened = await zalo.send(OFFICER, number)
    assert "Viết trả lời" in opened
    before = len(zalo.api.messages(WORKER))
    await zalo.send(OFFICER, "Công đoàn đã làm việc với công ty, tuần này sửa xong.")
    assert zalo.api.messages(WORKER)[before:] == []  # not in the officer's request
    # The next push batch (without its random wait) delivers it to the worker's Zalo chat.
    setup = zalo.app.bot_data.concerns
    setup.config = setup.config.model_copy(update={"push_jitter_minutes": 0})
    await concern_jobs.push_answers(context)  # type: ignore[arg-type]
    pushed = "\n".join(zalo.api.messages(WORKER)[before:])
    assert "tuần này sửa xong" in pushed

    followed = await zalo.send(WORKER, f"/kiemtra {receipt}")
    assert "tuần này sửa xong" in followed

    # Anonymity holds on Zalo too: neither the worker's Zalo id nor the integer it becomes
    # inside the bot is in any table or any log line (the officer's are, as they should be).
    needles = [WORKER, str(alias_of(WORKER)), "Công nhân"]
    cells = [
        (table, column, part)
        for table, column, value in await dump(session)
        for part in cell_texts(value)
    ]
    assert [c for c in cells if any(n in c[2] for n in needles)] == []
    assert any(str(alias_of(OFFICER)) in c[2] for c in cells)  # the search can find an id
    logging.getLogger("bot").info("capture probe")
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in app_logging.records)
    assert "capture probe" in logged and [n for n in needles if n in logged] == []


async def test_a_reminder_and_a_digest_reach_zalo_with_chart_and_excel(
    zalo: ZaloChat, session: AsyncSession, settings: Settings, clock: Clock
) -> None:
    tree, code = await officer_of_a_union(session, settings)
    await register(zalo, OFFICER, code)
    await make_person(
        session,
        alias_of(MEMBER),
        "Lê Minh Tuấn",
        role=Role.COMMITTEE,
        node_id=tree.province.id,
        channel="zalo",
    )
    zalo.api.add_chat(MEMBER)
    context = type("Ctx", (), {"bot_data": zalo.app.bot_data, "bot": zalo.app.bot})

    # Three days before November's due day (25th), 08:00: the officer's reminder.
    clock.set_local(2026, 11, 22, 8)
    clock.now += timedelta(minutes=5)
    await reminder_jobs.plan_tick(context)  # type: ignore[arg-type]
    await jobs.drain(zalo.app.bot_data, zalo.app.bot)
    reminder = "\n".join(zalo.api.messages(OFFICER)[-2:])
    assert "tháng 11/2026" in reminder and "1. " in reminder
    opened = await zalo.send(OFFICER, "1")  # the reminder's button, by its number
    assert "Câu 1/" in opened

    # October's digest, the day after its due day.
    clock.set_local(2026, 10, 27, 8)
    await reminder_jobs.plan_tick(context)  # type: ignore[arg-type]
    await jobs.drain(zalo.app.bot_data, zalo.app.bot)
    texts = zalo.api.messages(MEMBER)
    assert any("tháng 10/2026" in t for t in texts)
    assert all(len(t) <= 2000 for t in texts)
    (photo,) = [p for p in zalo.api.photos if p[0] == MEMBER]
    _, url, _, picture = photo
    assert url.startswith(zalo.base_url + "/files/") and picture.startswith(b"\x89PNG")
    link = next(word for t in texts for word in t.split() if "/files/" in word and ".xlsx" in word)
    async with httpx.AsyncClient() as web:  # the files are served by this test's event loop
        workbook = load_workbook(io.BytesIO((await web.get(link)).content))
        assert workbook.sheetnames
        missing = await web.get(zalo.base_url + "/files/not-a-token/x.xlsx")
    assert missing.status_code == 404


async def test_a_wrong_number_keeps_the_list_and_a_valid_one_then_chooses(
    zalo: ZaloChat,
) -> None:
    """Issue 12: after one number out of range every later number, valid ones too, was refused
    until the command was started again."""
    menu = await zalo.send(WORKER, "/lang", name="Công nhân")
    assert "1. Tiếng Việt" in menu and "2. English" in menu
    for wrong in ("5", "tiếng Anh"):
        again = await zalo.send(WORKER, wrong, name="Công nhân")
        assert "1. Tiếng Việt" in again and "2. English" in again, again
    assert "Language set: English." in await zalo.send(WORKER, "2", name="Công nhân")


async def test_duplicates_are_dropped_and_the_webhook_checks_its_secret(zalo: ZaloChat) -> None:
    event = text_update(WORKER, "/help", name="Công nhân")
    first = await zalo.event(event)
    assert first
    assert await zalo.event(event) == ""  # the same message id again: dropped

    hook = f"{zalo.base_url}/zalo"
    fresh = text_update(WORKER, "/help", name="Công nhân")
    unsigned = await asyncio.to_thread(httpx.post, hook, json=fresh)
    assert unsigned.status_code == 403
    wrong = {ZALO_SECRET_HEADER: "wrong-secret"}
    assert (await asyncio.to_thread(httpx.post, hook, json=fresh, headers=wrong)).status_code == 403
    before = len(zalo.api.messages(WORKER))
    wrapped = {"ok": True, "result": fresh}  # the documented shape; the bare one is what is seen
    answered = await asyncio.to_thread(
        httpx.post, hook, json=wrapped, headers={ZALO_SECRET_HEADER: SECRET}, timeout=30
    )
    assert answered.status_code == 200
    after = len(zalo.api.messages(WORKER))
    assert after > before  # answered before the webhook call returned
    again = await asyncio.to_thread(
        httpx.post, hook, json=fresh, headers={ZALO_SECRET_HEADER: SECRET}, timeout=30
    )
    assert again.status_code == 200 and len(zalo.api.messages(WORKER)) == after


async def test_polling_takes_one_event_per_call_and_nothing_twice(zalo: ZaloChat) -> None:
    client = ZaloClient(zalo.api.url, zalo.api.token)
    stop = asyncio.Event()

    def to_update(payload: Any) -> Update | None:
        data = zalo.inbound.to_update(payload)
        return None if data is None else Update.de_json(data, zalo.app.bot)

    polling = asyncio.create_task(poll_zalo(zalo.app, client, to_update, stop))
    event = text_update(WORKER, "/help", name="Công nhân")
    zalo.api.add_chat(WORKER)
    zalo.api.push(event)
    zalo.api.push(event)  # Zalo delivering the same message twice
    zalo.api.push(text_update(WORKER, "/start", name="Công nhân"))
    for _ in range(100):
        if len(zalo.api.messages(WORKER)) >= 2:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(polling, 10)
    await client.aclose()
    replies = zalo.api.messages(WORKER)
    assert len(replies) == 2  # /help once (its duplicate dropped), then /start


def run_bot(tmp_path: Any, database_url: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env={
            **{k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"},
            "APP_SECRET": TEST_SECRET,
            "DATABASE_URL": database_url,
            "STANDBY_RETRY_SECONDS": "0.5",
            **concern_key_env(),
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until(check: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def test_one_process_serves_telegram_by_polling_and_zalo_by_webhook(
    tmp_path: Any, database_url: str
) -> None:
    port = free_port()
    with StandIn() as telegram, ZaloStandIn() as zalo_api:
        bot = run_bot(
            tmp_path,
            database_url,
            BOT_TOKEN=telegram.token,
            TELEGRAM_API_BASE_URL=telegram.url,
            ZALO_BOT_TOKEN=zalo_api.token,
            ZALO_API_BASE_URL=zalo_api.url,
            ZALO_WEBHOOK_URL=f"http://127.0.0.1:{port}/zalo",
            ZALO_WEBHOOK_SECRET=SECRET,
            HTTP_PORT=str(port),
            HTTP_HOST="127.0.0.1",
        )
        try:
            (registered,) = zalo_api.wait_for("setWebhook")
            assert registered["url"] == f"http://127.0.0.1:{port}/zalo"
            assert registered["secret_token"] == SECRET
            telegram.wait_for("getUpdates")
            telegram.push(
                {
                    "update_id": 1,
                    "message": {
                        "message_id": 1,
                        "date": int(time.time()),
                        "chat": {"id": 31337, "type": "private", "first_name": "Lan"},
                        "from": {"id": 31337, "is_bot": False, "first_name": "Lan"},
                        "text": "/start",
                        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                    },
                }
            )
            zalo_api.push(text_update(WORKER, "/start", name="Công nhân"))
            (tg_reply,) = telegram.wait_for("sendMessage")
            assert "mã mời" in str(tg_reply["text"])
            wait_until(lambda: zalo_api.messages(WORKER))
            assert "mã mời" in zalo_api.messages(WORKER)[0]
            ((_, status),) = zalo_api.wait_for_deliveries(1)
            assert status == 200
            wrong = zalo_api.post_webhook(text_update(WORKER, "/help"), secret="not-the-secret")
            assert wrong == 403
        finally:
            bot.send_signal(signal.SIGTERM)
            output, _ = bot.communicate(timeout=30)
            print(output)  # shown when the test fails
    assert bot.returncode == 0, output
    assert zalo_api.token not in output and telegram.token not in output


def test_zalo_alone_by_long_polling(tmp_path: Any, database_url: str) -> None:
    with ZaloStandIn() as zalo_api:
        bot = run_bot(
            tmp_path, database_url, ZALO_BOT_TOKEN=zalo_api.token, ZALO_API_BASE_URL=zalo_api.url
        )
        try:
            zalo_api.wait_for("deleteWebhook")
            zalo_api.wait_for("getUpdates")
            zalo_api.push(text_update(WORKER, "/help", name="Công nhân"))
            wait_until(lambda: zalo_api.messages(WORKER))
            assert "/tamtu" in zalo_api.messages(WORKER)[0]
        finally:
            bot.send_signal(signal.SIGINT)
            output, _ = bot.communicate(timeout=30)
            print(output)  # shown when the test fails
    assert bot.returncode == 0, output
