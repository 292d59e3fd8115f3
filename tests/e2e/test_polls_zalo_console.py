"""A poll on Zalo and in the console (issue 17), where buttons are numbered lists: a worker joins
the poll list on the QR poster's path, receives the poll as a numbered list, answers by typing
the number, changes the answer, leaves with /huykhaosat, and after the close receives the
results (with four more workers, so that the enterprise's figures are shown)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.polls.jobs import run_batch
from infra.settings import Settings
from models import OrgNode, PollAnswer, PollSubscription, Role
from models.db import UnitOfWork
from services import polls
from services.access import identify
from services.polls import PollDraft, Question, Text
from testkit.chat import Clock
from testkit.console import Console, demo_console
from testkit.org import make_person, make_tree
from testkit.zalo_chat import ZaloChat

TODAY = date(2026, 11, 20)  # the e2e clock's day
QUESTION = Question(
    Text("Bữa ăn ca có ngon không?"), (Text("Ngon"), Text("Bình thường"), Text("Không ngon"))
)


def number_of(screen: str, words: str) -> str:
    """The number typed for the last numbered option that contains these words."""
    found = [
        m.group(1)
        for line in screen.splitlines()
        if words in line and (m := re.match(r"\s*(\d+)\.\s", line))
    ]
    assert found, f"no numbered option with {words!r} in:\n{screen}"
    return found[-1]


async def new_poll(session: AsyncSession, node_id: int, admin_external: int) -> int:
    admin = await identify(session, "telegram", str(admin_external))
    assert admin is not None
    return await polls.create_poll(
        session,
        admin,
        PollDraft((QUESTION,), node_id, TODAY, TODAY + timedelta(days=3)),
        today=TODAY,
    )


# --- Zalo --------------------------------------------------------------------------------


async def test_a_poll_on_zalo_by_typed_numbers(
    zalo: ZaloChat, session: AsyncSession, clock: Clock
) -> None:
    tree = await make_tree(session)
    await make_person(session, 1_000_001, "Văn phòng", role=Role.ADMIN, node_id=tree.province.id)
    poll_id = await new_poll(session, tree.province.id, 1_000_001)
    workers = [f"zalo-poll-worker-{n}" for n in range(5)]

    async def join(user: str) -> None:
        screen = await zalo.send(user, "/start c_DN-01", name="Công nhân")
        promise = await zalo.send(user, number_of(screen, "Nhận khảo sát"))
        assert "KHÔNG được lưu" in promise and "/huykhaosat" in promise
        joined = await zalo.send(user, number_of(promise, "Nhận khảo sát"))
        assert "Bạn sẽ nhận" in joined

    for user in workers:
        await join(user)
    before = {user: len(zalo.api.messages(user)) for user in workers}
    await run_batch(zalo.app.bot_data)
    for user in workers:
        (shown,) = zalo.api.messages(user)[before[user] :]
        assert "Bữa ăn ca có ngon không?" in shown
        assert re.search(r"1\. Ngon", shown) and re.search(r"3\. Không ngon", shown)
    worker = workers[0]
    poll = zalo.api.messages(worker)[-1]
    answered = await zalo.send(worker, number_of(poll, "Không ngon"))
    assert "đã được ghi nhận" in answered and "✅ Không ngon" in answered
    changed = await zalo.send(worker, number_of(answered, "Ngon"))
    assert "✅ Ngon" in changed and "✅ Không ngon" not in changed
    for user in workers[1:]:
        await zalo.send(user, number_of(zalo.api.messages(user)[-1], "Không ngon"))
    assert await session.scalar(select(func.count()).select_from(PollAnswer)) == 5
    left = await zalo.send(worker, "/huykhaosat")
    assert "không nhận khảo sát" in left
    assert await session.scalar(select(func.count()).select_from(PollSubscription)) == 4

    clock.set_local(2026, 11, 24)  # closed at the end of the 23rd
    before = {user: len(zalo.api.messages(user)) for user in workers}
    await run_batch(zalo.app.bot_data)
    await run_batch(zalo.app.bot_data)  # nothing twice
    for user in workers:
        (results,) = zalo.api.messages(user)[before[user] :]
        assert "Kết quả khảo sát" in results and "5 người trả lời" in results
        assert "Ngon: <5" in results  # one "Ngon", four "Không ngon": both hidden
    assert poll_id


# --- the console -------------------------------------------------------------------------


@pytest.fixture
async def console(
    settings: Settings, uow: UnitOfWork, session: AsyncSession, clock: Clock
) -> AsyncIterator[Console]:
    async with demo_console(settings, uow, session, clock) as running:
        yield running


async def test_a_poll_in_the_console_by_typed_numbers(
    console: Console,
    session: AsyncSession,
    clock: Clock,
) -> None:
    seed, say = console.seed, console.say

    code = seed.officer_enterprise
    enterprise = await session.scalar(select(OrgNode.id).where(OrgNode.code == code))
    assert enterprise is not None
    await make_person(session, 1_000_001, "Văn phòng", role=Role.ADMIN, node_id=enterprise)
    await new_poll(session, enterprise, 1_000_001)

    async def join() -> str:
        screen = await say(f"/start c_{code}")
        promise = await say(number_of(screen, "Nhận khảo sát"))
        assert "KHÔNG được lưu" in promise
        assert "Bạn sẽ nhận" in await say(number_of(promise, "Nhận khảo sát"))
        poll = await say("#polls")
        assert "Bữa ăn ca có ngon không?" in poll and "3. Không ngon" in poll
        return poll

    # Four workers answer "Không ngon" ("/as new": somebody else each time).
    for _ in range(4):
        await say("/as new")
        poll = await join()
        assert "đã được ghi nhận" in await say(number_of(poll, "Không ngon"))
    await say("/as worker")
    poll = await join()
    answered = await say(number_of(poll, "Không ngon"))
    assert "✅ Không ngon" in answered
    changed = await say(number_of(answered, "Bình thường"))
    assert "✅ Bình thường" in changed and "✅ Không ngon" not in changed
    assert "không nhận khảo sát" in await say("/huykhaosat")
    assert "Bữa ăn ca" not in await say("#polls")  # nothing new before the close

    clock.set_local(2026, 11, 24)
    results = await say("#polls")
    assert results.count("Kết quả khảo sát") == 5 and "5 người trả lời" in results
    assert "Bình thường: <5" in results
    assert "Kết quả khảo sát" not in await say("#polls")  # each once
