"""Scheduled committee digests through the outbox: when, to whom, what, and only once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.reports import reminders as reminder_jobs
from infra.channel_updates import ChannelUser
from models import Role
from scheduler import outbox_sender as jobs
from testkit.chat import Chat, Clock
from testkit.org import make_person, make_tree

MEMBER = ChannelUser(6660001, "Tuấn", "Lê")


async def tick(chat: Chat) -> int:
    context = type("Ctx", (), {"bot_data": chat.app.bot_data, "bot": chat.app.bot})
    planned = await reminder_jobs.plan_tick(context)  # type: ignore[arg-type]
    await jobs.drain(chat.app.bot_data, chat.app.bot)
    return planned


def digests_sent(chat: Chat) -> list[str]:
    return [
        c.method
        for c in chat.api.calls
        if c.chat_id == str(MEMBER.user_id) and c.method in {"sendPhoto", "sendDocument"}
    ]


async def test_the_monthly_digest_arrives_the_day_after_the_due_day_once(
    chat: Chat, session: AsyncSession, clock: Clock
) -> None:
    tree = await make_tree(session)
    await make_person(
        session, MEMBER.user_id, "Lê Minh Tuấn", role=Role.COMMITTEE, node_id=tree.province.id
    )
    # October 2026 is due on Sunday the 25th, moved to Monday the 26th: the digest on the 27th.
    clock.set_local(2026, 10, 26, 9)
    await tick(chat)
    assert digests_sent(chat) == []
    clock.set_local(2026, 10, 27, 8)
    await tick(chat)
    assert digests_sent(chat) == ["sendPhoto", "sendDocument"]
    texts = [c.text for c in chat.api.sent(MEMBER.user_id)]
    assert any("tháng 10/2026" in t and "Tỉnh Bắc Giang" in t for t in texts)
    files = [
        name
        for c in chat.api.calls
        if c.method == "sendDocument" and c.chat_id == str(MEMBER.user_id)
        for name, _content in c.files.values()
    ]
    assert files == ["tong-hop-Tinh-Bac-Giang-2026-10.xlsx"]
    clock.set_local(2026, 10, 27, 15)
    assert await tick(chat) == 0  # a restart or a later tick sends nothing again
    assert digests_sent(chat) == ["sendPhoto", "sendDocument"]


async def test_quarter_and_year_digests(chat: Chat, session: AsyncSession, clock: Clock) -> None:
    tree = await make_tree(session)
    await make_person(
        session, MEMBER.user_id, "Lê Minh Tuấn", role=Role.COMMITTEE, node_id=tree.zone.id
    )
    clock.set_local(2026, 12, 20, 8)
    await tick(chat)  # the year's digest before 31 December
    assert digests_sent(chat).count("sendDocument") == 1
    texts = "\n".join(c.text for c in chat.api.sent(MEMBER.user_id))
    assert "năm 2026" in texts and "KCN Quang Châu" in texts
    chat.api.clear()
    # December is due on Friday 25 December: the month's and the quarter's digests on the 26th.
    clock.set_local(2026, 12, 26, 8)
    await tick(chat)
    assert digests_sent(chat).count("sendDocument") == 2
    texts = "\n".join(c.text for c in chat.api.sent(MEMBER.user_id))
    assert "tháng 12/2026" in texts and "quý IV/2026" in texts
