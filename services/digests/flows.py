"""Flow indicators (new members, meetings held…): sums per month, unit kind and code over the
subtree in one GROUP BY, added up here over any span (the period, the one before, a year
earlier, the year to date). None when no unit of the kind reported in the span: not 0.

When the level above reviews some unit kinds, the same statement also sums the approved
reports' values (a conditional sum over an outer join to report_reviews), so each flow figure
can say its approved part; without review the statement is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import OrgNode, Report, ReportingUnit, ReportReview, ReportValue, UnitKind
from services.digests._shared import _number
from services.digests.month_cache import MonthCache, config_key
from services.indicators import IndicatorKind, Label
from services.periods import Period
from services.reporting import ReportingSetup
from services.reporting.reviewing import APPROVED


@dataclass(frozen=True)
class _FlowIndicator:
    unit_kind: UnitKind
    set_label: Label
    code: str
    label: Label
    unit: Label | None


def _flow_indicators(setup: ReportingSetup) -> list[_FlowIndicator]:
    return [
        _FlowIndicator(s.unit_kind, s.label, i.code, i.label, i.unit)
        for s in setup.indicators.sets
        for i in s.indicators
        if i.kind is IndicatorKind.FLOW
    ]


class _FlowSums:
    """Sums per (month, unit kind, code) from one GROUP BY; spans are added up here."""

    def __init__(self) -> None:
        self.sums: dict[tuple[str, UnitKind, str], Decimal] = {}
        self.present: set[tuple[str, UnitKind]] = set()
        # Of ``sums``, the approved reports' part, for the reviewed kinds only.
        self.approved: dict[tuple[str, UnitKind, str], Decimal] = {}
        self.reviewed: frozenset[UnitKind] = frozenset()

    def total(self, months: Iterable[Period], kind: UnitKind, code: str) -> Decimal | None:
        months = list(months)
        if not any((month.key, kind) in self.present for month in months):
            return None
        total = sum(
            (self.sums.get((month.key, kind, code), Decimal(0)) for month in months),
            Decimal(0),
        )
        return _number(total)

    def approved_total(self, months: Iterable[Period], kind: UnitKind, code: str) -> Decimal | None:
        """The approved reports' part of ``total``; None when the kind is not reviewed or
        nothing was reported."""
        months = list(months)
        if kind not in self.reviewed or self.total(months, kind, code) is None:
            return None
        total = sum(
            (self.approved.get((month.key, kind, code), Decimal(0)) for month in months),
            Decimal(0),
        )
        return _number(total)


async def _flow_sums(
    session: AsyncSession,
    scope_path: str,
    months: Iterable[Period],
    indicators: Sequence[_FlowIndicator],
    reviewed: frozenset[UnitKind] = frozenset(),
    cache: MonthCache | None = None,
) -> _FlowSums:
    """``reviewed``: the unit kinds the level above reviews (their approved part is summed).
    Locked months from ``cache`` when kept, the others in one GROUP BY (kept in ``cache`` when
    locked)."""
    result = _FlowSums()
    result.reviewed = reviewed
    wanted_months = sorted(set(months))
    if not wanted_months or not indicators:
        return result
    wanted = {(i.unit_kind, i.code) for i in indicators}
    config = config_key(
        [*(f"{kind.value}/{code}" for kind, code in wanted), *(f"reviewed:{k}" for k in reviewed)]
    )
    found = await cache.get("flows", config, wanted_months) if cache else {}
    for month, payload in found.items():
        result.present.update((month.key, UnitKind(kind)) for kind in payload["present"])
        for kind, code, total, approved in payload["sums"]:
            result.sums[(month.key, UnitKind(kind), code)] = Decimal(total)
            if approved is not None:
                result.approved[(month.key, UnitKind(kind), code)] = Decimal(approved)
    missing = [month for month in wanted_months if month not in found]
    if not missing:
        return result
    columns = [
        Report.period,
        ReportingUnit.kind,
        ReportValue.indicator_code,
        func.sum(ReportValue.value).label("total"),
    ]
    if reviewed:
        approved = case((ReportReview.status == APPROVED, ReportValue.value), else_=0)
        columns.append(func.sum(approved).label("approved"))
    stmt = select(*columns).select_from(ReportValue)
    if reviewed:
        stmt = stmt.outerjoin(ReportReview, ReportReview.report_id == ReportValue.report_id)
    stmt = (
        stmt.join(Report, Report.id == ReportValue.report_id)
        .join(ReportingUnit, ReportingUnit.id == Report.reporting_unit_id)
        .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
        .where(
            Report.period.in_([month.key for month in missing]),
            OrgNode.path.startswith(scope_path, autoescape=True),
            ReportingUnit.kind.in_(sorted({kind for kind, _ in wanted})),
            ReportValue.indicator_code.in_(sorted({code for _, code in wanted})),
        )
        .group_by(Report.period, ReportingUnit.kind, ReportValue.indicator_code)
    )
    payloads: dict[str, dict[str, list[Any]]] = {
        month.key: {"present": [], "sums": []} for month in missing
    }
    for row in await session.execute(stmt):
        kind = UnitKind(row.kind)
        if (kind, row.indicator_code) not in wanted:
            continue
        key = (row.period, kind, row.indicator_code)
        total = _number(row.total) or Decimal(0)
        result.present.add((row.period, kind))
        result.sums[key] = total
        part = None
        if reviewed:
            part = _number(row.approved) or Decimal(0)
            result.approved[key] = part
        payload = payloads[row.period]
        if kind.value not in payload["present"]:
            payload["present"].append(kind.value)
        payload["sums"].append(
            [kind.value, row.indicator_code, str(total), None if part is None else str(part)]
        )
    if cache is not None:
        for month in missing:
            cache.keep("flows", config, month, 1, payloads[month.key])
    return result
