"""Internal to the reporting package: the checks and renderings every use case shares.

Who may report for a unit now and whether the month is open (re-checked at every step, from the
database); how a typed value is read, bounded and doubted ("is that right?"); how a draft's
answers are stored in its JSON column and rendered as a ``DraftView``. The chat's steps, the
submission and the web form all go through these, so the ways in cannot drift apart. Nothing
here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    OrgNode,
    Person,
    Report,
    ReportDraft,
    ReportingUnit,
    ReportUnlock,
    ReportValue,
    Role,
    RoleAssignment,
)
from services.indicators import Indicator, IndicatorKind, IndicatorSet, jump_exceeded
from services.numbers import parse_count, parse_decimal, parse_yes_no
from services.periods import Period, PeriodState, state_on
from services.reporting import reviewing
from services.reporting.config import ReportingSetup, indicator_set_of, local_date
from services.reporting.errors import (
    NotAnOfficer,
    OutOfBounds,
    PeriodLocked,
    PeriodNotOpen,
    TooHigh,
    TooLow,
)
from services.reporting.views import AnswerLine, Check, DraftView, PendingJump, Question

# The longest reason an officer gives for a big change or an amendment.
MAX_REASON = 300


# --- who may report, and when ---------------------------------------------------------------


def first_period(unit: ReportingUnit) -> Period | None:
    return Period.from_key(unit.first_period) if unit.first_period else None


async def require_officer(session: AsyncSession, person_id: int, unit_id: int) -> ReportingUnit:
    """The unit, if the person is an active officer of it now (one statement: every step)."""
    unit: ReportingUnit | None = await session.scalar(
        select(ReportingUnit)
        .join(RoleAssignment, RoleAssignment.reporting_unit_id == ReportingUnit.id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(
            ReportingUnit.id == unit_id,
            ReportingUnit.active.is_(True),
            RoleAssignment.person_id == person_id,
            RoleAssignment.role == Role.OFFICER,
            RoleAssignment.revoked_at.is_(None),
            Person.revoked_at.is_(None),
        )
        .limit(1)
    )
    if unit is None:
        raise NotAnOfficer()
    return unit


async def unlocked_until(session: AsyncSession, unit_id: int, period: Period) -> datetime | None:
    until: datetime | None = await session.scalar(
        select(ReportUnlock.until).where(
            ReportUnlock.reporting_unit_id == unit_id, ReportUnlock.period == period.key
        )
    )
    return until


async def check_open(
    session: AsyncSession, unit_id: int, period: Period, setup: ReportingSetup, now: datetime
) -> None:
    state = state_on(period, local_date(now, setup), setup.calendar)
    if state is PeriodState.NOT_OPEN:
        raise PeriodNotOpen()
    if state is PeriodState.LOCKED:
        until = await unlocked_until(session, unit_id, period)
        if (until is None or until <= now) and not await reviewing.is_returned(
            session, unit_id, period
        ):
            raise PeriodLocked()


# --- a draft and the values it is checked against --------------------------------------------


@dataclass
class Loaded:
    """A draft locked for one step, with what every check of the step needs."""

    draft: ReportDraft
    indicator_set: IndicatorSet
    unit_name: str
    last: dict[str, Decimal | None]  # last month's values, read once per step

    def view(self) -> DraftView:
        return render(self.draft, self.unit_name, self.indicator_set, self.last)


# --- reading and doubting a value -----------------------------------------------------------


def parse_value(indicator: Indicator, text: str) -> Decimal:
    if indicator.kind is IndicatorKind.YES_NO:
        return Decimal(1 if parse_yes_no(text) else 0)
    if indicator.kind is IndicatorKind.PERCENT:
        return parse_decimal(text)
    return Decimal(parse_count(text))


def check_bounds(indicator: Indicator, value: Decimal) -> None:
    low, high = indicator.min, indicator.max
    if indicator.kind is IndicatorKind.YES_NO:
        return
    if low is not None and high is not None and not low <= value <= high:
        raise OutOfBounds(low=low, high=high)
    if low is not None and value < low:
        raise TooLow(low=low)
    if high is not None and value > high:
        raise TooHigh(high=high)


def known_values(draft: ReportDraft) -> dict[str, Decimal | None]:
    return {code: decode_value(entry.get("v")) for code, entry in draft.answers.items()}


async def reason_to_doubt(
    session: AsyncSession,
    loaded: Loaded,
    indicator: Indicator,
    value: Decimal,
    setup: ReportingSetup,
) -> tuple[Check, Decimal | None] | None:
    """Why this figure deserves "is that right?", or None. A stock (or a flow given its own
    threshold) far from last month's; a flow many times last month's, or above the workers of
    the unit: "1 500 initiatives" after 1 is a typo far more often than a fact."""
    config = setup.indicators
    last = loaded.last.get(indicator.code)
    if jump_exceeded(indicator, config.jump_threshold, value, last):
        return Check.JUMP, None
    if indicator.kind is not IndicatorKind.FLOW:
        return None
    check = config.flow_check
    if check.times_last_month is not None and last is not None:
        times = Decimal(str(check.times_last_month))
        # A month with none counts as one: 0 then 40 dialogues is as doubtful as 1 then 40.
        if value > times * max(last, Decimal(1)):
            return Check.TIMES, times
    if check.above_workers:
        workers = await _workers(session, loaded, check.workers_indicator)
        if workers is not None and value > workers:
            return Check.WORKERS, workers
    return None


async def _workers(session: AsyncSession, loaded: Loaded, code: str | None) -> Decimal | None:
    """The unit's workers where known: the figure typed earlier in this report (a trade union
    reports its workers first), else the enterprise's count from the organisation file."""
    if code is not None:
        typed = known_values(loaded.draft).get(code)
        if typed is not None:
            return typed
    count = await session.scalar(
        select(OrgNode.worker_count)
        .join(ReportingUnit, ReportingUnit.org_node_id == OrgNode.id)
        .where(ReportingUnit.id == loaded.draft.reporting_unit_id)
    )
    return None if count is None else Decimal(count)


