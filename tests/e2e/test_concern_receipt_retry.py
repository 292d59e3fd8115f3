"""The receipt of a stored concern survives a Bot API failure at the moment it is shown.

faults/bot_api_storm.py found that a 5xx (or a timeout) on the confirmation left a stored case
whose receipt nobody saw — only its hash is kept — and a worker who sent the concern again.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.concerns import conversation as concern_conversation
from infra.channel_updates import ChannelUser
from models import Concern
from testkit.chat import Chat
from testkit.org import Tree, make_tree

RECEIPT = re.compile(r"\d{4} \d{4} \d{4}")


@pytest.fixture
def worker() -> ChannelUser:
    return ChannelUser(4440002, "Công", "Nhân", language_code="vi")


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(concern_conversation, "RECEIPT_RETRY_DELAYS", (0.01, 0.01, 0.01))


async def _until_shown(chat: Chat, worker: ChannelUser) -> list[str]:
    for _ in range(200):
        shown = [c.text for c in chat.api.sent(worker.user_id) if "Mã vụ việc" in c.text]
        if shown:
            return shown
        await asyncio.sleep(0.01)
    return []


async def _to_preview(chat: Chat, worker: ChannelUser) -> None:
    await chat.send(worker, "/start c_DN-01")
    await chat.press(worker, "Tiếp tục")
    await chat.press(worker, "Tiền lương")
    preview = await chat.send(worker, "Nhà ăn ca đêm thiếu suất.")
    assert "Vui lòng kiểm tra trước khi gửi" in preview


@pytest.mark.parametrize(
    "failures",
    [
        [(502, "Bad Gateway", {})],
        [(500, "Internal Server Error", {}), (502, "Bad Gateway", {})],
        [(429, "Too Many Requests: retry after 1", {"retry_after": 0})],
    ],
    ids=["502", "500-then-502", "429"],
)
async def test_the_receipt_is_shown_after_a_failed_send(
    chat: Chat,
    session: AsyncSession,
    tree: Tree,
    worker: ChannelUser,
    failures: list[tuple[int, str, dict[str, object]]],
) -> None:
    await _to_preview(chat, worker)
    chat.api.failures[str(worker.user_id)] = list(failures)
    await chat.press(worker, "✅ Gửi")
    shown = await _until_shown(chat, worker)
    assert len(shown) == 1 and RECEIPT.search(shown[0]), shown
    assert await session.scalar(select(func.count()).select_from(Concern)) == 1


async def test_a_preview_that_cannot_be_edited_gets_a_new_message(
    chat: Chat, session: AsyncSession, tree: Tree, worker: ChannelUser
) -> None:
    await _to_preview(chat, worker)
    chat.api.failures[str(worker.user_id)] = [(400, "Bad Request: message to edit not found", {})]
    await chat.press(worker, "✅ Gửi")
    shown = await _until_shown(chat, worker)
    assert len(shown) == 1 and RECEIPT.search(shown[0]), shown
    sent = [c for c in chat.api.sent(worker.user_id) if "Mã vụ việc" in c.text]
    assert sent[0].method == "sendMessage"
