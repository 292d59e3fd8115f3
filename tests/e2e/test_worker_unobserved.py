"""What the worker is told about the app that carries the message, and what /metrics does not
learn from a worker (issue 13)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import build_application
from bot.channels.local_bot_api import LocalBotApi
from infra.channel_updates import ChannelUser
from infra.metrics import Metrics
from infra.settings import Settings
from models.db import UnitOfWork
from testkit.chat import Chat, Clock, raise_concern
from testkit.org import Tree, make_person, make_tree

WORKER = ChannelUser(4440001, "Công", "Nhân", language_code="vi")


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


@pytest.fixture
async def zalo(settings: Settings, uow: UnitOfWork, clock: Clock) -> AsyncIterator[Chat]:
    api = LocalBotApi(username="test_bot")
    application = build_application(
        settings, uow, channel="zalo", request=api, rate_limit=False, clock=clock
    )
    await application.initialize()
    await application.start()
    try:
        yield Chat(application, api)
    finally:
        await application.stop()
        await application.shutdown()


async def promise_names(chat: Chat, app: str, other: str) -> None:
    promise = await chat.send(WORKER, "/tamtu DN-01")
    assert "KHÔNG biết" in promise
    said = f"Tin nhắn của bạn do chính {app} chuyển đi, nên {app} biết bạn đã nhắn cho bot này"
    assert said in promise, promise
    assert other not in promise


async def test_the_promise_says_that_telegram_itself_carries_the_message(
    chat: Chat, tree: Tree
) -> None:
    await promise_names(chat, "Telegram", "Zalo")


async def test_the_promise_says_that_zalo_itself_carries_the_message(
    zalo: Chat, tree: Tree
) -> None:
    await promise_names(zalo, "Zalo", "Telegram")


async def test_the_promise_in_english_names_the_app(chat: Chat, tree: Tree) -> None:
    worker = ChannelUser(4440002, "Cong", "Nhan", language_code="en")
    await chat.send(worker, "/lang")
    await chat.press(worker, "English")
    promise = await chat.send(worker, "/tamtu DN-01")
    assert "Telegram itself carries your message" in promise, promise


def observed(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the update counters, the latency histogram and the sends."""
    found = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            if sample.name.startswith(("bot_update", "bot_messages_sent")):
                key = (sample.name, tuple(sorted(sample.labels.items())))
                found[key] = sample.value
    return found


async def test_a_concern_leaves_no_trace_in_the_metrics(
    chat: Chat, session: AsyncSession, tree: Tree, lan: ChannelUser
) -> None:
    """The submission's scrypt hash would sit in its own latency bucket at the next scrape."""
    metrics: Metrics = chat.app.bot_data.metrics
    await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))
    await chat.send(lan, "/help")
    before = observed(metrics)
    assert before, "the officer's update was not measured: the test would prove nothing"

    receipt = await raise_concern(chat, WORKER, "Ca đêm không có nước uống.")
    await chat.send(WORKER, f"/kiemtra {receipt}")
    await chat.send(WORKER, receipt)  # a bare receipt, outside the conversation
    assert observed(metrics) == before

    await chat.send(lan, "/help")  # an officer's update is still measured
    assert observed(metrics) != before
