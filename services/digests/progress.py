"""Progress against the year's targets: a sum of a flow over the year to date, or a share of
enterprises (a yes/no answer current within the window), judged against the pace of the year
(services/targets.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import NodeKind, OrgNode, Report, ReportingUnit, ReportValue, UnitKind
from services.digests._shared import SHARE_WINDOW_MONTHS
from services.digests.flows import _FlowSums
from services.digests.month_cache import MonthCache
from services.digests.periods import DigestPeriod
from services.digests.views import TargetProgress
from services.periods import Period
from services.targets import MeasureKind, Target, assess


async def _share(
    session: AsyncSession,
    scope_path: str,
    kind: UnitKind,
    code: str,
    through: Period,
) -> tuple[int, int]:
    """(enterprises whose unit of ``kind`` last answered yes to ``code`` within the window,
    enterprises with an active unit of ``kind``) in the subtree. An enterprise whose unit has
    not answered within the window counts in the second figure only."""
    start = through.shift(-(SHARE_WINDOW_MONTHS - 1))
    in_scope = and_(
        ReportingUnit.kind == kind,
        ReportingUnit.active.is_(True),
        OrgNode.kind == NodeKind.ENTERPRISE,
        OrgNode.active.is_(True),
        OrgNode.path.startswith(scope_path, autoescape=True),
    )
    latest = (
        select(Report.reporting_unit_id.label("unit_id"), func.max(Report.period).label("period"))
        .join(
            ReportValue,
            and_(ReportValue.report_id == Report.id, ReportValue.indicator_code == code),
        )
        .join(ReportingUnit, ReportingUnit.id == Report.reporting_unit_id)
        .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
        .where(
            in_scope,
            ReportValue.value.is_not(None),
            Report.period >= start.key,
            Report.period <= through.key,
        )
        .group_by(Report.reporting_unit_id)
        .subquery()
    )
    yes = (
        select(func.count(func.distinct(ReportingUnit.org_node_id)))
        .select_from(latest)
        .join(
            Report,
            and_(Report.reporting_unit_id == latest.c.unit_id, Report.period == latest.c.period),
        )
        .join(
            ReportValue,
            and_(ReportValue.report_id == Report.id, ReportValue.indicator_code == code),
        )
        .join(ReportingUnit, ReportingUnit.id == Report.reporting_unit_id)
        .where(ReportValue.value > 0)
        .scalar_subquery()
    )
    total = (
        select(func.count(func.distinct(ReportingUnit.org_node_id)))
        .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
        .where(in_scope)
        .scalar_subquery()
    )
    row = (await session.execute(select(yes, total))).one()
    return int(row[0] or 0), int(row[1] or 0)


async def _kept_share(
    session: AsyncSession,
    scope_path: str,
    kind: UnitKind,
    code: str,
    through: Period,
    cache: MonthCache | None,
) -> tuple[int, int]:
    """``_share``, from ``cache`` when kept for a locked month (and kept there)."""
    if cache is None:
        return await _share(session, scope_path, kind, code, through)
    part = f"share:{kind.value}:{code}"
    found = await cache.get(part, "", [through], SHARE_WINDOW_MONTHS)
    if through in found:
        yes, total = found[through]
        return int(yes), int(total)
    yes, total = await _share(session, scope_path, kind, code, through)
    cache.keep(part, "", through, SHARE_WINDOW_MONTHS, [yes, total])
    return yes, total


async def _target_progress(
    session: AsyncSession,
    scope_path: str,
    targets: Sequence[Target],
    flows: _FlowSums,
    period: DigestPeriod,
    ytd: Sequence[Period],
    cache: MonthCache | None = None,
) -> tuple[TargetProgress, ...]:
    elapsed = len(ytd)
    through = Period(period.year, 1).shift(elapsed - 1)  # December before, when elapsed is 0
    progress = []
    for target in targets:
        measure = target.measure
        numerator = denominator = None
        value: Decimal | None
        if measure.measure_kind is MeasureKind.SUM:
            value = flows.total(ytd, measure.unit_kind, measure.indicator) or Decimal(0)
        else:
            numerator, denominator = await _kept_share(
                session, scope_path, measure.unit_kind, measure.indicator, through, cache
            )
            value = (
                (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"))
                if denominator
                else None
            )
        if value is None:
            achieved, expected, status = None, 1.0, None
        else:
            assessment = assess(measure.measure_kind, value, target.target, elapsed)
            achieved, expected, status = (
                assessment.achieved,
                assessment.expected,
                assessment.status,
            )
        progress.append(
            TargetProgress(
                code=target.code,
                label=target.label,
                measure=measure.measure_kind,
                unit_kind=measure.unit_kind,
                indicator=measure.indicator,
                target=target.target,
                value=value,
                achieved=achieved,
                expected=expected,
                status=status,
                numerator=numerator,
                denominator=denominator,
            )
        )
    return tuple(progress)
