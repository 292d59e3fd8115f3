"""Internal to the digests package: what the digest and the spreadsheet share.

The scope and its materialised path; the areas under it (its children, found from each unit's
path in Python, which is portable where SQL string functions are not); figures as exact
Decimals; the months open for reports; and, in one GROUP BY, every active unit of the subtree
with whether it reported in each open month and whether a report was due. Reads only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import NodeKind, OrgNode, Report, ReportingUnit, UnitKind
from services.digests.errors import ScopeNotFound
from services.digests.periods import DigestPeriod
from services.digests.views import Scope
from services.periods import Period, open_date
from services.reporting import ReportingSetup

# Months a yes/no answer stays current for a share target: a collective agreement reported two
# years ago says nothing about today.
SHARE_WINDOW_MONTHS: Final = 12


async def _scope(session: AsyncSession, node_id: int) -> tuple[Scope, str]:
    row = (
        await session.execute(
            select(
                OrgNode.id,
                OrgNode.code,
                OrgNode.name,
                OrgNode.kind,
                OrgNode.path,
                OrgNode.parent_id,
            ).where(OrgNode.id == node_id)
        )
    ).one_or_none()
    if row is None:
        raise ScopeNotFound()
    return Scope(row.id, row.code, row.name, row.kind, row.parent_id), row.path


def _area_id(path: str, scope_path: str) -> int | None:
    """The child of the scope on ``path`` ("/1/4/17/" under "/1/" → 4); None: the scope."""
    head = path[len(scope_path) :].split("/", 1)[0]
    return int(head) if head.isdigit() else None


def _number(value: Any) -> Decimal | None:
    """A figure from the database as an exact Decimal, without trailing zeros for counts
    (SQLite hands back floats, PostgreSQL Decimals with the column's four places)."""
    if value is None:
        return None
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number


def _months_open(period: DigestPeriod, setup: ReportingSetup, today: date) -> tuple[Period, ...]:
    return tuple(m for m in period.months if open_date(m, setup.calendar) <= today)


def _reporting_kinds(setup: ReportingSetup) -> list[UnitKind]:
    return [indicator_set.unit_kind for indicator_set in setup.indicators.sets]


@dataclass(frozen=True)
class _UnitStatus:
    unit_id: int
    code: str
    name: str
    kind: UnitKind
    path: str
    place: str  # the name of the unit's node: its enterprise, or the zone
    reported: tuple[bool, ...]  # per open month
    on_time: int
    # Per open month: whether a report was due. Not before the unit's first reporting month
    # (a unit added today is nobody's missing report for the past), unless one came anyway.
    expected: tuple[bool, ...] = ()


async def _unit_statuses(
    session: AsyncSession,
    scope_path: str,
    months: Sequence[Period],
    kinds: Sequence[UnitKind],
) -> list[_UnitStatus]:
    """Every active unit of the subtree with, per open month, whether it reported: one GROUP BY
    over units left-joined to their reports of those months."""
    if not months or not kinds:
        return []
    flags = [
        func.max(case((Report.period == month.key, 1), else_=0)).label(f"m{index}")
        for index, month in enumerate(months)
    ]
    on_time = func.sum(case((Report.late.is_(False), 1), else_=0)).label("on_time")
    stmt = (
        select(
            ReportingUnit.id,
            ReportingUnit.code,
            ReportingUnit.name,
            ReportingUnit.kind,
            OrgNode.path,
            OrgNode.name.label("place"),
            ReportingUnit.first_period,
            on_time,
            *flags,
        )
        .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
        .outerjoin(
            Report,
            and_(
                Report.reporting_unit_id == ReportingUnit.id,
                Report.period.in_([month.key for month in months]),
            ),
        )
        .where(
            ReportingUnit.active.is_(True),
            OrgNode.active.is_(True),
            ReportingUnit.kind.in_(kinds),
            OrgNode.path.startswith(scope_path, autoescape=True),
        )
        .group_by(ReportingUnit.id, OrgNode.id)
    )
    statuses = []
    for row in await session.execute(stmt):
        mapping = row._mapping
        reported = tuple(bool(mapping[f"m{index}"]) for index in range(len(months)))
        first = row.first_period
        expected = tuple(
            done or first is None or month.key >= first
            for month, done in zip(months, reported, strict=True)
        )
        statuses.append(
            _UnitStatus(
                row.id,
                row.code,
                row.name,
                row.kind,
                row.path,
                row.place,
                reported,
                int(row.on_time or 0),
                expected,
            )
        )
    return statuses


@dataclass(frozen=True)
class _Area:
    node_id: int
    code: str
    name: str
    kind: NodeKind
    direct: bool


async def _areas(session: AsyncSession, scope: Scope) -> dict[int | None, _Area]:
    """The scope's children by id, and the scope itself under None."""
    rows = await session.execute(
        select(OrgNode.id, OrgNode.code, OrgNode.name, OrgNode.kind).where(
            OrgNode.parent_id == scope.node_id
        )
    )
    areas: dict[int | None, _Area] = {
        row.id: _Area(row.id, row.code, row.name, row.kind, False) for row in rows
    }
    areas[None] = _Area(scope.node_id, scope.code, scope.name, scope.kind, True)
    return areas


def _area_of(status: _UnitStatus, scope_path: str, areas: Mapping[int | None, _Area]) -> _Area:
    return areas.get(_area_id(status.path, scope_path), areas[None])