# --- the view of a draft ---------------------------------------------------------------------


async def last_values(session: AsyncSession, draft: ReportDraft) -> dict[str, Decimal | None]:
    previous = Period.from_key(draft.period).previous()
    rows = await session.execute(
        select(ReportValue.indicator_code, ReportValue.value)
        .join(Report, Report.id == ReportValue.report_id)
        .where(Report.reporting_unit_id == draft.reporting_unit_id, Report.period == previous.key)
    )
    return {code: value for code, value in rows.all()}


async def draft_view(session: AsyncSession, draft: ReportDraft, unit_name: str) -> DraftView:
    indicator_set = await indicator_set_of(session, draft.indicator_set_version_id)
    return render(draft, unit_name, indicator_set, await last_values(session, draft))


def render(
    draft: ReportDraft,
    unit_name: str,
    indicator_set: IndicatorSet,
    last: dict[str, Decimal | None],
) -> DraftView:
    """The view of a draft from what is already loaded: no database access."""
    total = len(indicator_set.indicators)
    values = known_values(draft)
    question = None
    pending = None
    if draft.step < total:
        indicator = indicator_set.indicators[draft.step]
        previous = last.get(indicator.code)
        stocks = [i for i in indicator_set.indicators if i.kind is IndicatorKind.STOCK]
        question = Question(
            index=draft.step + 1,
            total=total,
            indicator=indicator,
            last_value=previous,
            current=values.get(indicator.code),
            can_keep_last=indicator.kind is IndicatorKind.STOCK and previous is not None,
            can_skip=not indicator.required,
            can_go_back=draft.step > 0 or draft.returning_to_review,
            editing=draft.returning_to_review,
            # Beside "keep last month's" only when it keeps something else.
            can_keep_entered=indicator.code in draft.answers
            and not (
                indicator.kind is IndicatorKind.STOCK
                and previous is not None
                and values.get(indicator.code) == previous
            ),
            can_keep_all_stocks=(
                draft.amending_report_id is None
                and indicator.kind is IndicatorKind.STOCK
                and not any(i.code in draft.answers for i in stocks)
                and sum(last.get(i.code) is not None for i in stocks) > 1
            ),
        )
        if draft.pending is not None:
            check = Check(draft.pending.get("check") or Check.JUMP)
            if check is not Check.JUMP or previous is not None:
                pending = PendingJump(
                    indicator,
                    previous,
                    decode_value(draft.pending["v"]) or Decimal(0),
                    check,
                    decode_value(draft.pending.get("limit")),
                )
    return DraftView(
        draft_id=draft.id,
        unit_id=draft.reporting_unit_id,
        unit_name=unit_name,
        period=Period.from_key(draft.period),
        step=draft.step,
        total=total,
        question=question,
        pending=pending,
        answers=answer_lines(indicator_set, values, draft.answers),
        amending=draft.amending_report_id is not None,
    )


def answer_lines(
    indicator_set: IndicatorSet, values: dict[str, Decimal | None], answers: dict[str, Any]
) -> list[AnswerLine]:
    return [
        AnswerLine(
            index=number,
            indicator=indicator,
            value=values.get(indicator.code),
            note=(answers.get(indicator.code) or {}).get("note"),
            answered=indicator.code in answers,
            same_as_last=bool((answers.get(indicator.code) or {}).get("same")),
        )
        for number, indicator in enumerate(indicator_set.indicators, start=1)
    ]


# JSON holds a draft's answers as text, so that a decimal survives exactly.


def encode_value(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def decode_value(text: object) -> Decimal | None:
    return None if text is None else Decimal(str(text))
