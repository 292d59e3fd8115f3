"""What the reporting use cases return: frozen views of drafts, questions, receipts, statuses.

Plain values, no session and no Telegram: the chat handlers and the web form render them, and a
view never changes the data it was made from.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from models import UnitKind
from services.indicators import Indicator
from services.periods import Period, PeriodState


@dataclass(frozen=True)
class UnitChoice:
    unit_id: int
    code: str
    name: str
    kind: UnitKind
    first_period: Period | None = None  # months before it are not asked of the unit


@dataclass(frozen=True)
class PeriodChoice:
    period: Period
    state: PeriodState
    due: date
    submitted: bool
    late: bool
    unlocked: bool
    draft_progress: tuple[int, int] | None  # (answered, total)


@dataclass(frozen=True)
class Question:
    index: int  # 1-based
    total: int
    indicator: Indicator
    last_value: Decimal | None
    current: Decimal | None
    can_keep_last: bool
    can_skip: bool
    can_go_back: bool
    # Changing one item from the review: "back" returns to the review, not to the item before.
    editing: bool = False
    # The item already has an answer (changing it from the review, or after going back): it can
    # be kept as it is, without typing it again.
    can_keep_entered: bool = False
    # The first total (stock) of a fresh report: every total can be copied from last month at
    # once, in a month when nothing changed; the flows are still asked.
    can_keep_all_stocks: bool = False


@dataclass(frozen=True)
class AnswerLine:
    index: int
    indicator: Indicator
    value: Decimal | None
    note: str | None
    answered: bool
    same_as_last: bool = False  # copied with "nothing changed since last month"


class Check(enum.StrEnum):
    """Why a figure is asked "is that right?"."""

    JUMP = "jump"  # changed by more than its threshold against last month
    TIMES = "times"  # a flow more than N times last month's
    WORKERS = "workers"  # a flow above the unit's number of workers


@dataclass(frozen=True)
class PendingJump:
    indicator: Indicator
    last: Decimal | None
    new: Decimal
    check: Check = Check.JUMP
    limit: Decimal | None = None  # TIMES: the factor; WORKERS: the workers


@dataclass(frozen=True)
class DraftView:
    draft_id: int
    unit_id: int
    unit_name: str
    period: Period
    step: int
    total: int
    question: Question | None  # None: the review screen
    pending: PendingJump | None
    answers: list[AnswerLine]
    amending: bool
    # Set when the report is opened after its due day: it will be recorded late.
    overdue_since: date | None = None


@dataclass(frozen=True)
class Receipt:
    report_id: int
    unit_name: str
    period: Period
    submitted_at: datetime
    submitted_by: str
    late: bool
    revision: int  # 1: as first sent; +1 at every amendment
    changes: int
    lines: list[AnswerLine]

    @property
    def amendment(self) -> int:
        """People count amendments, not versions: the first change is "sửa lần 1"."""
        return self.revision - 1


@dataclass(frozen=True)
class SentReport:
    """What an officer coming back to a month already reported is told about it."""

    report_id: int
    unit_id: int
    unit_name: str
    period: Period
    submitted_at: datetime
    submitted_by: str
    revision: int

    @property
    def amendments(self) -> int:
        return self.revision - 1


class StatusKind(enum.StrEnum):
    SUBMITTED = "submitted"
    SUBMITTED_LATE = "submitted_late"
    IN_PROGRESS = "in_progress"
    DUE = "due"
    OVERDUE = "overdue"
    MISSING = "missing"  # locked and never submitted
    NOT_OPEN = "not_open"


@dataclass(frozen=True)
class PeriodStatus:
    period: Period
    kind: StatusKind
    due: date
    submitted_at: datetime | None
    lock: date | None = None  # the first day it can no longer be sent or changed
    opens: date | None = None
    locked: bool = False  # the lock day has come (and the office has not reopened it)


@dataclass(frozen=True)
class PeriodDates:
    """The days that matter for one month: opens, due (later is late), locks."""

    period: Period
    opens: date
    due: date
    lock: date


@dataclass(frozen=True)
class UnitStatus:
    unit: UnitChoice
    periods: list[PeriodStatus]


@dataclass(frozen=True)
class Unlocked:
    """A reopened period, and who should hear of it: the unit's officers."""

    unit_id: int
    unit_name: str
    period: Period
    until: datetime
    officer_ids: list[int]
