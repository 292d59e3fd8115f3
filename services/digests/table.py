"""The spreadsheet's rows: units × indicators of the subtree for a period, in two queries. Flows
are added over the period's months; stocks, yes/no answers and percentages are the unit's
latest month in the period.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import OrgNode, Report, ReportingUnit, ReportValue
from services.digests._shared import (
    _area_of,
    _areas,
    _months_open,
    _number,
    _reporting_kinds,
    _scope,
    _unit_statuses,
)
from services.digests.approvals import _approved_counts
from services.digests.periods import DigestPeriod
from services.digests.views import IndicatorColumn, UnitRow, UnitTable
from services.indicators import IndicatorKind
from services.reporting import ReportingSetup


async def unit_table(
    session: AsyncSession,
    *,
    node_id: int,
    period: DigestPeriod,
    setup: ReportingSetup,
    today: date,
) -> UnitTable:
    """Units × indicators of the subtree for the period, for the spreadsheet: two queries
    (statuses, and values grouped per unit and code). Flows are added over the period's months;
    stocks, yes/no and percentages are the unit's latest month in the period."""
    scope, scope_path = await _scope(session, node_id)
    months = _months_open(period, setup, today)
    statuses = await _unit_statuses(session, scope_path, months, _reporting_kinds(setup))
    approved = await _approved_counts(session, scope_path, months, setup)
    areas = await _areas(session, scope)
    values: dict[int, dict[str, tuple[Any, Any]]] = defaultdict(dict)
    if months:
        keys = [month.key for month in months]
        latest = (
            select(
                Report.reporting_unit_id.label("unit_id"), func.max(Report.period).label("period")
            )
            .join(ReportingUnit, ReportingUnit.id == Report.reporting_unit_id)
            .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
            .where(Report.period.in_(keys), OrgNode.path.startswith(scope_path, autoescape=True))
            .group_by(Report.reporting_unit_id)
            .subquery()
        )
        stmt = (
            select(
                Report.reporting_unit_id,
                ReportValue.indicator_code,
                func.sum(ReportValue.value).label("total"),
                func.max(case((Report.period == latest.c.period, ReportValue.value))).label("last"),
            )
            .select_from(ReportValue)
            .join(Report, Report.id == ReportValue.report_id)
            .join(latest, latest.c.unit_id == Report.reporting_unit_id)
            .where(Report.period.in_(keys))
            .group_by(Report.reporting_unit_id, ReportValue.indicator_code)
        )
        for row in await session.execute(stmt):
            values[row.reporting_unit_id][row.indicator_code] = (row.total, row.last)

    kinds_present = {status.kind for status in statuses}
    columns = tuple(
        IndicatorColumn(s.unit_kind, s.label, i.code, i.label, i.kind)
        for s in setup.indicators.sets
        if s.unit_kind in kinds_present
        for i in s.indicators
    )
    set_labels = {s.unit_kind: s.label for s in setup.indicators.sets}
    flow_codes = {
        (s.unit_kind, i.code)
        for s in setup.indicators.sets
        for i in s.indicators
        if i.kind is IndicatorKind.FLOW
    }
    rows = []
    for status in statuses:
        reported = values.get(status.unit_id, {})
        unit_values = {
            code: _number(total if (status.kind, code) in flow_codes else last)
            for code, (total, last) in reported.items()
        }
        rows.append(
            UnitRow(
                unit_id=status.unit_id,
                code=status.code,
                name=status.name,
                kind=status.kind,
                set_label=set_labels[status.kind],
                area_name=_area_of(status, scope_path, areas).name,
                place_name=status.place,
                months_open=sum(status.expected),
                months_reported=sum(status.reported),
                months_late=sum(status.reported) - status.on_time,
                values=unit_values,
                months_approved=None if approved is None else approved.get(status.unit_id, 0),
            )
        )
    rows.sort(key=lambda row: (row.area_name, row.code))
    return UnitTable(columns, tuple(rows))
