"""What a digest and the spreadsheet hold: frozen views the handlers render. Counts of concerns
are ``SuppressedCount``s: an enterprise's count of 1–4 is hidden before anything is added up,
and no total that has a hidden part is ever shown as exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from models import NodeKind, UnitKind
from services.digests.periods import DigestPeriod
from services.indicators import IndicatorKind, Label
from services.periods import Period
from services.polls.results import PollResults
from services.suppression import SuppressedCount
from services.targets import MeasureKind, TargetStatus

# Counts of concerns per enterprise below this are never shown (docs/architecture.md).


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
    approved: int = 0  # of the submitted, approved by the level above (when reviewed)

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

    @property
    def approved_rate(self) -> float | None:
        return self.approved / self.expected if self.expected else None

    def __add__(self, other: Rate) -> Rate:
        return Rate(
            self.expected + other.expected,
            self.submitted + other.submitted,
            self.on_time + other.on_time,
            self.approved + other.approved,
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
    # Of ``current`` and ``year_to_date``, the part in reports the level above approved; None
    # when this unit kind is not reviewed (or nothing was reported).
    approved: Decimal | None = None
    year_to_date_approved: Decimal | None = None


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
    # The months before the period too, for the dashboard's charts; only when asked for
    # (``build_digest(trend_months=…)``), None otherwise.
    trend: Trend | None = None
    # Results of the workers' polls of this scope that closed in the period (services/polls):
    # already suppressed there; empty when there were none.
    polls: tuple[PollResults, ...] = ()
    # Some unit kinds are reviewed by the level above: rates carry ``approved`` counts.
    reviewed: bool = False


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
    # Months of the period whose report the level above approved; None: not reviewed.
    months_approved: int | None = None


@dataclass(frozen=True)
class UnitTable:
    columns: tuple[IndicatorColumn, ...]
    rows: tuple[UnitRow, ...]


@dataclass(frozen=True)
class TrendSeries:
    """One indicator month by month over ``Trend.months``. None: no unit of its kind reported
    it in that month (a flow), or within the window up to it (a stock)."""

    unit_kind: UnitKind
    code: str
    label: Label
    kind: IndicatorKind
    values: tuple[Decimal | None, ...]


@dataclass(frozen=True)
class Trend:
    """The months up to the period's last open month, oldest first, each by the digest's own
    definitions: the reporting and on-time rates of that month, the headline stocks as the
    digest of that month would show them (each unit's latest figure within SHARE_WINDOW_MONTHS),
    the union density, and the main flows' monthly totals."""

    months: tuple[Period, ...]
    reporting: tuple[Rate, ...]
    stocks: tuple[TrendSeries, ...]
    density: tuple[float | None, ...]
    flows: tuple[TrendSeries, ...]
