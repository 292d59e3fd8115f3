"""Approved reports, when the level above reviews some unit kinds (config/reporting.yaml
``review``): how many of each unit's reports of the months were approved, so that the reporting
rate shows submitted and approved side by side. One GROUP BY, only when review is configured."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import OrgNode, Report, ReportingUnit, ReportReview
from services.periods import Period
from services.reporting import ReportingSetup
from services.reporting.reviewing import APPROVED


async def _approved_counts(
    session: AsyncSession, scope_path: str, months: Sequence[Period], setup: ReportingSetup
) -> dict[int, int] | None:
    """Unit id → approved reports among these months; None when nothing is reviewed."""
    if not setup.calendar.review:
        return None
    if not months:
        return {}
    rows = await session.execute(
        select(Report.reporting_unit_id, func.count())
        .join(ReportReview, ReportReview.report_id == Report.id)
        .join(ReportingUnit, ReportingUnit.id == Report.reporting_unit_id)
        .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
        .where(
            ReportReview.status == APPROVED,
            Report.period.in_([month.key for month in months]),
            OrgNode.path.startswith(scope_path, autoescape=True),
        )
        .group_by(Report.reporting_unit_id)
    )
    return {unit_id: int(n) for unit_id, n in rows.all()}
