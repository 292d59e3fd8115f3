"""What /metrics does not learn from a worker (issue 13)."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.updates import ChannelUser
from bot.metrics import Metrics
from tests.e2e.conftest import Chat
from tests.e2e.test_concerns import raise_concern
from tests.factories import Tree, make_person, make_tree

WORKER = ChannelUser(4440001, "Công", "Nhân", language_code="vi")


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


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
