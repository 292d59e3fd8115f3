"""Polls with answers straight in the tables (no chat, no ballots): for the pages that show
results (the dashboard, the office console, the workbook), where only the counted rows matter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from models import Poll, PollAnswer
from services.anonymity import new_id
from services.polls.definition import Question, Text, _encode

MEALS = Question(
    Text("Bữa ăn ca có ngon không?", "Are the meals good?"),
    (Text("Ngon", "Good"), Text("Bình thường", "So-so"), Text("Không ngon", "Bad")),
)
PARKING = Question(Text("Nhà xe có đủ chỗ không?"), (Text("Đủ"), Text("Thiếu")))


async def add_poll(
    session: AsyncSession,
    person_id: int,
    audience_node_id: int,
    opens_on: date,
    closes_on: date,
    *,
    questions: Sequence[Question] = (MEALS,),
    results_before_close: bool = False,
) -> int:
    poll = Poll(
        questions=_encode(tuple(questions)),
        audience_node_id=audience_node_id,
        opens_on=opens_on,
        closes_on=closes_on,
        results_before_close=results_before_close,
        created_by_person_id=person_id,
    )
    session.add(poll)
    await session.commit()
    return poll.id


async def add_answers(
    session: AsyncSession,
    poll_id: int,
    enterprise_id: int,
    counts: Sequence[Sequence[int]],
    *,
    released: bool = True,
) -> None:
    """``counts[question][option]`` answer rows for one enterprise."""
    session.add_all(
        PollAnswer(
            id=new_id(),
            poll_id=poll_id,
            enterprise_id=enterprise_id,
            question=q,
            option=o,
            released=released,
        )
        for q, per_option in enumerate(counts)
        for o, n in enumerate(per_option)
        for _ in range(n)
    )
    await session.commit()
