"""Everyday habits on Telegram (issue 12): hints that say what works here, a double tap, stale
and malformed buttons, the officers' inbox naming the case it changed."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import CallbackContext

from handlers.reports import conversation as report_conversation
from infra.channel_updates import ChannelUser
from models import Concern, ConcernStatus, Role
from services import concerns
from services.invites import create_invite
from testkit.chat import Chat
from testkit.env import TEST_SECRET
from testkit.org import Tree, make_person, make_tree

NOT_MODIFIED = (
    400,
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message",
    {},
)
APOLOGY = "sự cố"


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


@pytest.fixture
async def lan_id(session: AsyncSession, tree: Tree, lan: ChannelUser) -> int:
    return await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))


async def open_cases(chat: Chat, session: AsyncSession, tree: Tree, *texts: str) -> list[str]:
    """Cases of the union's enterprise, released as the notice batch does; their case codes."""
    setup = chat.app.bot_data.concerns
    today = chat.app.bot_data.clock().astimezone(chat.app.bot_data.settings.zone).date()
    codes = []
    for number, text in enumerate(texts):
        sent = await concerns.submit_concern(
            session,
            enterprise_id=tree.enterprise.id,
            category="wages",
            text=text,
            subject=setup.keys.subject("telegram", f"worker-{number}", today),
            keys=setup.keys,
            today=today,
            config=setup.config,
        )
        codes.append(sent.case_code)
    await concerns.release_pending(session)
    return codes


# --- hints say what works on this channel -------------------------------------------------------


async def test_hints_on_telegram_say_tap_not_type_a_number(
    chat: Chat, session: AsyncSession, tree: Tree, lan: ChannelUser
) -> None:
    """Typing a number does nothing on Telegram: its hints must not ask for one."""
    await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id, tree.cell.id))
    await chat.send(lan, "/baocao")  # two units: a menu of buttons
    said = await chat.send(lan, "CĐCS")
    assert "bấm một trong các nút" in said and "gõ số" not in said

    hung = ChannelUser(5550009, "Hùng", "Trần")
    code = await create_invite(
        session,
        TEST_SECRET.encode(),
        role=Role.OFFICER,
        actor="test",
        valid_days=7,
        unit_code=tree.union.code,
    )
    await chat.send(hung, f"/start {code.code}")
    said = await chat.send(hung, "ok")
    assert "bấm nút Xác nhận hoặc Hủy" in said and "gõ 1" not in said


# --- a double tap, stale and malformed buttons ----------------------------------------------------


