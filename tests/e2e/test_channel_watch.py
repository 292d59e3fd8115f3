"""A channel that hears nothing for four working hours is reported to the admins (once a day)
and on /metrics; any inbound update clears it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.common import silence_watch as channel_watch
from infra.channel_updates import ChannelUser
from models import OutboxMessage, Role
from scheduler import outbox_sender as reminders
from testkit.chat import Chat, Clock
from testkit.org import make_person

ADMIN = ChannelUser(5550010, "Hà", "Phạm")


def _context(chat: Chat) -> object:
    return type("Ctx", (), {"bot_data": chat.app.bot_data, "bot": chat.app.bot})


def _silent(chat: Chat) -> float:
    return chat.app.bot_data.metrics.channel_silent.labels("telegram")._value.get()


async def test_four_silent_working_hours_tell_the_admins_once(
    chat: Chat, clock: Clock, session: AsyncSession
) -> None:
    await make_person(session, ADMIN.user_id, "Phạm Hà", role=Role.ADMIN)
    clock.set_local(2026, 12, 2, 20)  # Wednesday evening: the last message of the day
    await chat.send(ADMIN, "/help")

    for hour in (22, 3):  # the night is not working time
        clock.set_local(2026, 12, 2 if hour == 22 else 3, hour)
        await channel_watch.watch_inbound(_context(chat))  # type: ignore[arg-type]
        assert _silent(chat) == 0
    clock.set_local(2026, 12, 3, 10)  # three working hours since 07:00
    await channel_watch.watch_inbound(_context(chat))  # type: ignore[arg-type]
    assert _silent(chat) == 0

    clock.set_local(2026, 12, 3, 11)
    clock.now += timedelta(minutes=5)
    for _ in range(3):  # the job runs every five minutes: one message a day all the same
        await channel_watch.watch_inbound(_context(chat))  # type: ignore[arg-type]
    assert _silent(chat) == 1
    queued = list(await session.scalars(select(OutboxMessage)))
    assert len(queued) == 1 and queued[0].kind == "admin"
    await reminders.drain(chat.app.bot_data, chat.app.bot)
    told = [c.text for c in chat.api.sent(ADMIN.user_id)][-1]
    assert "không nhận được tin nhắn nào qua Telegram trong 4 giờ làm việc" in told
    assert "long polling" in told

    await chat.send(ADMIN, "/help")  # anything inbound: the channel works
    await channel_watch.watch_inbound(_context(chat))  # type: ignore[arg-type]
    assert _silent(chat) == 0


async def test_the_watch_is_off_at_zero(chat: Chat, clock: Clock, session: AsyncSession) -> None:
    await make_person(session, ADMIN.user_id, "Phạm Hà", role=Role.ADMIN)
    chat.app.bot_data.settings.inbound_silence_minutes = 0
    clock.set_local(2026, 12, 3, 18)
    chat.app.bot_data.last_inbound["telegram"] = clock.now - timedelta(days=3)
    await channel_watch.watch_inbound(_context(chat))  # type: ignore[arg-type]
    assert await session.scalar(select(OutboxMessage)) is None
