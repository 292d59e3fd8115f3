"""One person on two channels, through two Applications on one database: /lienket on Telegram,
the code on Zalo, /kenh, and where reminders then go. Every refusal of a link code."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import build_application
from handlers.concerns import jobs as concern_jobs
from handlers.reports import reminders as reminder_jobs
from infra.channel_updates import ChannelUser, NumberedChoices
from infra.settings import Settings
from models import (
    ChannelAccount,
    CodeAttempt,
    LinkCode,
    OutboxMessage,
    Person,
    RoleAssignment,
    utcnow,
)
from models.db import UnitOfWork
from scheduler import outbox_sender as jobs
from services import access
from testkit.bot_api import ScriptedBotApi
from testkit.chat import Chat, Clock
from testkit.org import Tree, make_person, make_tree

CODE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b")
LAN_ZALO = ChannelUser(7770001, "Lan", "Nguyễn")
STRANGER_ZALO = ChannelUser(7770002, "Tú", "Đỗ")


@pytest.fixture
async def zalo(settings: Settings, uow: UnitOfWork, clock: Clock) -> AsyncIterator[Chat]:
    """The Zalo channel's Application, built as the Telegram one (same database and clock)."""
    api = ScriptedBotApi(username="test_bot")
    application = build_application(
        settings, uow, channel="zalo", request=api, rate_limit=False, clock=clock
    )
    await application.initialize()
    await application.start()
    running = Chat(application, api)
    try:
        yield running
    finally:
        if application.running:
            await application.stop()
            await application.shutdown()


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


@pytest.fixture
async def lan_id(session: AsyncSession, tree: Tree, lan: ChannelUser) -> int:
    return await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))


def serve_both(telegram: Chat, zalo: Chat) -> None:
    """One process serving both channels: the Telegram Application runs the jobs and sends on
    each channel with that channel's bot."""
    data = telegram.app.bot_data
    data.channels = ["telegram", "zalo"]
    data.senders = {"telegram": telegram.app.bot, "zalo": zalo.app.bot}


async def link_code(chat: Chat, user: ChannelUser) -> str:
    answer = await chat.send(user, "/lienket")
    found = CODE.search(answer)
    assert found, answer
    return found.group(0)


async def link(chat: Chat, zalo: Chat, user: ChannelUser, zalo_user: ChannelUser) -> str:
    code = await link_code(chat, user)
    offer = await zalo.send(zalo_user, f"/start {code}")
    assert "liên kết tài khoản Zalo này với Nguyễn Thị Lan" in offer
    return await zalo.press(zalo_user, "Xác nhận")


async def accounts_of(session: AsyncSession, person_id: int) -> list[tuple[str, str]]:
    session.expire_all()
    rows = await session.execute(
        select(ChannelAccount.channel, ChannelAccount.external_id)
        .where(ChannelAccount.person_id == person_id)
        .order_by(ChannelAccount.id)
    )
    return [(channel, external) for channel, external in rows.all()]


async def type_choice(chat: Chat, user: ChannelUser, typed: str) -> str:
    """What a text channel (Zalo) does with a typed number: press that numbered button."""
    shown = chat.last_with_buttons(user)
    choices = NumberedChoices()
    choices.remember(user.user_id, int(shown.result["message_id"]), shown.buttons)
    matched = choices.match(user.user_id, typed)
    assert matched is not None, typed
    message_id, button = matched
    calls = await chat.feed(
        chat.updates.callback(user, button["callback_data"], message_id=message_id)
    )
    return chat._to(calls, user.user_id)


