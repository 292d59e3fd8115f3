"""The chat driver's ``step`` (testkit/chat.py), which the throughput benchmark and the database
outage fault script drive many users with at once: each update gets back its own answers only —
not another user's, not a message the bot sends meanwhile outside any update (a job's) — and
its times."""

from __future__ import annotations

import asyncio

import pytest

from infra.channel_updates import ChannelUser
from testkit.chat import Chat


async def test_concurrent_steps_keep_their_own_answers(chat: Chat) -> None:
    first, second, third = (ChannelUser(5550001 + i, "Công", language_code="vi") for i in range(3))
    help_text = await chat.send(third, "/help")
    start_text = await chat.send(third, "/start")
    assert help_text and start_text and help_text != start_text
    a, b, _ = await asyncio.gather(
        chat.send_step(first, "/help"),
        chat.send_step(second, "/start"),
        chat.app.bot.send_message(chat_id=first.user_id, text="a job's message"),
    )
    assert (a.chat_id, a.replies) == (str(first.user_id), [help_text])
    assert (b.chat_id, b.replies) == (str(second.user_id), [start_text])
    assert a.escaped is None and a.handed_over <= a.started <= a.done


async def test_pressing_a_button_no_step_showed_is_a_lookup_error(chat: Chat) -> None:
    user = ChannelUser(5550003, "Ba", language_code="vi")
    with pytest.raises(LookupError):
        await chat.press_step(user, "Gửi báo cáo")
