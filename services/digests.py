"""The steering committee's digest of its subtree for a month, a quarter or a year.

What it holds, and why it is built the way it is (docs/digests.md has the user's view):

- **Set-based.** A national deployment has tens of thousands of units; the digest is a handful of
  GROUP BY queries over reports and report values joined to units and to the org tree filtered by
  the scope's materialised path prefix, never one query per unit or per area. Areas are found
  from each unit's path in Python (one string split per unit), which is portable across SQLite
  and PostgreSQL where the SQL string functions are not.
- **Who is expected to report**: every active unit of the subtree whose kind has an indicator set,
  for every month of the period that has opened by ``today`` (a month not yet open cannot be
  missing) and is not before the unit's first reporting month (a unit added today does not lower
  the rate of months past). Reporting rate = reports received / reports expected; on-time rate =
  reports received on time / reports expected, so that a missing report also counts against
  punctuality.
- **Figures** are what units reported, whoever they are now: reports of units since deactivated
  still count in totals. Indicators are keyed by (unit kind, code), because the same code means
  different things in different sets (``new_members`` of a youth branch vs a women's branch), and
  labelled from the current configuration; a code retired from the configuration is left out.
- **Concerns** are counted per enterprise first, and any count of 1–4 is hidden before anything is
  added up (``SuppressedCount``); no text of a concern is ever read here. A case sent today
  counts only once a notice batch has released it, as officers see it (``_concerns``).
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    ChannelAccount,
    Concern,
    ConcernStatus,
    NodeKind,
    OrgNode,
    Person,
    Report,
    ReportingUnit,
    ReportValue,
    Role,
    RoleAssignment,
    UnitKind,
)
from services.concerns import ConcernConfig
from services.errors import NotFound
from services.indicators import IndicatorKind, Label
from services.periods import Period, open_date
from services.reporting import ReportingSetup
from services.targets import (
    MeasureKind,
    Target,
    TargetConfig,
    TargetStatus,
    assess,
)

# Counts of concerns per enterprise below this are never shown (docs/architecture.md).
SUPPRESS_BELOW: Final = 5
# Months a yes/no answer stays current for a share target: a collective agreement reported two
# years ago says nothing about today.
SHARE_WINDOW_MONTHS: Final = 12

# The stocks a committee member looks at first, in this order, when the configuration has them:
# workers and union members (whose ratio is the union density), then party members.
WORKERS: Final = (UnitKind.TRADE_UNION, "workers")
UNION_MEMBERS: Final = (UnitKind.TRADE_UNION, "union_members")
PARTY_MEMBERS: Final = (UnitKind.PARTY_CELL, "party_members")
HEADLINE_STOCKS: Final = (WORKERS, UNION_MEMBERS, PARTY_MEMBERS)

_KEY_MONTH: Final = re.compile(r"(\d{4})-(\d{2})")
_KEY_QUARTER: Final = re.compile(r"(\d{4})-[Qq]([1-4])")
_KEY_YEAR: Final = re.compile(r"(\d{4})")


class ScopeNotFound(NotFound):
    message = "This part of the organisation does not exist (any more)."


# --- periods --------------------------------------------------------------------------------


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


@dataclass(frozen=True)
class DigestPeriod:
    """A month, a quarter or a year: always a run of whole reporting months of one year."""

    kind: PeriodKind
    year: int
    number: int = 1  # the month (1-12), the quarter (1-4), or 1 for a year

    def __post_init__(self) -> None:
        top = {PeriodKind.MONTH: 12, PeriodKind.QUARTER: 4, PeriodKind.YEAR: 1}[self.kind]
        if not 1 <= self.number <= top or not 1 <= self.year <= 9999:
            raise ValueError(f"no such {self.kind.value}: {self.year}/{self.number}")

    @classmethod
    def of_month(cls, year: int, month: int) -> DigestPeriod:
        return cls(PeriodKind.MONTH, year, month)

    @classmethod
    def of_quarter(cls, year: int, quarter: int) -> DigestPeriod:
        return cls(PeriodKind.QUARTER, year, quarter)

    @classmethod
    def of_year(cls, year: int) -> DigestPeriod:
        return cls(PeriodKind.YEAR, year)

    @classmethod
    def from_month(cls, period: Period) -> DigestPeriod:
        return cls.of_month(period.year, period.month)

    @classmethod
    def parse(cls, key: str) -> DigestPeriod:
        """ "2026-10", "2026-Q4" or "2026"; ValueError for anything else."""
        if match := _KEY_MONTH.fullmatch(key):
            return cls.of_month(int(match[1]), int(match[2]))
        if match := _KEY_QUARTER.fullmatch(key):
            return cls.of_quarter(int(match[1]), int(match[2]))
        if match := _KEY_YEAR.fullmatch(key):
            return cls.of_year(int(match[1]))
        raise ValueError(f"not a digest period: {key!r}")

    @property
    def key(self) -> str:
        if self.kind is PeriodKind.MONTH:
            return f"{self.year:04d}-{self.number:02d}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.year:04d}-Q{self.number}"
        return f"{self.year:04d}"

    def __str__(self) -> str:
        return self.key

    @property
    def months(self) -> tuple[Period, ...]:
        if self.kind is PeriodKind.MONTH:
            return (Period(self.year, self.number),)
        if self.kind is PeriodKind.QUARTER:
            first = (self.number - 1) * 3 + 1
            return tuple(Period(self.year, month) for month in range(first, first + 3))
        return tuple(Period(self.year, month) for month in range(1, 13))

    @property
    def first(self) -> Period:
        return self.months[0]

    @property
    def last(self) -> Period:
        return self.months[-1]

    def shift(self, steps: int) -> DigestPeriod:
        """The period ``steps`` periods of the same kind later (earlier when negative)."""
        if self.kind is PeriodKind.YEAR:
            return DigestPeriod.of_year(self.year + steps)
        per_year = 12 if self.kind is PeriodKind.MONTH else 4
        index = self.year * per_year + self.number - 1 + steps
        return DigestPeriod(self.kind, index // per_year, index % per_year + 1)

    def previous(self) -> DigestPeriod:
        return self.shift(-1)

    def same_period_last_year(self) -> DigestPeriod:
        return DigestPeriod(self.kind, self.year - 1, self.number)

    @property
    def year_to_date(self) -> tuple[Period, ...]:
        """January of the period's year to the period's last month."""
        return tuple(Period(self.year, month) for month in range(1, self.last.month + 1))


# --- what a digest holds --------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    node_id: int
    code: str
    name: str
    kind: NodeKind
    parent_id: int | None = None  # the level above, for "back" (None: the root)


@dataclass(frozen=True)
class Rate:
    expected: int  # unit-months that should have a report
    submitted: int
    on_time: int

    @property
    def late(self) -> int:
        return self.submitted - self.on_time

    @property
    def missing(self) -> int:
        return self.expected - self.submitted

    @property
    def reporting_rate(self) -> float | None:
        return self.submitted / self.expected if self.expected else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.expected if self.expected else None

    def __add__(self, other: Rate) -> Rate:
        return Rate(
            self.expected + other.expected,
            self.submitted + other.submitted,
            self.on_time + other.on_time,
        )


@dataclass(frozen=True)
class AreaRate:
    """A child of the scope (a zone or commune; an enterprise under a zone), or the scope
    itself (``direct``) for units that sit on the scope node, such as a zone union."""

    node_id: int
    code: str
    name: str
    kind: NodeKind
    direct: bool
    rate: Rate
    rank: int  # 1 is best; equal rates share a rank


@dataclass(frozen=True)
class Contact:
    """An officer the office can call about a missing report: the name and the apps the bot
    reaches them on (their chosen one first). The bot stores no phone numbers."""

    name: str
    channels: tuple[str, ...]


@dataclass(frozen=True)
class MissingUnit:
    unit_id: int
    code: str
    name: str
    kind: UnitKind
    area_code: str
    area_name: str
    months: tuple[Period, ...]  # the open months of the period without a report
    officers: tuple[Contact, ...] = ()  # registered, not revoked


@dataclass(frozen=True)
class StockTotal:
    """One stock over the subtree: the sum of each unit's latest figure within
    SHARE_WINDOW_MONTHS up to a month (a unit that skipped a month still counts with its last
    figure). None: no unit reported it in that window."""

    unit_kind: UnitKind
    code: str
    label: Label
    value: Decimal | None  # as of the last open month of the period
    previous: Decimal | None  # as of the month before the period


@dataclass(frozen=True)
class Headline:
    """What the digest leads with: the stocks of HEADLINE_STOCKS that the configuration has, and
    the union density (union members / workers) at the same two moments."""

    stocks: tuple[StockTotal, ...] = ()
    density: float | None = None
    density_previous: float | None = None


@dataclass(frozen=True)
class FlowTotal:
    """Sum of one flow indicator over the subtree. None: no unit of this kind reported in any
    month of that span, so there is nothing to compare with (not the same as 0)."""

    unit_kind: UnitKind
    set_label: Label
    code: str
    label: Label
    unit: Label | None
    current: Decimal | None
    previous: Decimal | None  # the previous month / quarter / year
    last_year: Decimal | None  # the same period a year earlier
    year_to_date: Decimal | None
    year_to_date_last_year: Decimal | None


@dataclass(frozen=True)
class TargetProgress:
    code: str
    label: Label
    measure: MeasureKind
    unit_kind: UnitKind
    indicator: str
    target: Decimal  # a count, or a percentage for a share
    value: Decimal | None  # year to date (sum), or the percentage now (share); None: no data
    achieved: float | None  # value / target
    expected: float  # what ``achieved`` should be by the pace of the year
    status: TargetStatus | None  # None when there is no value to judge
    numerator: int | None = None  # share: enterprises saying yes
    denominator: int | None = None  # share: enterprises with such a unit

    @property
    def reached(self) -> bool:
        return self.achieved is not None and self.achieved >= 1


@dataclass(frozen=True)
class SuppressedCount:
    """A count over many enterprises where each enterprise's own count of 1–4 was hidden.

    ``visible`` adds up only the enterprises with 5 or more; ``hidden`` is how many enterprises
    had 1–4. Shown as: the number when nothing was hidden; "<5" when the only contribution is one
    hidden enterprise (the total is then that enterprise's count); otherwise "≥ N" with
    N = visible + hidden, a true lower bound. Nothing here reveals more than a table of the
    enterprises with "<5" in their cells would, and no hidden count can be recovered by
    subtracting shown figures from a shown total, because every total that has a hidden part is
    itself only a bound.
    """

    visible: int = 0
    hidden: int = 0

    @property
    def exact(self) -> bool:
        return self.hidden == 0

    @property
    def below_five(self) -> bool:
        return self.visible == 0 and self.hidden == 1

    @property
    def lower_bound(self) -> int:
        return self.visible + self.hidden

    def add(self, enterprise_count: int) -> SuppressedCount:
        """Add one enterprise's count, hiding it if it is 1–4."""
        if enterprise_count <= 0:
            return self
        if enterprise_count < SUPPRESS_BELOW:
            return SuppressedCount(self.visible, self.hidden + 1)
        return SuppressedCount(self.visible + enterprise_count, self.hidden)


@dataclass(frozen=True)
class ConcernLine:
    category: str  # a code from config/concerns.yaml; "" for the total
    label: Label
    new: SuppressedCount  # raised in the period
    answered: SuppressedCount  # answered in the period
    overdue: SuppressedCount  # unanswered past the escalation delay, as of ``today``


@dataclass(frozen=True)
class Digest:
    scope: Scope
    period: DigestPeriod
    today: date
    months_open: tuple[Period, ...]  # months of the period already open for reports
    elapsed_months: int  # months of the year counted for the targets' pace
    overall: Rate
    areas: tuple[AreaRate, ...]  # ranked, best first
    missing: tuple[MissingUnit, ...]  # by area, then code
    flows: tuple[FlowTotal, ...]  # in configuration order
    targets: tuple[TargetProgress, ...]
    concerns: tuple[ConcernLine, ...]  # configured categories first
    concerns_total: ConcernLine
    kind_labels: Mapping[UnitKind, Label]  # the indicator sets' names of the unit kinds
    # January to the last month counted for the targets: the one year-to-date span behind every
    # year-to-date figure of the digest (flows and targets alike).
    year_to_date: tuple[Period, ...] = ()
    headline: Headline = Headline()


# --- shared pieces --------------------------------------------------------------------------


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


def _ranked(rates: Iterable[tuple[_Area, Rate]]) -> tuple[AreaRate, ...]:
    """Best reporting rate first, then best on-time rate, then by name; equal rates share a
    rank (1, 2, 2, 4). Areas with nothing expected are not ranked."""
    ordered = sorted(
        ((area, rate) for area, rate in rates if rate.expected),
        key=lambda item: (
            -(item[1].reporting_rate or 0),
            -(item[1].on_time_rate or 0),
            item[0].direct,
            item[0].name,
        ),
    )
    result: list[AreaRate] = []
    previous: tuple[float | None, float | None] | None = None
    rank = 0
    for position, (area, rate) in enumerate(ordered, start=1):
        key = (rate.reporting_rate, rate.on_time_rate)
        if key != previous:
            rank = position
            previous = key
        result.append(
            AreaRate(area.node_id, area.code, area.name, area.kind, area.direct, rate, rank)
        )
    return tuple(result)


# --- flows ----------------------------------------------------------------------------------


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

    def total(self, months: Iterable[Period], kind: UnitKind, code: str) -> Decimal | None:
        months = list(months)
        if not any((month.key, kind) in self.present for month in months):
            return None
        total = sum(
            (self.sums.get((month.key, kind, code), Decimal(0)) for month in months),
            Decimal(0),
        )
        return _number(total)


async def _flow_sums(
    session: AsyncSession,
    scope_path: str,
    months: Iterable[Period],
    indicators: Sequence[_FlowIndicator],
) -> _FlowSums:
    result = _FlowSums()
    keys = sorted({month.key for month in months})
    if not keys or not indicators:
        return result
    wanted = {(i.unit_kind, i.code) for i in indicators}
    stmt = (
        select(
            Report.period,
            ReportingUnit.kind,
            ReportValue.indicator_code,
            func.sum(ReportValue.value).label("total"),
        )
        .select_from(ReportValue)
        .join(Report, Report.id == ReportValue.report_id)
        .join(ReportingUnit, ReportingUnit.id == Report.reporting_unit_id)
        .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
        .where(
            Report.period.in_(keys),
            OrgNode.path.startswith(scope_path, autoescape=True),
            ReportingUnit.kind.in_(sorted({kind for kind, _ in wanted})),
            ReportValue.indicator_code.in_(sorted({code for _, code in wanted})),
        )
        .group_by(Report.period, ReportingUnit.kind, ReportValue.indicator_code)
    )
    for row in await session.execute(stmt):
        kind = UnitKind(row.kind)
        if (kind, row.indicator_code) not in wanted:
            continue
        result.present.add((row.period, kind))
        result.sums[(row.period, kind, row.indicator_code)] = _number(row.total) or Decimal(0)
    return result


# --- headline stocks ------------------------------------------------------------------------


async def _stock_sums(
    session: AsyncSession,
    scope_path: str,
    through: Period,
    wanted: Iterable[tuple[UnitKind, str]],
) -> dict[tuple[UnitKind, str], Decimal]:
    """Per (unit kind, code): the sum over the subtree's active units of each unit's latest
    figure within SHARE_WINDOW_MONTHS up to ``through``, in two set-based steps (latest month
    per unit and code, then the sum). A kind and code no unit reported is absent."""
    wanted = set(wanted)
    if not wanted:
        return {}
    start = through.shift(-(SHARE_WINDOW_MONTHS - 1))
    latest = (
        select(
            Report.reporting_unit_id.label("unit_id"),
            ReportValue.indicator_code.label("code"),
            func.max(Report.period).label("period"),
        )
        .join(ReportValue, ReportValue.report_id == Report.id)
        .join(ReportingUnit, ReportingUnit.id == Report.reporting_unit_id)
        .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
        .where(
            ReportingUnit.active.is_(True),
            OrgNode.active.is_(True),
            ReportingUnit.kind.in_(sorted({kind for kind, _ in wanted})),
            OrgNode.path.startswith(scope_path, autoescape=True),
            ReportValue.indicator_code.in_(sorted({code for _, code in wanted})),
            ReportValue.value.is_not(None),
            Report.period >= start.key,
            Report.period <= through.key,
        )
        .group_by(Report.reporting_unit_id, ReportValue.indicator_code)
        .subquery()
    )
    stmt = (
        select(
            ReportingUnit.kind,
            ReportValue.indicator_code,
            func.sum(ReportValue.value).label("total"),
        )
        .select_from(latest)
        .join(
            Report,
            and_(Report.reporting_unit_id == latest.c.unit_id, Report.period == latest.c.period),
        )
        .join(
            ReportValue,
            and_(ReportValue.report_id == Report.id, ReportValue.indicator_code == latest.c.code),
        )
        .join(ReportingUnit, ReportingUnit.id == Report.reporting_unit_id)
        .group_by(ReportingUnit.kind, ReportValue.indicator_code)
    )
    sums: dict[tuple[UnitKind, str], Decimal] = {}
    for row in await session.execute(stmt):
        key = (UnitKind(row.kind), row.indicator_code)
        if key in wanted:
            sums[key] = _number(row.total) or Decimal(0)
    return sums


def _ratio(sums: Mapping[tuple[UnitKind, str], Decimal]) -> float | None:
    workers = sums.get(WORKERS)
    members = sums.get(UNION_MEMBERS)
    if not workers or members is None:
        return None
    return float(members / workers)


async def _headline(
    session: AsyncSession,
    scope_path: str,
    setup: ReportingSetup,
    period: DigestPeriod,
    months_open: Sequence[Period],
) -> Headline:
    labels = {
        (s.unit_kind, i.code): i.label
        for s in setup.indicators.sets
        for i in s.indicators
        if i.kind is IndicatorKind.STOCK
    }
    wanted = [key for key in HEADLINE_STOCKS if key in labels]
    if not months_open or not wanted:
        return Headline()
    now = await _stock_sums(session, scope_path, months_open[-1], wanted)
    before = await _stock_sums(session, scope_path, period.first.previous(), wanted)
    return Headline(
        stocks=tuple(
            StockTotal(
                kind, code, labels[(kind, code)], now.get((kind, code)), before.get((kind, code))
            )
            for kind, code in wanted
        ),
        density=_ratio(now),
        density_previous=_ratio(before),
    )


# --- who to call about a missing report -----------------------------------------------------


async def _officers(session: AsyncSession, scope_path: str) -> dict[int, tuple[Contact, ...]]:
    """The registered officers of every active unit of the subtree, by unit id: one query for
    the roles and one for the accounts, whatever the number of units."""
    rows = (
        await session.execute(
            select(RoleAssignment.reporting_unit_id, Person.id, Person.display_name)
            .join(Person, Person.id == RoleAssignment.person_id)
            .join(ReportingUnit, ReportingUnit.id == RoleAssignment.reporting_unit_id)
            .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
            .where(
                RoleAssignment.role == Role.OFFICER,
                RoleAssignment.revoked_at.is_(None),
                Person.revoked_at.is_(None),
                ReportingUnit.active.is_(True),
                OrgNode.path.startswith(scope_path, autoescape=True),
            )
            .order_by(RoleAssignment.reporting_unit_id, Person.display_name, Person.id)
        )
    ).all()
    if not rows:
        return {}
    channels: dict[int, list[str]] = defaultdict(list)
    accounts = await session.execute(
        select(ChannelAccount.person_id, ChannelAccount.channel, Person.preferred_channel)
        .join(Person, Person.id == ChannelAccount.person_id)
        .where(ChannelAccount.person_id.in_(sorted({row.id for row in rows})))
        .order_by(ChannelAccount.person_id, ChannelAccount.id)
    )
    for person_id, channel, preferred in accounts:
        known = channels[person_id]
        if channel in known:
            continue
        # The app they chose for reminders (/kenh) is where they read first.
        known.insert(0, channel) if channel == preferred else known.append(channel)
    by_unit: dict[int, list[Contact]] = defaultdict(list)
    for unit_id, person_id, name in rows:
        by_unit[unit_id].append(Contact(name, tuple(channels.get(person_id, ()))))
    return {unit_id: tuple(contacts) for unit_id, contacts in by_unit.items()}


# --- targets --------------------------------------------------------------------------------


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


async def _target_progress(
    session: AsyncSession,
    scope_path: str,
    targets: Sequence[Target],
    flows: _FlowSums,
    period: DigestPeriod,
    ytd: Sequence[Period],
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
            numerator, denominator = await _share(
                session, scope_path, measure.unit_kind, measure.indicator, through
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


# --- concerns -------------------------------------------------------------------------------


async def _concerns(
    session: AsyncSession,
    scope_path: str,
    period: DigestPeriod,
    config: ConcernConfig,
    today: date,
) -> tuple[tuple[ConcernLine, ...], ConcernLine]:
    """Counts per enterprise and category in one GROUP BY; suppressed per enterprise, then
    added up. Only dates, statuses and category codes are read: never a text.

    Only cases a notice batch has released (``released``), or sent before ``today`` (the
    local date): officers hear of a new case only at the batch times, and a committee member
    polling /tonghop must not learn sooner, from the first case of a category appearing at an
    enterprise, when it was written. Not ``notified``: an escalation resets it until the zone's
    next batch, and a released case must not drop out meanwhile; nor "escalated": a case to an
    enterprise without a union is escalated the moment it is sent. A case of an earlier day
    counts even if no batch ran (scheduler down): by midnight, what it reveals (its day, and
    "after the day's last batch") is what the next batch would tell anyway.
    """
    per_category: dict[str, list[SuppressedCount]] = defaultdict(
        lambda: [SuppressedCount(), SuppressedCount(), SuppressedCount()]
    )
    per_enterprise: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for enterprise_id, code_of_row, *counts in await concern_counts(
        session, scope_path, period, config, today
    ):
        cells = per_category[code_of_row]
        for index, count in enumerate(counts):
            cells[index] = cells[index].add(count)
            per_enterprise[enterprise_id][index] += count
    # The total hides each enterprise's own all-category count of 1–4, independently of its
    # per-category cells (an enterprise with 3 + 3 shows in the total, in no category).
    totals = [SuppressedCount(), SuppressedCount(), SuppressedCount()]
    for counts_of_enterprise in per_enterprise.values():
        for index, count in enumerate(counts_of_enterprise):
            totals[index] = totals[index].add(count)

    lines = []
    configured = [category.code for category in config.categories]
    for code in configured + sorted(set(per_category) - set(configured)):
        category = config.category(code)
        label = category.label if category is not None else Label(vi=code, en=code)
        cells = per_category.get(code) or [SuppressedCount()] * 3
        lines.append(ConcernLine(code, label, *cells))
    total = ConcernLine("", Label(vi="Tổng", en="Total"), *totals)
    return tuple(lines), total


async def concern_counts(
    session: AsyncSession,
    scope_path: str,
    period: DigestPeriod,
    config: ConcernConfig,
    today: date,
) -> list[tuple[int, str, int, int, int]]:
    """(enterprise id, category, new, answered, overdue) of the cases the digest counts, exact
    and NOT suppressed: the caller suppresses (``SuppressedCount.add``) before showing any.
    The rules of what counts are ``_concerns``'s (the digest and the office console share
    them)."""
    first, last = period.first.first_day, period.last.last_day
    released = or_(Concern.released.is_(True), Concern.created_on < today)
    cutoff = today - timedelta(days=config.escalate_after_days)
    is_new = and_(Concern.created_on >= first, Concern.created_on <= last)
    is_answered = and_(
        Concern.answered_on.is_not(None),
        Concern.answered_on >= first,
        Concern.answered_on <= last,
    )
    is_overdue = and_(
        Concern.status.not_in([ConcernStatus.ANSWERED, ConcernStatus.CLOSED]),
        or_(Concern.overdue.is_(True), Concern.created_on <= cutoff),
    )
    stmt = (
        select(
            Concern.enterprise_id,
            Concern.category,
            func.sum(case((is_new, 1), else_=0)).label("new"),
            func.sum(case((is_answered, 1), else_=0)).label("answered"),
            func.sum(case((is_overdue, 1), else_=0)).label("overdue"),
        )
        .join(OrgNode, OrgNode.id == Concern.enterprise_id)
        .where(
            OrgNode.path.startswith(scope_path, autoescape=True),
            released,
            or_(is_new, is_answered, is_overdue),
        )
        .group_by(Concern.enterprise_id, Concern.category)
    )
    return [
        (
            row.enterprise_id,
            row.category,
            int(row.new or 0),
            int(row.answered or 0),
            int(row.overdue or 0),
        )
        for row in await session.execute(stmt)
    ]


# --- the digest -----------------------------------------------------------------------------


async def build_digest(
    session: AsyncSession,
    *,
    node_id: int,
    period: DigestPeriod,
    setup: ReportingSetup,
    targets: TargetConfig,
    concern_config: ConcernConfig,
    today: date,
) -> Digest:
    """The digest of the subtree under ``node_id`` for ``period``, as of ``today`` (the local
    date in Asia/Ho_Chi_Minh). Reads only; the caller checks the reader may see this node."""
    scope, scope_path = await _scope(session, node_id)
    months_open = _months_open(period, setup, today)
    # Months of the year the targets' pace counts: up to the last month already open, or the
    # months before the period when none of it is open yet.
    elapsed = months_open[-1].month if months_open else period.first.month - 1

    statuses = await _unit_statuses(session, scope_path, months_open, _reporting_kinds(setup))
    areas = await _areas(session, scope)
    by_area: dict[int, tuple[_Area, Rate]] = {}
    missing: list[MissingUnit] = []
    overall = Rate(0, 0, 0)
    for status in statuses:
        area = _area_of(status, scope_path, areas)
        rate = Rate(sum(status.expected), sum(status.reported), status.on_time)
        overall += rate
        known = by_area.get(area.node_id)
        by_area[area.node_id] = (area, known[1] + rate if known else rate)
        if status.expected != status.reported:
            months = tuple(
                m
                for m, done, due in zip(months_open, status.reported, status.expected, strict=True)
                if due and not done
            )
            missing.append(
                MissingUnit(
                    status.unit_id,
                    status.code,
                    status.name,
                    status.kind,
                    area.code,
                    area.name,
                    months,
                )
            )
    missing.sort(key=lambda unit: (unit.area_name, unit.code))

    if missing:
        officers = await _officers(session, scope_path)
        missing = [
            dataclasses.replace(unit, officers=officers.get(unit.unit_id, ())) for unit in missing
        ]

    indicators = _flow_indicators(setup)
    previous = period.previous()
    last_year = period.same_period_last_year()
    # The one year-to-date span: the same months the targets' pace counts.
    ytd = tuple(Period(period.year, month) for month in range(1, elapsed + 1))
    ytd_last_year = tuple(month.shift(-12) for month in ytd)
    flow_sums = await _flow_sums(
        session,
        scope_path,
        {*period.months, *ytd, *ytd_last_year, *previous.months, *last_year.months},
        indicators,
    )
    flows = tuple(
        FlowTotal(
            unit_kind=i.unit_kind,
            set_label=i.set_label,
            code=i.code,
            label=i.label,
            unit=i.unit,
            current=flow_sums.total(period.months, i.unit_kind, i.code),
            previous=flow_sums.total(previous.months, i.unit_kind, i.code),
            last_year=flow_sums.total(last_year.months, i.unit_kind, i.code),
            year_to_date=flow_sums.total(ytd, i.unit_kind, i.code),
            year_to_date_last_year=flow_sums.total(ytd_last_year, i.unit_kind, i.code),
        )
        for i in indicators
    )

    chosen = targets.for_node(scope.code, scope.kind, period.year)
    progress = await _target_progress(session, scope_path, chosen, flow_sums, period, ytd)
    concern_lines, concern_total = await _concerns(
        session, scope_path, period, concern_config, today
    )
    return Digest(
        scope=scope,
        period=period,
        today=today,
        months_open=months_open,
        elapsed_months=elapsed,
        overall=overall,
        areas=_ranked(by_area.values()),
        missing=tuple(missing),
        flows=flows,
        targets=progress,
        concerns=concern_lines,
        concerns_total=concern_total,
        kind_labels={s.unit_kind: s.label for s in setup.indicators.sets},
        year_to_date=ytd,
        headline=await _headline(session, scope_path, setup, period, months_open),
    )


# --- the spreadsheet's rows -----------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorColumn:
    unit_kind: UnitKind
    set_label: Label
    code: str
    label: Label
    kind: IndicatorKind


@dataclass(frozen=True)
class UnitRow:
    unit_id: int
    code: str
    name: str
    kind: UnitKind
    set_label: Label
    area_name: str
    place_name: str
    months_open: int
    months_reported: int
    months_late: int
    # By indicator code: the period's sum for a flow, the latest month's value otherwise;
    # None for an optional item skipped. Absent: not reported.
    values: Mapping[str, Decimal | None]


@dataclass(frozen=True)
class UnitTable:
    columns: tuple[IndicatorColumn, ...]
    rows: tuple[UnitRow, ...]


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
            )
        )
    rows.sort(key=lambda row: (row.area_name, row.code))
    return UnitTable(columns, tuple(rows))
