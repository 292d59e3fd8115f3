"""Poll results: per enterprise and for the poll's whole audience, with small numbers hidden.

- An enterprise with fewer than 5 respondents shows only "too few answers", and adds nothing to
  the area's figures (its few answers could otherwise be recovered from the totals).
- In an enterprise shown, an option chosen by 1–4 people is shown as ``<5`` without a share. When
  that is the only hidden option of a question, the smallest other chosen option is hidden too
  (``hidden``): otherwise the respondents minus the options shown would give it back.
- The area adds up the enterprises shown; any hidden cell makes its total a lower bound
  (``SuppressedCount``, as the concern counts of the digests), shown as "≥ N" and without share.
- Before the close nothing is shown, unless the poll says so; then only the answers released
  by a batch count (services/polls/answers.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import OrgNode, Poll, PollAnswer
from services.polls.definition import PollView, get_poll
from services.suppression import SUPPRESS_BELOW, SuppressedCount

# Counts of one enterprise below SUPPRESS_BELOW are never shown: the same rule and counter as the
# digests (services/suppression.py).


@dataclass(frozen=True)
class Cell:
    """One option in one enterprise: ``count`` None when hidden (``below_five``: it is 1–4)."""

    count: int | None
    share: float | None
    below_five: bool = False


@dataclass(frozen=True)
class EnterpriseResult:
    enterprise_id: int
    name: str
    respondents: int | None  # None: too few answers, nothing else is shown
    questions: tuple[tuple[Cell, ...], ...]

    @property
    def too_few(self) -> bool:
        return self.respondents is None


@dataclass(frozen=True)
class AreaCell:
    total: SuppressedCount
    share: float | None  # only when the total is exact


@dataclass(frozen=True)
class AreaResult:
    name: str
    respondents: int  # of the enterprises shown
    enterprises_shown: int
    enterprises_too_few: int
    questions: tuple[tuple[AreaCell, ...], ...]


@dataclass(frozen=True)
class PollResults:
    poll: PollView
    final: bool  # the poll has closed: every answer counts
    enterprises: tuple[EnterpriseResult, ...]
    area: AreaResult


def _share(count: int, of: int) -> float | None:
    return count / of if of else None


def _cells(counts: list[int]) -> tuple[Cell, ...]:
    answered = sum(counts)
    small = [i for i, n in enumerate(counts) if 0 < n < SUPPRESS_BELOW]
    hidden = set(small)
    if len(small) == 1:
        others = [(n, i) for i, n in enumerate(counts) if n >= SUPPRESS_BELOW]
        if others:
            hidden.add(min(others)[1])
    return tuple(
        Cell(None, None, below_five=i in small) if i in hidden else Cell(n, _share(n, answered))
        for i, n in enumerate(counts)
    )


def visible(poll: PollView, today: date) -> bool:
    return poll.is_closed(today) or poll.finished or poll.results_before_close


async def poll_results(
    session: AsyncSession, poll_id: int, today: date, *, force: bool = False
) -> PollResults | None:
    """The results, or None when the poll does not exist or shows nothing yet (``force``: the
    job that sends them at the close)."""
    poll = await get_poll(session, poll_id)
    if poll is None or not (force or visible(poll, today)):
        return None
    final = poll.is_closed(today) or poll.finished
    statement = (
        select(PollAnswer.enterprise_id, PollAnswer.question, PollAnswer.option, func.count())
        .where(PollAnswer.poll_id == poll_id)
        .group_by(PollAnswer.enterprise_id, PollAnswer.question, PollAnswer.option)
    )
    if not final:
        statement = statement.where(PollAnswer.released.is_(True))
    counts: dict[int, list[list[int]]] = defaultdict(
        lambda: [[0] * len(q.options) for q in poll.questions]
    )
    for enterprise_id, question, option, n in (await session.execute(statement)).all():
        if question < len(poll.questions) and option < len(poll.questions[question].options):
            counts[enterprise_id][question][option] += n
    names = dict(
        (await session.execute(select(OrgNode.id, OrgNode.name).where(OrgNode.id.in_(counts))))
        .tuples()
        .all()
    )
    enterprises = []
    area_totals = [[SuppressedCount() for _ in q.options] for q in poll.questions]
    area_respondents = 0
    too_few = 0
    for enterprise_id in sorted(counts, key=lambda e: names.get(e, "")):
        per_question = counts[enterprise_id]
        respondents = max(sum(q) for q in per_question)
        if respondents < SUPPRESS_BELOW:
            too_few += 1
            enterprises.append(
                EnterpriseResult(enterprise_id, names.get(enterprise_id, ""), None, ())
            )
            continue
        cells = tuple(_cells(q) for q in per_question)
        for q, row in enumerate(cells):
            for o, cell in enumerate(row):
                total = area_totals[q][o]
                # A hidden cell counts as one hidden contribution: the area's total stays a
                # true lower bound and never gives a hidden cell back by subtraction. A cell
                # hidden beside a lone "<5" is 5 or more (the enterprise's table says "hidden",
                # not "<5"): it adds at least 5 to the bound, so the area never reads "<5" of it.
                if cell.count is None and cell.below_five:
                    area_totals[q][o] = SuppressedCount(total.visible, total.hidden + 1)
                elif cell.count is None:
                    area_totals[q][o] = SuppressedCount(
                        total.visible + SUPPRESS_BELOW - 1, total.hidden + 1
                    )
                else:
                    area_totals[q][o] = total.add(cell.count)  # 0, or 5 and more: as it is
        area_respondents += respondents
        enterprises.append(
            EnterpriseResult(enterprise_id, names.get(enterprise_id, ""), respondents, cells)
        )
    area_questions = []
    for totals in area_totals:
        answered = sum(t.visible for t in totals)
        exact = all(t.exact for t in totals)
        area_questions.append(
            tuple(AreaCell(t, _share(t.visible, answered) if exact else None) for t in totals)
        )
    area = AreaResult(
        poll.audience_name,
        area_respondents,
        len(enterprises) - too_few,
        too_few,
        tuple(area_questions),
    )
    return PollResults(poll, final, tuple(enterprises), area)


async def closed_between(
    session: AsyncSession, scope_path: str, first: date, last: date, today: date
) -> tuple[PollResults, ...]:
    """Results of the polls whose audience lies within this scope (a materialised path) and
    which closed between ``first`` and ``last`` (and before ``today``): the digest's section."""
    ids = await session.scalars(
        select(Poll.id)
        .join(OrgNode, OrgNode.id == Poll.audience_node_id)
        .where(
            OrgNode.path.startswith(scope_path),
            Poll.closes_on >= first,
            Poll.closes_on <= last,
            Poll.closes_on < today,
        )
        .order_by(Poll.closes_on, Poll.id)
    )
    found = [await poll_results(session, poll_id, today) for poll_id in list(ids)]
    return tuple(r for r in found if r is not None)


