"""/tonghop through the real Application: period, text + chart + Excel, drill-down, permissions."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.updates import ChannelUser
from models import Role
from tests.e2e.conftest import Chat
from tests.factories import Tree, make_person, make_tree

MEMBER = ChannelUser(6660001, "Tuấn", "Lê")


async def committee_of(session: AsyncSession, node_id: int) -> int:
    return await make_person(
        session, MEMBER.user_id, "Lê Minh Tuấn", role=Role.COMMITTEE, node_id=node_id
    )


async def test_a_member_gets_text_chart_and_excel_then_drills_down(
    chat: Chat, session: AsyncSession
) -> None:
    tree: Tree = await make_tree(session)
    await committee_of(session, tree.province.id)
    menu = await chat.send(MEMBER, "/tonghop")
    assert "Tổng hợp kỳ nào?" in menu
    buttons = {b["text"]: b["callback_data"] for b in chat.last_with_buttons(MEMBER).buttons}
    assert "tháng 10/2026" in buttons and "năm 2026" in buttons
    chat.api.clear()
    await chat.callback(MEMBER, buttons["tháng 10/2026"])
    methods = [c.method for c in chat.api.calls if c.chat_id == str(MEMBER.user_id)]
    assert "sendPhoto" in methods and "sendDocument" in methods
    texts = "\n".join(c.text for c in chat.api.sent(MEMBER.user_id))
    assert "Tỉnh Bắc Giang" in texts
    drill = {b["text"]: b["callback_data"] for b in chat.last_with_buttons(MEMBER).buttons}
    assert "KCN Quang Châu" in drill
    chat.api.clear()
    await chat.callback(MEMBER, drill["KCN Quang Châu"])
    assert "KCN Quang Châu" in "\n".join(c.text for c in chat.api.sent(MEMBER.user_id))


async def test_a_member_cannot_open_another_subtree(chat: Chat, session: AsyncSession) -> None:
    tree = await make_tree(session)
    await committee_of(session, tree.zone.id)
    await chat.send(MEMBER, "/tonghop")
    crafted = f"dg:v1:p:{tree.province.id}:2026-10"  # above the member's zone
    said = await chat.callback(MEMBER, crafted)
    assert "không được xem" in said
    assert not [c for c in chat.api.calls if c.method == "sendDocument"]


async def test_officers_and_strangers_are_told_it_is_for_the_committee(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    tree = await make_tree(session)
    await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))
    assert "Ban Chỉ đạo" in await chat.send(lan, "/tonghop")
    assert "Ban Chỉ đạo" in await chat.send(ChannelUser(6669999, "Ai", "Đó"), "/tonghop")


async def test_each_button_is_answered_once_and_a_bad_node_is_an_expired_button(
    chat: Chat, session: AsyncSession
) -> None:
    """Found by faults/fuzz.py: the drill-down menu answered the press a second time (Telegram
    refuses that), and a node id too long for the database failed instead of expiring."""
    tree = await make_tree(session)
    await committee_of(session, tree.zone.id)
    await chat.send(MEMBER, "/tonghop")
    october = next(
        b["callback_data"]
        for b in chat.last_with_buttons(MEMBER).buttons
        if b["text"] == "tháng 10/2026"
    )
    for data in (
        october,
        f"dg:v1:p:{tree.province.id}:2026-10",  # not the member's
        "dg:v1:p:99999999999999999999:2026-10",
    ):
        chat.api.clear()
        said = await chat.callback(MEMBER, data)
        assert len([c for c in chat.api.calls if c.method == "answerCallbackQuery"]) == 1, data
        assert "sự cố" not in said
    assert "hết hiệu lực" in said
