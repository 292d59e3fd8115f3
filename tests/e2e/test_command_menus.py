"""The "/" command menu of a Telegram chat follows the person's roles (issue 16): set with
setMyCommands in the chat's scope after registration, a revocation, /lang or a linked account,
deleted (back to the default) when no role is left; sent through the outbox, a refusal by
Telegram logged and dropped. The stand-in replays the calls as Telegram picks a menu."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.channel_updates import ChannelUser
from models import ChannelAccount, OutboxMessage, ReportingUnit, Role, UnitKind, utcnow
from scheduler import outbox_sender
from services import access, command_menus
from services.invites import create_invite
from services.periods import ReviewRule
from testkit.chat import Chat, Clock
from testkit.env import TEST_SECRET
from testkit.org import Tree, make_person, make_tree
from testkit.review_world import zone_unions

SECRET = TEST_SECRET.encode()
DEFAULT = ["start", "tamtu", "kiemtra", "khaosat", "huykhaosat", "help", "lang", "cancel"]
OFFICE = {"moi", "mokhoa", "chuabaocao", "quantri"}
OFFICER = {"baocao", "trangthai", "hopthu", "lienket", "kenh"}


async def register(
    chat: Chat, session: AsyncSession, user: ChannelUser, role: Role, **scope: Any
) -> None:
    created = await create_invite(session, SECRET, role=role, actor="test", valid_days=7, **scope)
    await chat.send(user, f"/start {created.code}")
    assert "Đăng ký thành công" in await chat.press(user, "Xác nhận")


async def drain(chat: Chat) -> outbox_sender.Drained:
    return await outbox_sender.drain(chat.app.bot_data, chat.app.bot)


def menu_calls(chat: Chat, user: ChannelUser) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for call in chat.api.calls:
        if call.method in {"setMyCommands", "deleteMyCommands"}:
            scope = call.params.get("scope") or {}
            scope = json.loads(scope) if isinstance(scope, str) else scope
            if str(scope.get("chat_id")) == str(user.user_id):
                assert scope["type"] == "chat"
                found.append((call.method, call.params))
    return found


@pytest.fixture(autouse=True)
def real_time(clock: Clock) -> None:
    """Role changes are stamped with the real time (services); the drain runs on the clock."""
    clock.now = utcnow() + timedelta(minutes=1)


def help_commands(text: str) -> set[str]:
    return {line.split(" — ")[0].lstrip("/") for line in text.splitlines() if " — " in line}


async def test_an_officer_gets_the_officer_menu_and_help_says_the_same(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    assert chat.api.menu(lan.user_id) == DEFAULT  # before: the bot's default menu
    tree = await make_tree(session)
    await register(chat, session, lan, Role.OFFICER, unit_code=tree.union.code)
    assert not menu_calls(chat, lan)  # not in the conversation: through the outbox
    result = await drain(chat)
    assert result.sent == 1
    ((method, params),) = menu_calls(chat, lan)
    assert method == "setMyCommands" and "language_code" not in params
    shown = chat.api.menu(lan.user_id)
    assert OFFICER <= set(shown) and not OFFICE & set(shown)
    assert "tonghop" not in shown and "duyet" not in shown
    # /help lists exactly the menu, described the same way.
    assert help_commands(await chat.send(lan, "/help")) == set(shown)
    descriptions = {c["command"]: c["description"] for c in params["commands"]}
    assert descriptions["baocao"] == "Báo cáo số liệu tháng của đơn vị"


async def test_an_admin_gets_the_office_commands_and_revoked_goes_back_to_default(
    chat: Chat, session: AsyncSession, hung: ChannelUser
) -> None:
    await make_tree(session)
    await register(chat, session, hung, Role.ADMIN)
    await drain(chat)
    shown = chat.api.menu(hung.user_id)
    assert OFFICE | {"tonghop", "baocaoquy"} <= set(shown)
    assert "baocao" not in shown

    account = await session.scalar(
        select(ChannelAccount).where(ChannelAccount.external_id == str(hung.user_id))
    )
    assert account is not None
    # Revoked from the console or the CLI: the same service plans the refresh.
    await access.revoke_person(session, account.person_id, actor="test")
    await drain(chat)
    assert menu_calls(chat, hung)[-1][0] == "deleteMyCommands"
    assert chat.api.menu(hung.user_id) == DEFAULT
    assert chat.api.menu(hung.user_id, "en") == DEFAULT


async def test_lang_resets_the_menu_in_english(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    tree = await make_tree(session)
    await register(chat, session, lan, Role.OFFICER, unit_code=tree.union.code)
    await drain(chat)
    await chat.send(lan, "/lang")
    await chat.press(lan, "English")
    await drain(chat)
    _, params = menu_calls(chat, lan)[-1]
    descriptions = {c["command"]: c["description"] for c in params["commands"]}
    assert descriptions["baocao"] == "Report your unit's monthly figures"


async def test_zone_officers_and_reviewers(chat: Chat, session: AsyncSession) -> None:
    data = chat.app.bot_data
    data.reporting.calendar = data.reporting.calendar.model_copy(
        update={"review": {UnitKind.TRADE_UNION: ReviewRule(level="zone", by=UnitKind.ZONE_UNION)}}
    )
    tree: Tree = await make_tree(session)
    ours, _ = await zone_unions(session, tree)
    zone = ChannelUser(6690001, "Minh", "Đỗ")
    member = ChannelUser(6690002, "Hoa", "Vũ")
    zone_code = await session.scalar(select(ReportingUnit.code).where(ReportingUnit.id == ours))
    await register(chat, session, zone, Role.OFFICER, unit_code=zone_code)
    await register(chat, session, member, Role.COMMITTEE, node_code=tree.zone.code)
    await drain(chat)
    zone_menu = set(chat.api.menu(zone.user_id))
    # A zone union's officer invites and sees the missing units of their zone, and reviews.
    assert {"moi", "chuabaocao", "duyet", "baocao"} <= zone_menu
    assert not {"mokhoa", "quantri"} & zone_menu
    # A committee member who does not review (the rule names the zone union) has no /duyet.
    member_menu = set(chat.api.menu(member.user_id))
    assert "tonghop" in member_menu and "duyet" not in member_menu and not OFFICE & member_menu


async def test_a_refused_menu_is_logged_and_dropped(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    tree = await make_tree(session)
    await register(chat, session, lan, Role.OFFICER, unit_code=tree.union.code)
    chat.api.failures[str(lan.user_id)] = [(400, "Bad Request: chat not found", {})]
    result = await drain(chat)
    assert result.sent == 1 and result.failed == 0 and result.unreachable == 0
    account = await session.scalar(
        select(ChannelAccount).where(ChannelAccount.external_id == str(lan.user_id))
    )
    assert account is not None and account.reachable  # a menu never marks anyone unreachable
    # The conversation goes on.
    assert "Báo cáo" in await chat.send(lan, "/help")


async def test_no_menu_for_other_channels(session: AsyncSession) -> None:
    """Zalo (and the console) have no "/" menu: nothing is planned for their accounts."""
    tree = await make_tree(session)
    person = await make_person(session, 990001, "Lê Tú", units=(tree.union.id,))
    account = await session.scalar(select(ChannelAccount).where(ChannelAccount.person_id == person))
    assert account is not None
    account.channel = "zalo"
    await session.commit()
    assert await command_menus.refresh(session, person) == 0
    rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "menu"))
    assert list(rows) == []