async def test_a_telegram_officer_links_zalo_and_stays_one_person(
    chat: Chat,
    zalo: Chat,
    session: AsyncSession,
    clock: Clock,
    tree: Tree,
    lan: ChannelUser,
    lan_id: int,
) -> None:
    people_before = await session.scalar(select(func.count()).select_from(Person))
    answer = await chat.send(lan, "/lienket")
    assert "Mã liên kết của bạn" in answer and "15 phút" in answer and "Zalo" in answer
    code = CODE.search(answer)
    assert code is not None
    assert f"/start {code.group(0)}" in answer
    # Only a keyed hash is kept.
    stored = await session.scalar(select(LinkCode))
    assert stored is not None and code.group(0).replace("-", "") not in stored.code_hash

    # On Zalo, /start and then the code typed in lower case with a space.
    assert "mã mời" in await zalo.send(LAN_ZALO, "/start")
    typed = code.group(0).lower().replace("-", " ")
    offer = await zalo.send(LAN_ZALO, typed)
    assert "liên kết tài khoản Zalo này với Nguyễn Thị Lan" in offer and "Telegram" in offer
    done = await zalo.press(LAN_ZALO, "Xác nhận")
    assert "Đã liên kết" in done and "Cán bộ của CĐCS Công ty May Hà Phong" in done
    assert "gửi qua Telegram" in done  # reminders stay where they were until /kenh

    assert await accounts_of(session, lan_id) == [
        ("telegram", str(lan.user_id)),
        ("zalo", str(LAN_ZALO.user_id)),
    ]
    assert await session.scalar(select(func.count()).select_from(Person)) == people_before
    roles = (
        await session.scalars(select(RoleAssignment).where(RoleAssignment.person_id == lan_id))
    ).all()
    assert [r.reporting_unit_id for r in roles] == [tree.union.id]

    # Zalo now knows her: the menu, and the officer's commands work there.
    menu = await zalo.send(LAN_ZALO, "/start")
    assert "Xin chào Nguyễn Thị Lan" in menu and "/baocao" in menu
    assert "/lienket" in menu and "/kenh" in menu

    # Telegram is told too, through the outbox, on Telegram.
    serve_both(chat, zalo)
    notice = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "notice"))
    assert notice is not None
    assert (notice.channel, notice.chat_id) == ("telegram", str(lan.user_id))
    clock.now = utcnow() + timedelta(seconds=1)  # link codes live on real time, like invites
    await jobs.drain(chat.app.bot_data, chat.app.bot)
    told = [c.text for c in chat.api.sent(lan.user_id)]
    assert any("Tài khoản Zalo của bạn vừa được liên kết" in text for text in told)
    assert not any(
        "vừa được liên kết" in c.text for c in zalo.api.sent(lan.user_id)
    )  # not sent on the wrong bot

    # A second tap on the old confirm button changes nothing.
    again = await zalo.press(LAN_ZALO, "Xác nhận")
    assert "Đã liên kết" not in again
    assert len(await accounts_of(session, lan_id)) == 2


async def test_kenh_moves_reminders_to_zalo_and_only_there(
    chat: Chat,
    zalo: Chat,
    session: AsyncSession,
    clock: Clock,
    tree: Tree,
    lan: ChannelUser,
    lan_id: int,
) -> None:
    await link(chat, zalo, lan, LAN_ZALO)
    shown = await chat.send(lan, "/kenh")
    assert "hiện được gửi qua Telegram" in shown
    assert [b["text"] for b in chat.last_with_buttons(lan).buttons] == ["✅ Telegram", "Zalo"]
    assert "gửi qua Zalo" in await chat.press(lan, "Zalo")
    session.expire_all()
    person = await session.get(Person, lan_id)
    assert person is not None and person.preferred_channel == "zalo"

    # On Zalo the same choice is a numbered list: typing "1" picks Telegram, "/kenh 2" Zalo.
    await zalo.send(LAN_ZALO, "/kenh")
    assert "gửi qua Telegram" in await type_choice(zalo, LAN_ZALO, "1")
    assert "gửi qua Zalo" in await zalo.send(LAN_ZALO, "/kenh 2")

    serve_both(chat, zalo)
    clock.set_local(2026, 11, 22, 8)  # three days before the due day, 08:05
    clock.now += timedelta(minutes=5)
    context = type("Ctx", (), {"bot_data": chat.app.bot_data, "bot": chat.app.bot})
    assert await reminder_jobs.plan_tick(context) == 1  # type: ignore[arg-type]
    row = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))
    assert row is not None and (row.channel, row.chat_id) == ("zalo", str(LAN_ZALO.user_id))
    await jobs.drain(chat.app.bot_data, chat.app.bot)
    assert [c.text for c in zalo.api.sent(LAN_ZALO.user_id) if "Nhắc việc" in c.text]
    assert not [c for c in chat.api.sent(lan.user_id) if "chưa nộp báo cáo" in c.text]

    # A process that serves Telegram only still reaches her, on Telegram (once).
    chat.app.bot_data.channels = ["telegram"]
    async with chat.app.bot_data.uow() as other:
        targets = await access.chat_targets(other, [lan_id], chat.app.bot_data.channels)
    assert [(t.channel, t.chat_id) for t in targets] == [("telegram", str(lan.user_id))]


