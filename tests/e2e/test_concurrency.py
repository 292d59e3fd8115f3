"""Chats side by side, each chat in order: through the real Application and its processor.

Officer Lan's Bot API calls hang (a slow or dead connection to Telegram); officer Hùng reports a
whole month meanwhile. Lan's own messages, sent while she waits, are handled in the order she
sent them once her connection answers again.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.app import load_reporting_setup
from bot.update_processor import processor_of
from infra.channel_updates import ChannelUser
from infra.settings import Settings
from models import Report, ReportDraft, UnitKind
from testkit.chat import Chat, plausible
from testkit.org import Tree, make_person, make_tree


class HangingChat:
    """Wraps the in-process Bot API: calls to one chat wait until ``release`` is set."""

    def __init__(self, chat: Chat, chat_id: int) -> None:
        self.release = asyncio.Event()
        self.waiting = 0
        inner = chat.api.do_request
        target = str(chat_id)

        async def do_request(url: str, method: str, request_data: Any = None, **kw: Any) -> Any:
            params = dict(request_data.parameters) if request_data else {}
            if str(params.get("chat_id", "")) == target:
                self.waiting += 1
                await self.release.wait()
            return await inner(url, method, request_data, **kw)

        chat.api.do_request = do_request  # type: ignore[method-assign]


async def submit(chat: Chat, data: dict[str, Any]) -> asyncio.Task[None]:
    update = Update.de_json(data, chat.app.bot)
    return await processor_of(chat.app).submit(chat.app, update)


@pytest.fixture
def union_answers(settings: Settings) -> list[tuple[str, str]]:
    """(indicator code, what the officer types) in question order."""
    union_set = load_reporting_setup(settings).indicators.for_kind(UnitKind.TRADE_UNION)
    assert union_set is not None
    answers = plausible(union_set)
    return [(indicator.code, answers[indicator.code]) for indicator in union_set.indicators]


async def test_one_officer_waiting_on_telegram_holds_nobody_else_back(
    chat: Chat,
    session: AsyncSession,
    lan: ChannelUser,
    hung: ChannelUser,
    union_answers: list[tuple[str, str]],
) -> None:
    tree = await make_tree(session)
    await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))
    await make_person(session, hung.user_id, "Trần Văn Hùng", units=(tree.other_union.id,))
    hanging = HangingChat(chat, lan.user_id)
    try:
        await _lan_waits_while_hung_reports(chat, session, lan, hung, union_answers, hanging, tree)
    finally:
        hanging.release.set()  # whatever failed, the Application can stop


async def _lan_waits_while_hung_reports(
    chat: Chat,
    session: AsyncSession,
    lan: ChannelUser,
    hung: ChannelUser,
    union_answers: list[tuple[str, str]],
    hanging: HangingChat,
    tree: Tree,
) -> None:

    # Lan starts her report and types her first two answers; her first reply never comes back.
    lan_tasks = [await submit(chat, chat.updates.message(lan, "/baocao"))]
    for _, answer in union_answers[:2]:
        lan_tasks.append(await submit(chat, chat.updates.message(lan, answer)))
    for _ in range(100):
        if hanging.waiting:
            break
        await asyncio.sleep(0.01)
    assert hanging.waiting == 1  # Lan's /baocao is stuck in its first call; her answers wait

    # Hùng files a whole report while Lan waits, each step answered as he goes.
    async def hung_says(text: str) -> None:
        task = await submit(chat, chat.updates.message(hung, text))
        await asyncio.wait_for(task, timeout=5)  # would time out if Lan's call held him

    await hung_says("/baocao")
    for _, answer in union_answers:
        await hung_says(answer)
    review = chat.last_with_buttons(hung)
    send = next(b for b in review.buttons if "Gửi báo cáo" in b["text"])
    message_id = int(review.result["message_id"])
    task = await submit(
        chat, chat.updates.callback(hung, send["callback_data"], message_id=message_id)
    )
    await asyncio.wait_for(task, timeout=5)
    assert "BC-" in "\n".join(c.text for c in chat.api.sent(hung.user_id))
    reports = list(await session.scalars(select(Report)))
    assert [r.reporting_unit_id for r in reports] == [tree.other_union.id]
    assert not any(t.done() for t in lan_tasks)  # Lan is still waiting, all three updates

    # Lan's connection answers again: her updates run in the order she sent them, so her
    # draft holds her two answers as the first two items, not one answer twice or swapped.
    hanging.release.set()
    await asyncio.wait_for(asyncio.gather(*lan_tasks), timeout=10)
    session.expire_all()
    draft = await session.scalar(
        select(ReportDraft).where(ReportDraft.reporting_unit_id == tree.union.id)
    )
    assert draft is not None and draft.step == 2
    (first, typed_first), (second, _) = union_answers[:2]
    assert set(draft.answers) == {first, second}
    assert draft.answers[first]["v"] == typed_first.replace(".", "").replace(" ", "")
    asked = [c.text for c in chat.api.sent(lan.user_id) if "Câu " in c.text]
    assert ["Câu 1/" in asked[0], "Câu 2/" in asked[1], "Câu 3/" in asked[2]] == [True] * 3
