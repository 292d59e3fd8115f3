"""Scheduled report documents through the outbox: the quarter's after its last month's lock
day, the year's on the configured day, to each committee member for their own subtree, once;
nothing when not configured (the default)."""

from __future__ import annotations

import io

from docx import Document
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.documents import sending
from infra.channel_updates import ChannelUser
from models import Role
from scheduler import outbox_sender
from services.periods import DocumentSchedule
from testkit.chat import Chat, Clock
from testkit.org import make_person, make_tree

MEMBER = ChannelUser(6690001, "Tuấn", "Lê")


async def tick(chat: Chat) -> int:
    context = type("Ctx", (), {"bot_data": chat.app.bot_data, "bot": chat.app.bot})
    planned = await sending.plan_tick(context)  # type: ignore[arg-type]
    await outbox_sender.drain(chat.app.bot_data, chat.app.bot)
    return planned


def documents_sent(chat: Chat) -> list[tuple[str, bytes]]:
    return [
        file
        for c in chat.api.calls
        if c.method == "sendDocument" and c.chat_id == str(MEMBER.user_id)
        for file in c.files.values()
    ]


async def test_quarter_after_its_lock_day_and_year_on_its_day_once(
    chat: Chat, session: AsyncSession, clock: Clock
) -> None:
    tree = await make_tree(session)
    await make_person(
        session, MEMBER.user_id, "Lê Minh Tuấn", role=Role.COMMITTEE, node_id=tree.zone.id
    )
    clock.set_local(2027, 1, 11, 9)
    assert await tick(chat) == 0  # not configured: nothing
    data = chat.app.bot_data
    data.reporting.calendar = data.reporting.calendar.model_copy(
        update={"documents": DocumentSchedule(yearly_month=12, yearly_day=20)}
    )

    clock.set_local(2026, 12, 19, 9)
    assert await tick(chat) == 0
    clock.set_local(2026, 12, 20, 9)
    assert await tick(chat) == 1
    assert [name for name, _ in documents_sent(chat)] == ["bao-cao-KCN-Quang-Chau-2026.docx"]

    # December locks on 10 January 2027, a Sunday, moved to Monday the 11th.
    clock.set_local(2027, 1, 10, 9)
    assert await tick(chat) == 0
    clock.set_local(2027, 1, 11, 9)
    assert await tick(chat) == 1
    name, content = documents_sent(chat)[-1]
    assert name == "bao-cao-KCN-Quang-Chau-2026-Q4.docx"
    lines = [p.text for p in Document(io.BytesIO(content)).paragraphs]
    assert "Kết quả thực hiện quý IV/2026" in lines and "KCN Quang Châu" in lines
    clock.set_local(2027, 1, 12, 9)
    assert await tick(chat) == 0  # once
    assert len(documents_sent(chat)) == 2