async def test_kenh_with_one_channel_points_to_lienket(
    chat: Chat, tree: Tree, lan: ChannelUser, lan_id: int
) -> None:
    answer = await chat.send(lan, "/kenh")
    assert "chỉ dùng bot trên Telegram" in answer and "/lienket" in answer


async def test_strangers_cannot_ask_for_a_link_code_or_choose_a_channel(
    chat: Chat, session: AsyncSession, hung: ChannelUser
) -> None:
    assert "Chỉ người đã đăng ký" in await chat.send(hung, "/lienket")
    assert "Chỉ người đã đăng ký" in await chat.send(hung, "/kenh")
    assert await session.scalar(select(func.count()).select_from(LinkCode)) == 0


async def test_a_wrong_link_code_counts_toward_the_lock_out(
    chat: Chat, zalo: Chat, session: AsyncSession, tree: Tree, lan: ChannelUser, lan_id: int
) -> None:
    code = await link_code(chat, lan)
    wrong = "WXYZ-2345" if code != "WXYZ-2345" else "WXYZ-2346"
    assert "Mã này không đúng" in await zalo.send(LAN_ZALO, f"/start {wrong}")
    assert await session.scalar(select(func.count()).select_from(CodeAttempt)) == 1
    for _ in range(4):
        answer = await zalo.send(LAN_ZALO, f"/start {wrong}")
    assert "nhập sai mã quá nhiều lần" in answer
    # Locked out: even the right code waits.
    assert "nhập sai mã quá nhiều lần" in await zalo.send(LAN_ZALO, f"/start {code}")
    assert len(await accounts_of(session, lan_id)) == 1


