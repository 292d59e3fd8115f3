"""A report's standing with the level above, as reporting itself needs it: marked waiting when
sent or amended, amendable after the lock day when returned, refused for amendment once
approved. The reviewer's own use cases are in services/review/.

Only unit kinds listed under ``review`` in config/reporting.yaml are reviewed; with the default
(none listed) nothing here writes a row or refuses anything.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import OrgNode, Report, ReportingUnit, ReportReview
from services.errors import DomainError
from services.periods import Period, ReviewRule
from services.reporting.config import ReportingSetup

PENDING: Final = "pending"
RETURNED: Final = "returned"
APPROVED: Final = "approved"


class ReportApproved(DomainError):
    message = (
        "This report was approved by the level above and can no longer be changed. "
        "Ask the reviewer to reopen it."
    )


async def review_node(session: AsyncSession, node_id: int, rule: ReviewRule) -> int | None:
    """The node at the rule's level above (or at) ``node_id``: its zone or commune, or the
    province. None when the unit sits above that level (nobody there to review it)."""
    path = await session.scalar(select(OrgNode.path).where(OrgNode.id == node_id))
    ids = [int(part) for part in (path or "").strip("/").split("/") if part]
    depth = 0 if rule.level == "province" else 1
    return ids[depth] if len(ids) > depth else None


async def mark_submitted(
    session: AsyncSession, report: Report, unit: ReportingUnit, setup: ReportingSetup
) -> bool:
    """After a report is sent or amended: waiting for its reviewer again, if its kind is
    reviewed. The last comment stays, for the reviewer to see what was asked. Does not commit."""
    rule = setup.calendar.review.get(unit.kind)
    if rule is None:
        return False
    node_id = await review_node(session, unit.org_node_id, rule)
    if node_id is None:
        return False
    row = await session.get(ReportReview, report.id)
    if row is None:
        session.add(
            ReportReview(
                report_id=report.id,
                reviewer_node_id=node_id,
                status=PENDING,
                revision=report.revision,
            )
        )
    else:
        row.status, row.revision, row.reviewer_node_id = PENDING, report.revision, node_id
    return True


async def refuse_if_approved(session: AsyncSession, report_id: int) -> None:
    status = await session.scalar(
        select(ReportReview.status).where(ReportReview.report_id == report_id)
    )
    if status == APPROVED:
        raise ReportApproved()


async def is_returned(session: AsyncSession, unit_id: int, period: Period) -> bool:
    """A returned report stays open for its officers' amendment after the lock day."""
    status = await session.scalar(
        select(ReportReview.status)
        .join(Report, Report.id == ReportReview.report_id)
        .where(Report.reporting_unit_id == unit_id, Report.period == period.key)
    )
    return status == RETURNED
