"""Anonymous polls (issue 17), the service side: who may set a poll, poll lists holding sealed
addresses only, one changeable answer per worker, suppressed results, exactly-once sending, and
what a dump of every table shows."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Base,
    Poll,
    PollAnswer,
    PollBallot,
    PollDelivery,
    PollSubscription,
    ReportingUnit,
    Role,
    UnitKind,
)
from models.db import UnitOfWork
from services import polls
from services.access import identify
from services.polls import PollDraft, Question, Text
from testkit.concern_world import KEYS
from testkit.org import Tree, make_person, make_tree

TODAY = date(2026, 11, 20)
CLOSES = TODAY + timedelta(days=6)


@dataclass(frozen=True)
class World:
    tree: Tree
    admin: int
    zone_officer: int
    union_officer: int


async def make_world(session: AsyncSession) -> World:
    tree = await make_tree(session)
    zone_union = ReportingUnit(
        code="CD-KCN", kind=UnitKind.ZONE_UNION, name="CĐ KCN", org_node_id=tree.zone.id
    )
    session.add(zone_union)
    await session.commit()
    return World(
        tree,
        admin=await make_person(session, 10, "Admin", role=Role.ADMIN, node_id=tree.province.id),
        zone_officer=await make_person(session, 11, "Hoa", units=(zone_union.id,)),
        union_officer=await make_person(session, 12, "Lan", units=(tree.union.id,)),
    )


def draft(node_id: int, *, questions: int = 1, before_close: bool = False) -> PollDraft:
    return PollDraft(
        tuple(
            Question(
                Text(f"Câu hỏi {q + 1}: bạn có hài lòng với bữa ăn ca?", "Meals?"),
                (Text("Có"), Text("Không"), Text("Không ý kiến")),
            )
            for q in range(questions)
        ),
        node_id,
        TODAY,
        CLOSES,
        before_close,
    )


async def viewer(session: AsyncSession, external_id: int):  # type: ignore[no-untyped-def]
    found = await identify(session, "telegram", str(external_id))
    assert found is not None
    return found


async def new_poll(session: AsyncSession, world: World, **kw: object) -> int:
    return await polls.create_poll(
        session,
        await viewer(session, 10),
        draft(world.tree.province.id, **kw),  # type: ignore[arg-type]
        today=TODAY,
    )


def chat(n: int) -> str:
    return f"telegram:{5_000_000 + n}"


async def join(session: AsyncSession, enterprise_id: int, n: int) -> str:
    assert await polls.subscribe(session, KEYS, enterprise_id, chat(n))
    due = [d for d in await polls.take_deliveries(session, KEYS, TODAY) if d.target == chat(n)]
    assert due and len({d.subscription_id for d in due}) == 1
    return due[0].subscription_id


async def vote(
    session: AsyncSession, poll_id: int, n: int, subscription: str, option: int, question: int = 0
) -> polls.Choice:
    return await polls.answer(
        session,
        KEYS,
        poll_id=poll_id,
        channel="telegram",
        account=str(5_000_000 + n),
        chat=chat(n),
        subscription_id=subscription,
        question=question,
        option=option,
        today=TODAY,
    )


async def test_who_may_set_a_poll(session: AsyncSession) -> None:
    world = await make_world(session)
    assert await new_poll(session, world) > 0
    zone = await viewer(session, 11)
    assert await polls.create_poll(session, zone, draft(world.tree.zone.id), today=TODAY) > 0
    with pytest.raises(polls.NotAllowedToPoll):  # above their zone
        await polls.create_poll(session, zone, draft(world.tree.province.id), today=TODAY)
    with pytest.raises(polls.NotAllowedToPoll):  # an enterprise's union officer
        await polls.create_poll(
            session, await viewer(session, 12), draft(world.tree.enterprise.id), today=TODAY
        )
    admin = await viewer(session, 10)
    with pytest.raises(polls.BadPoll):
        await polls.create_poll(session, admin, draft(world.tree.zone.id, questions=6), today=TODAY)
    bad = draft(world.tree.zone.id)
    with pytest.raises(polls.BadDates):
        await polls.create_poll(
            session,
            admin,
            PollDraft(bad.questions, bad.audience_node_id, TODAY, TODAY - timedelta(1)),
            today=TODAY,
        )


async def test_poll_lists_hold_sealed_addresses_and_deliver_once(session: AsyncSession) -> None:
    world = await make_world(session)
    poll_id = await new_poll(session, world)
    enterprise = world.tree.enterprise.id
    assert await polls.subscribe(session, KEYS, enterprise, chat(1))
    assert not await polls.subscribe(session, KEYS, enterprise, chat(1))  # once per list
    assert await polls.subscribe(session, KEYS, world.tree.small_enterprise.id, chat(2))
    due = await polls.take_deliveries(session, KEYS, TODAY)
    assert sorted(d.target for d in due) == [chat(1), chat(2)]
    assert {d.poll_id for d in due} == {poll_id}
    assert await polls.take_deliveries(session, KEYS, TODAY) == []  # claimed: never twice
    first = next(d for d in due if d.target == chat(1))
    await polls.delivery_failed(session, poll_id, first.subscription_id)
    (again,) = await polls.take_deliveries(session, KEYS, TODAY)
    assert again.target == chat(1)
    # Another chat cannot end this subscription with its id; the chat itself can.
    assert await polls.unsubscribe(session, KEYS, chat(2), first.subscription_id) == 0
    assert await polls.unsubscribe(session, KEYS, chat(1), first.subscription_id) == 1
    assert await polls.unsubscribe(session, KEYS, chat(2)) == 1  # /huykhaosat: every list
    assert await session.scalar(select(func.count()).select_from(PollSubscription)) == 0
    assert await session.scalar(select(func.count()).select_from(PollDelivery)) == 0


async def test_one_answer_per_worker_changeable_until_close(session: AsyncSession) -> None:
    world = await make_world(session)
    poll_id = await new_poll(session, world)
    subscription = await join(session, world.tree.enterprise.id, 1)
    await vote(session, poll_id, 1, subscription, 0)
    await vote(session, poll_id, 1, subscription, 0)  # the same again: nothing changes
    choice = await vote(session, poll_id, 1, subscription, 2)  # changed
    assert choice.options == (2,)
    rows = (await session.execute(select(PollAnswer.option))).scalars().all()
    assert rows == [2]  # one answer, the latest
    assert await session.scalar(select(func.count()).select_from(PollBallot)) == 1
    with pytest.raises(polls.NotSubscribed):  # another chat cannot use this poll list
        await polls.answer(
            session,
            KEYS,
            poll_id=poll_id,
            channel="telegram",
            account="1",
            chat=chat(9),
            subscription_id=subscription,
            question=0,
            option=1,
            today=TODAY,
        )
    with pytest.raises(polls.PollNotOpen):
        await polls.answer(
            session,
            KEYS,
            poll_id=poll_id,
            channel="telegram",
            account=str(5_000_001),
            chat=chat(1),
            subscription_id=subscription,
            question=0,
            option=1,
            today=CLOSES + timedelta(days=1),
        )


async def test_two_first_answers_at_once_keep_one_ballot(
    session: AsyncSession, uow: UnitOfWork
) -> None:
    """Two first answers of one account at the same instant (the bot handles a chat in order,
    but the service must not rely on it): both read "no ballot yet" and insert one; the loser
    used to fail with a duplicate key. Now it answers again on the ballot the other made."""
    world = await make_world(session)
    poll_id = await new_poll(session, world, questions=2)
    subscription = await join(session, world.tree.enterprise.id, 1)
    first_read = asyncio.Event()
    both_read = asyncio.Barrier(2)
    real_get = AsyncSession.get

    async def get_then_wait(self: AsyncSession, entity: Any, ident: Any, **kw: Any) -> Any:
        found = await real_get(self, entity, ident, **kw)
        if entity is PollBallot and not first_read.is_set():
            await both_read.wait()  # both sessions have read "no ballot" before either writes
            first_read.set()
        return found

    async def answer_in_own_session(question: int) -> polls.Choice:
        async with uow() as own:
            return await vote(own, poll_id, 1, subscription, 1, question=question)

    with patch.object(AsyncSession, "get", get_then_wait):
        one, other = await asyncio.wait_for(
            asyncio.gather(answer_in_own_session(0), answer_in_own_session(1)), 30
        )
    assert {one.options, other.options} <= {(1, None), (None, 1), (1, 1)}
    final = await vote(session, poll_id, 1, subscription, 1, question=0)
    assert final.options == (1, 1)  # both answers kept, on one ballot
    session.expire_all()
    assert await session.scalar(select(func.count()).select_from(PollBallot)) == 1
    assert await session.scalar(select(func.count()).select_from(PollAnswer)) == 2


async def test_results_hide_small_numbers(session: AsyncSession) -> None:
    world = await make_world(session)
    poll_id = await new_poll(session, world)
    big, small = world.tree.enterprise.id, world.tree.small_enterprise.id
    # Big enterprise: 7 answers, 6 × "Có" and 1 × "Không"; small: 3 answers.
    for n in range(7):
        await vote(session, poll_id, n, await join(session, big, n), 0 if n < 6 else 1)
    for n in range(10, 13):
        await vote(session, poll_id, n, await join(session, small, n), 1)
    assert await polls.poll_results(session, poll_id, TODAY) is None  # nothing before close
    results = await polls.poll_results(session, poll_id, CLOSES + timedelta(days=1))
    assert results is not None and results.final
    by_id = {e.enterprise_id: e for e in results.enterprises}
    assert by_id[small].too_few and by_id[small].questions == ()
    cells = by_id[big].questions[0]
    assert by_id[big].respondents == 7
    # "Không" (1) is <5; as the only hidden option it would be 7 - 6, so "Có" is hidden too.
    assert cells[1].count is None and cells[1].below_five
    assert cells[0].count is None and not cells[0].below_five
    assert cells[2].count == 0
    area = results.area
    assert area.respondents == 7 and area.enterprises_too_few == 1
    assert not area.questions[0][0].total.exact and area.questions[0][0].share is None


async def test_results_before_close_only_when_the_poll_says_and_only_released(
    session: AsyncSession,
) -> None:
    world = await make_world(session)
    poll_id = await new_poll(session, world, before_close=True)
    big = world.tree.enterprise.id
    for n in range(5):
        await vote(session, poll_id, n, await join(session, big, n), 0)
    shown = await polls.poll_results(session, poll_id, TODAY)
    assert shown is not None and shown.enterprises == ()  # not released by a batch yet
    assert await polls.release_answers(session) == 5
    shown = await polls.poll_results(session, poll_id, TODAY)
    assert shown is not None and shown.enterprises[0].respondents == 5
    assert shown.enterprises[0].questions[0][0].count == 5
    assert shown.enterprises[0].questions[0][0].share == 1.0


async def test_results_go_once_to_each_who_answered_then_ballots_go(session: AsyncSession) -> None:
    world = await make_world(session)
    poll_id = await new_poll(session, world)
    big = world.tree.enterprise.id
    subscriptions = [await join(session, big, n) for n in range(6)]
    for n in range(5):  # the sixth does not answer
        await vote(session, poll_id, n, subscriptions[n], n % 2)
    assert await polls.take_results(session, KEYS, CLOSES) == []  # not closed yet
    after = CLOSES + timedelta(days=1)
    due = await polls.take_results(session, KEYS, after, limit=3)
    due += await polls.take_results(session, KEYS, after, limit=3)
    assert sorted(d.target for d in due) == sorted(chat(n) for n in range(5))
    assert {d.enterprise_id for d in due} == {big}
    assert await polls.take_results(session, KEYS, after) == []
    poll = await session.get(Poll, poll_id)
    await session.refresh(poll)
    assert poll is not None and poll.finished
    assert await session.scalar(select(func.count()).select_from(PollBallot)) == 0
    assert await session.scalar(select(func.count()).select_from(PollDelivery)) == 0
    assert await session.scalar(select(func.count()).select_from(PollAnswer)) == 5


async def _dump(session: AsyncSession) -> str:
    parts = []
    for table in Base.metadata.sorted_tables:
        rows = (await session.execute(text(f'SELECT * FROM "{table.name}"'))).all()
        parts.append(f"{table.name}: {rows!r}")
    return "\n".join(parts)


async def test_a_dump_holds_no_worker_id_and_no_link(session: AsyncSession) -> None:
    world = await make_world(session)
    first = await new_poll(session, world)
    second = await new_poll(session, world)
    big = world.tree.enterprise.id
    subscription = await join(session, big, 1)
    await vote(session, first, 1, subscription, 0)
    await vote(session, second, 1, subscription, 1)
    dump = await _dump(session)
    assert str(5_000_001) not in dump
    tokens = (await session.execute(select(PollBallot.poll_id, PollBallot.token))).all()
    assert len({token for _, token in tokens}) == 2  # one worker, unrelated tokens
    # Answer rows name no ballot, no subscription, no date: only these columns exist.
    assert set(PollAnswer.__table__.columns.keys()) == {
        "id",
        "poll_id",
        "enterprise_id",
        "question",
        "option",
        "released",
    }
    assert set(PollSubscription.__table__.columns.keys()) == {"id", "enterprise_id", "reply_sealed"}
    for _, token in tokens:
        assert token not in dump.split("poll_ballots:")[0]
