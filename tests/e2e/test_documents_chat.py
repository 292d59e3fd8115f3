"""/baocaoquy and /baocaonam through the real Application: a committee member gets the Word
document of their own subtree; officers and strangers are told it is for the committee."""

from __future__ import annotations

import io

from docx import Document
from sqlalchemy.ext.asyncio import AsyncSession

from infra.channel_updates import ChannelUser
from models import Role
from testkit.chat import Chat, Clock
from testkit.org import make_person, make_tree

MEMBER = ChannelUser(6670001, "Tuấn", "Lê")


def sent_document(chat: Chat, user: ChannelUser) -> tuple[str, list[str]]:
    documents = [
        c for c in chat.api.calls if c.method == "sendDocument" and c.chat_id == str(user.user_id)
    ]
    assert len(documents) == 1, [c.method for c in chat.api.calls]
    name, content = documents[0].files["document"]
    return name, [p.text for p in Document(io.BytesIO(content)).paragraphs]


async def test_a_member_gets_the_quarterly_and_yearly_report_of_their_zone(
    chat: Chat, session: AsyncSession, clock: Clock
) -> None:
    tree = await make_tree(session)
    await make_person(
        session, MEMBER.user_id, "Lê Minh Tuấn", role=Role.COMMITTEE, node_id=tree.zone.id
    )
    clock.set_local(2027, 1, 20)
    await chat.send(MEMBER, "/baocaoquy")
    name, lines = sent_document(chat, MEMBER)
    assert name.startswith("bao-cao-") and name.endswith("-2026-Q4.docx")
    assert "Kết quả thực hiện quý IV/2026" in lines
    assert tree.zone.name in lines  # the member's own zone, not the province

    chat.api.clear()
    await chat.send(MEMBER, "/baocaonam")
    name, lines = sent_document(chat, MEMBER)
    assert name.endswith("-2026.docx") and "Kết quả thực hiện năm 2026" in lines

    chat.api.clear()
    said = await chat.send(MEMBER, "/baocaoquy 2026-10")
    assert "quý (2026-Q4)" in said
    assert not [c for c in chat.api.calls if c.method == "sendDocument"]


async def test_officers_and_strangers_are_told_it_is_for_the_committee(
    chat: Chat, session: AsyncSession, lan: ChannelUser
) -> None:
    tree = await make_tree(session)
    await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))
    assert "Ban Chỉ đạo" in await chat.send(lan, "/baocaoquy")
    assert "Ban Chỉ đạo" in await chat.send(ChannelUser(6679999, "Ai", "Đó"), "/baocaonam")
    assert not [c for c in chat.api.calls if c.method == "sendDocument"]
