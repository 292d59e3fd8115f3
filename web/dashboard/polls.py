"""The dashboard's poll section (issue 17): the workers' polls of the member's part of the tree
that were open during the chosen period, with their suppressed results once they may be seen.

Nothing is counted here: the results are services/polls/results.py's, turned into text and bars
by web/poll_results.py and drawn by templates/dashboard/polls.html. The node was checked by the
page (access.may_view_node, from the database, on every request); only polls whose audience
lies at or under it are listed, so a member never sees a poll of another part of the tree.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from models import OrgNode
from services import polls
from services.digests import DigestPeriod
from services.polls import PollInPeriod
from web.poll_results import Shown, shown


async def load(
    session: AsyncSession, node_id: int, period: DigestPeriod, today: date
) -> tuple[PollInPeriod, ...]:
    """The polls of this node's subtree that overlap the period (closed or still open)."""
    node = await session.get(OrgNode, node_id)
    if node is None:
        return ()
    return await polls.polls_overlapping(
        session, node.path, period.months[0].first_day, period.months[-1].last_day, today
    )


def section(listed: tuple[PollInPeriod, ...], today: date, lang: str) -> list[Shown]:
    return [shown(poll, today, lang) for poll in listed]


def results_for_excel(listed: tuple[PollInPeriod, ...]) -> tuple[polls.PollResults, ...]:
    """The results the workbook's "Khảo sát" sheet lists: those visible on the page."""
    return tuple(p.results for p in listed if p.results is not None)