@dataclass(frozen=True)
class PollInPeriod:
    """A poll listed on the dashboard or the office console: its results when they may be seen
    (None before the close unless the poll says so), and how many answered — only after the
    close, and only as the results count them: the enterprises shown, plus at least one for
    each enterprise with too few answers (a lower bound, never their own count)."""

    poll: PollView
    results: PollResults | None
    respondents: SuppressedCount | None

    def is_open(self, today: date) -> bool:
        return self.poll.is_open(today)


def respondents_of(results: PollResults | None) -> SuppressedCount | None:
    if results is None or not results.final:
        return None
    return SuppressedCount(results.area.respondents, results.area.enterprises_too_few)


async def _listed(session: AsyncSession, poll_id: int, today: date) -> PollInPeriod | None:
    poll = await get_poll(session, poll_id)
    if poll is None:
        return None
    results = await poll_results(session, poll_id, today)
    return PollInPeriod(poll, results, respondents_of(results))


async def polls_overlapping(
    session: AsyncSession, scope_path: str, first: date, last: date, today: date
) -> tuple[PollInPeriod, ...]:
    """The polls whose audience lies within this scope (a materialised path) and which were
    open on at least one day between ``first`` and ``last`` (and have opened by ``today``):
    the dashboard's section. Newest closing date first."""
    ids = await session.scalars(
        select(Poll.id)
        .join(OrgNode, OrgNode.id == Poll.audience_node_id)
        .where(
            OrgNode.path.startswith(scope_path),
            Poll.opens_on <= last,
            Poll.opens_on <= today,
            Poll.closes_on >= first,
        )
        .order_by(Poll.closes_on.desc(), Poll.id.desc())
    )
    found = [await _listed(session, poll_id, today) for poll_id in list(ids)]
    return tuple(p for p in found if p is not None)


async def polls_listed(
    session: AsyncSession, today: date, *, limit: int, offset: int = 0
) -> tuple[PollInPeriod, ...]:
    """Every poll, newest first, a page at a time: the office console's list."""
    ids = await session.scalars(
        select(Poll.id).order_by(Poll.id.desc()).limit(limit).offset(offset)
    )
    found = [await _listed(session, poll_id, today) for poll_id in list(ids)]
    return tuple(p for p in found if p is not None)


async def poll_listed(session: AsyncSession, poll_id: int, today: date) -> PollInPeriod | None:
    """One poll with its results when they may be seen: the office console's poll page."""
    return await _listed(session, poll_id, today)