async def test_an_expired_link_code_is_refused(
    chat: Chat, zalo: Chat, session: AsyncSession, tree: Tree, lan: ChannelUser, lan_id: int
) -> None:
    code = await link_code(chat, lan)
    await session.execute(update(LinkCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    await session.commit()
    answer = await zalo.send(LAN_ZALO, f"/start {code}")
    assert "đã hết hạn" in answer and "/lienket" in answer
    assert len(await accounts_of(session, lan_id)) == 1
    assert await session.scalar(select(func.count()).select_from(CodeAttempt)) == 0


async def test_a_new_link_code_ends_the_previous_one(
    chat: Chat, zalo: Chat, session: AsyncSession, tree: Tree, lan: ChannelUser, lan_id: int
) -> None:
    first = await link_code(chat, lan)
    second = await link_code(chat, lan)
    assert "đã hết hạn" in await zalo.send(LAN_ZALO, f"/start {first}")
    assert "Nguyễn Thị Lan" in await zalo.send(LAN_ZALO, f"/start {second}")


async def test_a_used_link_code_is_refused(
    chat: Chat, zalo: Chat, session: AsyncSession, tree: Tree, lan: ChannelUser, lan_id: int
) -> None:
    code = await link_code(chat, lan)
    await zalo.send(LAN_ZALO, f"/start {code}")
    await zalo.press(LAN_ZALO, "Xác nhận")
    answer = await zalo.send(STRANGER_ZALO, f"/start {code}")
    assert "đã được sử dụng" in answer
    assert await access.identify(session, "zalo", str(STRANGER_ZALO.user_id)) is None


async def test_a_link_code_used_on_its_own_channel_is_refused(
    chat: Chat,
    session: AsyncSession,
    tree: Tree,
    lan: ChannelUser,
    lan_id: int,
    hung: ChannelUser,
) -> None:
    code = await link_code(chat, lan)
    assert "tạo trên chính ứng dụng này" in await chat.send(lan, f"/start {code}")
    assert "tạo trên chính ứng dụng này" in await chat.send(hung, f"/start {code}")
    assert await access.identify(session, "telegram", str(hung.user_id)) is None
    # Not a wrong code: nothing counted; and the code still works on the other channel.
    assert await session.scalar(select(func.count()).select_from(CodeAttempt)) == 0
    assert (await session.scalar(select(LinkCode.used_at))) is None


async def test_an_account_of_another_person_cannot_be_linked(
    chat: Chat,
    zalo: Chat,
    session: AsyncSession,
    tree: Tree,
    lan: ChannelUser,
    lan_id: int,
) -> None:
    other = await make_person(
        session, STRANGER_ZALO.user_id, "Đỗ Văn Tú", units=(tree.other_union.id,), channel="zalo"
    )
    code = await link_code(chat, lan)
    answer = await zalo.send(STRANGER_ZALO, f"/start {code}")
    assert "đã được đăng ký cho một người khác" in answer
    assert await accounts_of(session, other) == [("zalo", str(STRANGER_ZALO.user_id))]
    assert len(await accounts_of(session, lan_id)) == 1


async def test_a_revoked_person_cannot_link(
    chat: Chat, zalo: Chat, session: AsyncSession, tree: Tree, lan: ChannelUser, lan_id: int
) -> None:
    code = await link_code(chat, lan)
    await zalo.send(LAN_ZALO, f"/start {code}")  # offered, not yet confirmed…
    await access.revoke_person(session, lan_id, actor="test")
    # …then revoked: the confirmation is refused, and so is the code typed again.
    assert "bị thu hồi" in await zalo.press(LAN_ZALO, "Xác nhận")
    assert "bị thu hồi" in await zalo.send(LAN_ZALO, f"/start {code}")
    assert len(await accounts_of(session, lan_id)) == 1
    assert "bị thu hồi" in await chat.send(lan, "/lienket")
    assert "bị thu hồi" in await chat.send(lan, "/kenh")


async def test_linking_a_new_phone_replaces_the_old_account_on_that_channel(
    chat: Chat, zalo: Chat, session: AsyncSession, tree: Tree, lan: ChannelUser, lan_id: int
) -> None:
    await link(chat, zalo, lan, LAN_ZALO)
    new_phone = ChannelUser(7770009, "Lan", "Nguyễn")
    code = await link_code(chat, lan)
    await zalo.send(new_phone, f"/start {code}")
    assert "Đã liên kết" in await zalo.press(new_phone, "Xác nhận")
    assert await accounts_of(session, lan_id) == [
        ("telegram", str(lan.user_id)),
        ("zalo", str(new_phone.user_id)),
    ]
    assert "/start" in await zalo.send(LAN_ZALO, "/kenh")  # the old phone is a stranger now


async def test_concern_notices_reach_an_officer_once_on_the_chosen_channel(
    chat: Chat, zalo: Chat, session: AsyncSession, tree: Tree, lan: ChannelUser, lan_id: int
) -> None:
    from testkit.chat import raise_concern

    await link(chat, zalo, lan, LAN_ZALO)
    await chat.send(lan, "/kenh zalo")
    worker = ChannelUser(4440001, "Công", "Nhân", language_code="vi")
    await raise_concern(chat, worker, "Nhà ăn ca đêm đóng cửa sớm.")
    serve_both(chat, zalo)
    context = SimpleNamespace(bot_data=chat.app.bot_data, bot=chat.app.bot)
    await concern_jobs.announce_new_concerns(context)  # type: ignore[arg-type]
    on_zalo = [c.text for c in zalo.api.sent(LAN_ZALO.user_id) if "đang chờ" in c.text]
    assert len(on_zalo) == 1 and "Công ty TNHH May Hà Phong: 1 mới" in on_zalo[0]
    assert not [c for c in chat.api.sent(lan.user_id) if "đang chờ" in c.text]

    # A process without a Zalo bot of its own hands the notice to the outbox, on Zalo.
    await raise_concern(chat, worker, "Bãi xe không có mái che.")
    chat.app.bot_data.senders = {"telegram": chat.app.bot}
    await concern_jobs.announce_new_concerns(context)  # type: ignore[arg-type]
    row = await session.scalar(
        select(OutboxMessage).where(OutboxMessage.kind == "notice", OutboxMessage.channel == "zalo")
    )
    assert row is not None and row.chat_id == str(LAN_ZALO.user_id) and "/hopthu" in row.text
    assert not [c for c in chat.api.sent(lan.user_id) if "đang chờ" in c.text]