async def test_a_double_tap_whose_edit_changes_nothing_is_no_error(
    chat: Chat,
    session: AsyncSession,
    tree: Tree,
    lan: ChannelUser,
    lan_id: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The second tap of a double tap edits the message into what it already says: Telegram
    answers 400 "message is not modified", which means it is done, not that anything failed."""
    (code,) = await open_cases(chat, session, tree, "Ca đêm không có nước uống.")
    await chat.send(lan, "/hopthu")
    handling = next(b for b in chat.last_with_buttons(lan).buttons if "Đang xử lý" in b["text"])
    first = await chat.callback(lan, handling["callback_data"])
    assert f"Đã chuyển {code} sang trạng thái: Đang xử lý" in first
    chat.api.failures[str(lan.user_id)] = [NOT_MODIFIED]
    with caplog.at_level(logging.WARNING):
        second = await chat.callback(lan, handling["callback_data"])
    assert APOLOGY not in second and not chat.api.failures[str(lan.user_id)]
    assert [r for r in caplog.records if "handler failed" in r.getMessage()] == []


async def test_a_double_tap_on_a_report_menu_is_no_error(
    chat: Chat, session: AsyncSession, tree: Tree, lan: ChannelUser
) -> None:
    await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id, tree.cell.id))
    await chat.send(lan, "/baocao")
    union = next(b for b in chat.last_with_buttons(lan).buttons if "CĐCS" in b["text"])
    await chat.callback(lan, union["callback_data"])
    chat.api.failures[str(lan.user_id)] = [NOT_MODIFIED]
    assert APOLOGY not in await chat.callback(lan, union["callback_data"])


@pytest.mark.parametrize(
    "data",
    [
        "hop:v1:st:",
        "hop:v1:st:abc",
        "hop:v1:st:ab:closed:x",
        "hop:v1:reply:",
        "hop:v1:reply:XYZ",
        "hop:v1:esc:",
        "hop:v1:case:",
        "hop:v1:list:x",
    ],
)
async def test_malformed_inbox_buttons_are_expired_buttons(
    chat: Chat, lan: ChannelUser, lan_id: int, data: str
) -> None:
    said = await chat.callback(lan, data)
    assert "hết hiệu lực" in said and APOLOGY not in said


@pytest.mark.parametrize(
    "data",
    [
        "rpt:v1:edit",
        "rpt:v1:item",
        "rpt:v1:item:1",
        "rpt:v1:discard",
        "!rpt:v1:keep",
        "!rpt:v1:keep:5",
        "!rpt:v1:jumpok:5",
        "rpt:v1:unit",
        "rpt:v1:period:1",
        "rpt:v1:submit:1:2",
        "rpt:v1:edit:x",
        "rpt:v1:nonsense:1:2",
    ],
)
async def test_report_buttons_with_too_few_parts_are_expired_in_resume_press(
    chat: Chat, lan: ChannelUser, lan_id: int, data: str
) -> None:
    """resume_press read parts[1], parts[2]… of whatever data reached it (an IndexError): data
    with fewer parts than its action needs is an expired button, whoever calls it."""
    await chat.send(lan, "/baocao")
    update = Update.de_json(chat.updates.callback(lan, data), chat.app.bot)
    context: CallbackContext = CallbackContext.from_update(update, chat.app)  # type: ignore[type-arg]
    before = len(chat.api.calls)
    await report_conversation.resume_press(update, context)  # type: ignore[arg-type]
    said = "\n".join(c.text for c in chat.api.calls[before:] if c.text)
    assert "hết hiệu lực" in said and APOLOGY not in said


# --- the inbox --------------------------------------------------------------------------------


async def test_the_empty_inbox_names_the_notice_hours(
    chat: Chat, lan: ChannelUser, lan_id: int
) -> None:
    said = await chat.send(lan, "/hopthu")
    assert "Không có tâm tư nào đang chờ" in said and "08:00 và 14:00 hằng ngày" in said


async def test_on_telegram_each_case_keeps_its_buttons_and_confirmations_name_it(
    chat: Chat, session: AsyncSession, tree: Tree, lan: ChannelUser, lan_id: int
) -> None:
    first, second = await open_cases(chat, session, tree, "Thiếu nước uống.", "Chưa trả lương.")
    await chat.send(lan, "/hopthu")
    cases = [c for c in chat.api.sent(lan.user_id) if c.buttons]
    assert len(cases) == 2
    by_code = {code: next(c for c in cases if code in c.text) for code in (first, second)}
    close_first = next(b for b in by_code[first].buttons if b["text"] == "Đóng")
    assert f"Đã chuyển {first} sang trạng thái: Đã đóng" in await chat.callback(
        lan, close_first["callback_data"]
    )
    reply_second = next(b for b in by_code[second].buttons if "Trả lời" in b["text"])
    await chat.callback(lan, reply_second["callback_data"])
    said = await chat.send(lan, "Đã báo phòng nhân sự.")
    assert f"Đã gửi trả lời cho {second}" in said
    statuses = dict((await session.execute(select(Concern.case_code, Concern.status))).all())
    assert statuses == {first: ConcernStatus.CLOSED, second: ConcernStatus.ANSWERED}


async def test_a_press_answered_too_late_for_telegram_still_works(
    chat: Chat,
    session: AsyncSession,
    tree: Tree,
    lan: ChannelUser,
    lan_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A press handled late (queued while the bot was down) can no longer be answered: Telegram
    says 400 "query is too old". The answer only stops a spinner; the press must still work."""
    (code,) = await open_cases(chat, session, tree, "Ca đêm không có nước uống.")
    await chat.send(lan, "/hopthu")
    handling = next(b for b in chat.last_with_buttons(lan).buttons if "Đang xử lý" in b["text"])
    real = chat.api.do_request

    async def too_old(url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if url.endswith("/answerCallbackQuery"):
            description = (
                "Bad Request: query is too old and response timeout expired or query id is invalid"
            )
            return 400, json.dumps(
                {"ok": False, "error_code": 400, "description": description}
            ).encode()
        return await real(url, method, *args, **kwargs)

    monkeypatch.setattr(chat.api, "do_request", too_old)
    said = await chat.callback(lan, handling["callback_data"])
    assert f"Đã chuyển {code} sang trạng thái: Đang xử lý" in said and APOLOGY not in said
