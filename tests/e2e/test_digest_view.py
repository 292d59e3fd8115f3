"""/tonghop through the real Application: period, text + chart + Excel, drill-down, permissions."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from infra.channel_updates import ChannelUser
from models import Role
from testkit.chat import Chat
from testkit.org import Tree, make_person, make_tree

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
    assert "Tháng 10/2026" in buttons and "Năm 2026" in buttons and "Quý IV/2026" in buttons
    chat.api.clear()
    await chat.callback(MEMBER, buttons["Tháng 10/2026"])
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
        if b["text"] == "Tháng 10/2026"
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


def _files(chat: Chat) -> dict[str, str]:
    return {
        call.method: name
        for call in chat.api.calls
        if call.chat_id == str(MEMBER.user_id)
        for name, _content in call.files.values()
    }


async def test_drill_down_has_a_way_back_and_files_name_their_scope(
    chat: Chat, session: AsyncSession
) -> None:
    tree = await make_tree(session)
    await committee_of(session, tree.province.id)
    await chat.send(MEMBER, "/tonghop")
    october = next(
        b["callback_data"]
        for b in chat.last_with_buttons(MEMBER).buttons
        if b["text"] == "Tháng 10/2026"
    )
    chat.api.clear()
    await chat.callback(MEMBER, october)
    assert _files(chat)["sendDocument"] == "tong-hop-Tinh-Bac-Giang-2026-10.xlsx"
    # The member's own level: nothing above it to go back to.
    top = {b["text"]: b["callback_data"] for b in chat.last_with_buttons(MEMBER).buttons}
    assert list(top) == ["KCN Quang Châu"]

    chat.api.clear()
    await chat.callback(MEMBER, top["KCN Quang Châu"])
    assert _files(chat)["sendDocument"] == "tong-hop-KCN-Quang-Chau-2026-10.xlsx"
    zone = {b["text"]: b["callback_data"] for b in chat.last_with_buttons(MEMBER).buttons}
    assert set(zone) == {"Công ty TNHH May Hà Phong", "Công ty CP Bao bì Nhật Minh", "◀ Quay lại"}
    assert list(zone)[-1] == "◀ Quay lại"

    # An enterprise: one unit and no target, so no chart; still a way back to the zone.
    chat.api.clear()
    await chat.callback(MEMBER, zone["Công ty TNHH May Hà Phong"])
    assert "sendPhoto" not in _files(chat)
    assert _files(chat)["sendDocument"].startswith("tong-hop-Cong-ty-TNHH-May-Ha-Phong-2026-10")
    back = chat.last_with_buttons(MEMBER)
    assert [b["text"] for b in back.buttons] == ["◀ Quay lại"]
    assert "Quay lại" in back.text

    chat.api.clear()
    await chat.callback(MEMBER, back.buttons[0]["callback_data"])
    texts = "\n".join(c.text for c in chat.api.sent(MEMBER.user_id))
    assert texts.startswith("BÁO CÁO TỔNG HỢP: KCN Quang Châu, tháng 10/2026")
    up = next(
        b["callback_data"]
        for b in chat.last_with_buttons(MEMBER).buttons
        if b["text"] == "◀ Quay lại"
    )
    chat.api.clear()
    await chat.callback(MEMBER, up)
    texts = "\n".join(c.text for c in chat.api.sent(MEMBER.user_id))
    assert texts.startswith("BÁO CÁO TỔNG HỢP: Tỉnh Bắc Giang, tháng 10/2026")


async def test_a_zone_member_gets_no_way_up_to_the_province(
    chat: Chat, session: AsyncSession
) -> None:
    tree = await make_tree(session)
    await committee_of(session, tree.zone.id)
    await chat.send(MEMBER, "/tonghop")
    await chat.press(MEMBER, "Tháng 10/2026")
    buttons = [b["text"] for b in chat.last_with_buttons(MEMBER).buttons]
    assert "◀ Quay lại" not in buttons and buttons
