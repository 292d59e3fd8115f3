"""Monthly reports: choosing unit and period, answering, review, submit, amend, status.

Every answered step is committed to the draft row, so a restart loses nothing. Every call
re-checks on the server who owns the draft, that the caller still serves the unit, and that the
step a button belongs to is the current one: callback data is only ever a hint.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    IndicatorSetVersion,
    OrgNode,
    Person,
    Report,
    ReportChange,
    ReportDraft,
    ReportingUnit,
    ReportUnlock,
    ReportValue,
    Role,
    RoleAssignment,
    UnitKind,
)
from services import audit
from services.errors import DomainError, NotFound, PermissionDenied
from services.indicators import (
    Indicator,
    IndicatorConfig,
    IndicatorKind,
    IndicatorSet,
    RuleViolation,
    fingerprint,
    jump_exceeded,
    rules_touching,
    snapshot,
    violated_rules,
)
from services.numbers import parse_count, parse_decimal, parse_yes_no
from services.periods import (
    Period,
    PeriodState,
    ReportingCalendar,
    due_date,
    is_late,
    lock_date,
    open_date,
    open_periods,
    state_on,
)

MAX_REASON = 300


# --- errors ---------------------------------------------------------------------------------


class NotAnOfficer(PermissionDenied):
    message = "You are not (or no longer) an officer of this unit."


class NoReportingSet(DomainError):
    message = "No indicators are configured for this kind of unit yet."


class PeriodLocked(DomainError):
    message = "This period is locked. Only an administrator can reopen it."


class PeriodNotOpen(DomainError):
    message = "This period is not open for reporting."


class DraftHeldByOther(DomainError):
    message = "{owner} started this report on {since} and is still working on it."


class DraftTakenOver(DomainError):
    message = "{owner} has taken over this report. Nothing was changed."


class StaleAction(DomainError):
    message = "This button belongs to an earlier step. Nothing was changed."


class DraftGone(DomainError):
    message = "This report is no longer in progress."


class AlreadySubmitted(DomainError):
    message = "This report was already submitted on {when}. Nothing was sent twice."


class ReportAlreadySent(DomainError):
    """The month's report is in and the officer has not (yet) asked to change it: nothing was
    opened, so no stray amendment draft is left behind."""

    message = "This month's report was already sent."

    def __init__(self, sent: SentReport) -> None:
        super().__init__()
        self.sent = sent


class MissingRequired(DomainError):
    message = "Please answer every required item first: {items}."


class OutOfBounds(DomainError):
    message = "The value must be between {low} and {high}."


class TooLow(DomainError):
    message = "The value must be at least {low}."


class TooHigh(DomainError):
    message = "The value must be at most {high}."


class CannotKeep(DomainError):
    message = "There is no value from last month to keep."


class CannotSkip(DomainError):
    message = "This item is required and cannot be skipped."


class NothingEntered(DomainError):
    message = "This item has no answer yet to keep."


class NothingToKeep(DomainError):
    message = "Last month has no totals to copy."


class NothingChanged(DomainError):
    """An amendment identical to the report sent: refused, and its draft (a copy of the report,
    so nothing is lost) deleted, rather than a revision that changes nothing."""

    message = (
        "Nothing differs from the report already sent, so nothing was saved. The report stays "
        "as it was sent."
    )


class BeforeFirstPeriod(DomainError):
    message = "This unit reports from {first} on; earlier months are not asked of it."


class ReasonRequired(DomainError):
    message = "Please write a short reason (up to {limit} characters)."


class RuleBroken(DomainError):
    """A cross-field rule from the indicator YAML; its message is the rule's own label."""

    message = "A rule of the indicator set is broken."

    def __init__(self, violation: RuleViolation) -> None:
        super().__init__()
        self.violation = violation


# --- configuration --------------------------------------------------------------------------


@dataclass
class ReportingSetup:
    """Indicator sets and calendar, loaded once at start; version ids cached by fingerprint."""

    indicators: IndicatorConfig
    calendar: ReportingCalendar
    zone: ZoneInfo
    _version_ids: dict[str, int] = field(default_factory=dict)


# Rows never change once written; keyed by database too, since row ids are only unique within
# one (tests and benchmarks use several in one process; SQLite reuses ids of emptied tables).
_sets_by_version: dict[tuple[str, int], IndicatorSet] = {}


async def current_version_id(session: AsyncSession, setup: ReportingSetup, kind: UnitKind) -> int:
    """The stored version of this kind's current set, stored now if the YAML changed."""
    indicator_set = setup.indicators.for_kind(kind)
    if indicator_set is None:
        raise NoReportingSet()
    print_ = fingerprint(indicator_set)
    if print_ in setup._version_ids:
        return setup._version_ids[print_]
    version_id = await session.scalar(
        select(IndicatorSetVersion.id).where(IndicatorSetVersion.fingerprint == print_)
    )
    if version_id is None:
        row = IndicatorSetVersion(
            unit_kind=kind,
            fingerprint=print_,
            config_version=setup.indicators.version,
            definition=snapshot(indicator_set),
        )
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another instance stored the same version first
            version_id = await session.scalar(
                select(IndicatorSetVersion.id).where(IndicatorSetVersion.fingerprint == print_)
            )
        else:
            # Not remembered yet: until the caller commits, no other transaction can see the
            # row (a second officer's draft pointing at it broke the foreign key on PostgreSQL),
            # and the caller may still roll it back. The next call reads it back and keeps it.
            return row.id
    assert version_id is not None
    setup._version_ids[print_] = version_id
    return version_id


def forget_cached_sets() -> None:
    """For tests that empty the tables between cases (the cache assumes rows live forever)."""
    _sets_by_version.clear()


async def indicator_set_of(session: AsyncSession, version_id: int) -> IndicatorSet:
    key = (str(session.get_bind().engine.url), version_id)
    if key not in _sets_by_version:
        definition = await session.scalar(
            select(IndicatorSetVersion.definition).where(IndicatorSetVersion.id == version_id)
        )
        if definition is None:
            raise NotFound()
        _sets_by_version[key] = IndicatorSet.model_validate(definition)
    return _sets_by_version[key]


# --- what the handlers show -----------------------------------------------------------------


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


# --- access ---------------------------------------------------------------------------------


async def units_for(session: AsyncSession, person_id: int) -> list[UnitChoice]:
    rows = await session.scalars(
        select(ReportingUnit)
        .join(RoleAssignment, RoleAssignment.reporting_unit_id == ReportingUnit.id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(
            RoleAssignment.person_id == person_id,
            RoleAssignment.role == Role.OFFICER,
            RoleAssignment.revoked_at.is_(None),
            Person.revoked_at.is_(None),
            ReportingUnit.active.is_(True),
        )
        .order_by(ReportingUnit.name)
    )
    return [UnitChoice(u.id, u.code, u.name, u.kind, _first_period(u)) for u in rows.unique()]


def _first_period(unit: ReportingUnit) -> Period | None:
    return Period.from_key(unit.first_period) if unit.first_period else None


async def _require_officer(session: AsyncSession, person_id: int, unit_id: int) -> ReportingUnit:
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


async def _unlocked_until(session: AsyncSession, unit_id: int, period: Period) -> datetime | None:
    until: datetime | None = await session.scalar(
        select(ReportUnlock.until).where(
            ReportUnlock.reporting_unit_id == unit_id, ReportUnlock.period == period.key
        )
    )
    return until


async def _check_open(
    session: AsyncSession, unit_id: int, period: Period, setup: ReportingSetup, now: datetime
) -> None:
    state = state_on(period, local_date(now, setup), setup.calendar)
    if state is PeriodState.NOT_OPEN:
        raise PeriodNotOpen()
    if state is PeriodState.LOCKED:
        until = await _unlocked_until(session, unit_id, period)
        if until is None or until <= now:
            raise PeriodLocked()


def local_date(now: datetime, setup: ReportingSetup) -> date:
    """Deadlines are days in Vietnam, whatever the server's clock says."""
    return now.astimezone(setup.zone).date()


# --- choosing -------------------------------------------------------------------------------


async def periods_for(
    session: AsyncSession, person_id: int, unit_id: int, setup: ReportingSetup, now: datetime
) -> list[PeriodChoice]:
    """Periods the officer can report or amend now, newest first."""
    unit = await _require_officer(session, person_id, unit_id)
    calendar = setup.calendar
    today = local_date(now, setup)
    first = _first_period(unit)
    periods = {p for p in open_periods(today, calendar) if first is None or p >= first}
    unlocks = await session.scalars(
        select(ReportUnlock.period).where(
            ReportUnlock.reporting_unit_id == unit_id, ReportUnlock.until > now
        )
    )
    # A month the office reopened is offered even before the first month: it was asked for.
    periods |= {Period.from_key(key) for key in unlocks}
    keys = [p.key for p in periods]
    reports = {
        r.period: r
        for r in await session.scalars(
            select(Report).where(Report.reporting_unit_id == unit_id, Report.period.in_(keys))
        )
    }
    drafts = {
        d.period: d
        for d in await session.scalars(
            select(ReportDraft).where(
                ReportDraft.reporting_unit_id == unit_id, ReportDraft.period.in_(keys)
            )
        )
    }
    choices = []
    for period in sorted(periods, reverse=True):
        draft = drafts.get(period.key)
        progress = None
        if draft is not None:
            total = len(
                (await indicator_set_of(session, draft.indicator_set_version_id)).indicators
            )
            progress = (min(draft.step, total), total)
        report = reports.get(period.key)
        choices.append(
            PeriodChoice(
                period=period,
                state=state_on(period, today, calendar),
                due=due_date(period, calendar),
                submitted=report is not None,
                late=report.late if report else False,
                unlocked=period.key not in {p.key for p in open_periods(today, calendar)},
                draft_progress=progress,
            )
        )
    return choices


async def open_draft(
    session: AsyncSession,
    *,
    person_id: int,
    unit_id: int,
    period: Period,
    setup: ReportingSetup,
    now: datetime,
    takeover: bool = False,
    amend: bool = False,
) -> DraftView:
    """Resume this unit's draft for the period, take it over, or start one. When the report
    was already submitted, the new draft is an amendment, and only if ``amend`` (the officer
    chose to change the report): else ``ReportAlreadySent`` says when and by whom it was sent."""
    unit = await _require_officer(session, person_id, unit_id)
    await _check_open(session, unit_id, period, setup, now)
    first = _first_period(unit)
    if first is not None and period < first:
        until = await _unlocked_until(session, unit_id, period)
        if until is None or until <= now:
            raise BeforeFirstPeriod(first=first)
    draft = await _draft_for(session, unit_id, period)
    if draft is not None and draft.owner_person_id != person_id:
        if not takeover:
            owner = await session.get(Person, draft.owner_person_id)
            raise DraftHeldByOther(
                owner=owner.display_name if owner else "?", since=draft.updated_at
            )
        audit.record(
            session,
            actor=f"person:{person_id}",
            action="report.takeover",
            entity="report_draft",
            entity_id=draft.id,
            previous_owner=draft.owner_person_id,
        )
        draft.owner_person_id = person_id
        await session.commit()
    if draft is None:
        draft = await _new_draft(session, person_id, unit, period, setup, amend=amend)
    view = await _view(session, draft, unit.name)
    if draft.amending_report_id is None and is_late(period, local_date(now, setup), setup.calendar):
        # Said before the first question, not only on the receipt: the officer may prefer to
        # call the office first.
        view = replace(view, overdue_since=due_date(period, setup.calendar))
    return view


async def _draft_for(session: AsyncSession, unit_id: int, period: Period) -> ReportDraft | None:
    draft: ReportDraft | None = await session.scalar(
        select(ReportDraft).where(
            ReportDraft.reporting_unit_id == unit_id, ReportDraft.period == period.key
        )
    )
    return draft


async def _new_draft(
    session: AsyncSession,
    person_id: int,
    unit: ReportingUnit,
    period: Period,
    setup: ReportingSetup,
    *,
    amend: bool,
) -> ReportDraft:
    report = await session.scalar(
        select(Report).where(Report.reporting_unit_id == unit.id, Report.period == period.key)
    )
    if report is not None and not amend:
        sender = await session.get(Person, report.submitted_by_person_id)
        raise ReportAlreadySent(
            SentReport(
                report_id=report.id,
                unit_id=unit.id,
                unit_name=unit.name,
                period=period,
                submitted_at=report.submitted_at,
                submitted_by=sender.display_name if sender else "?",
                revision=report.revision,
            )
        )
    if report is None:
        version_id = await current_version_id(session, setup, unit.kind)
        answers: dict[str, Any] = {}
        step = 0
    else:
        # An amendment starts from what was submitted, on the review screen.
        version_id = report.indicator_set_version_id
        values = await session.scalars(
            select(ReportValue).where(ReportValue.report_id == report.id)
        )
        answers = {v.indicator_code: {"v": _text(v.value), "note": v.note} for v in values}
        step = len((await indicator_set_of(session, version_id)).indicators)
    draft = ReportDraft(
        reporting_unit_id=unit.id,
        period=period.key,
        indicator_set_version_id=version_id,
        started_by_person_id=person_id,
        owner_person_id=person_id,
        amending_report_id=report.id if report else None,
        step=step,
        answers=answers,
    )
    try:
        async with session.begin_nested():
            session.add(draft)
    except IntegrityError:
        # Another officer of the unit started the same draft a moment earlier.
        existing = await _draft_for(session, unit.id, period)
        assert existing is not None
        owner = await session.get(Person, existing.owner_person_id)
        raise DraftHeldByOther(
            owner=owner.display_name if owner else "?", since=existing.updated_at
        ) from None
    await session.commit()
    return draft


async def current_draft(session: AsyncSession, person_id: int) -> DraftView | None:
    """The draft this person touched last: where a resumed conversation continues."""
    draft = await session.scalar(
        select(ReportDraft)
        .where(ReportDraft.owner_person_id == person_id)
        .order_by(ReportDraft.updated_at.desc(), ReportDraft.id.desc())
        .limit(1)
    )
    if draft is None:
        return None
    unit = await session.get(ReportingUnit, draft.reporting_unit_id)
    assert unit is not None
    return await _view(session, draft, unit.name)


async def require_current_draft(session: AsyncSession, person_id: int) -> DraftView:
    """The draft a typed answer is for; if another officer took it over, say who."""
    view = await current_draft(session, person_id)
    if view is not None:
        return view
    taken = await session.scalar(
        select(ReportDraft)
        .where(ReportDraft.started_by_person_id == person_id)
        .order_by(ReportDraft.updated_at.desc())
        .limit(1)
    )
    if taken is not None:
        owner = await session.get(Person, taken.owner_person_id)
        raise DraftTakenOver(owner=owner.display_name if owner else "?")
    raise DraftGone()


# --- answering ------------------------------------------------------------------------------


@dataclass
class _Loaded:
    draft: ReportDraft
    indicator_set: IndicatorSet
    unit_name: str
    last: dict[str, Decimal | None]  # last month's values, read once per step

    def view(self) -> DraftView:
        return _render(self.draft, self.unit_name, self.indicator_set, self.last)


async def _load_owned(
    session: AsyncSession, person_id: int, draft_id: int | None, step: int | None
) -> _Loaded:
    """Lock the draft (``None``: the person's current one) and check it may be changed."""
    query = select(ReportDraft).with_for_update()
    if draft_id is None:
        query = (
            query.where(ReportDraft.owner_person_id == person_id)
            .order_by(ReportDraft.updated_at.desc(), ReportDraft.id.desc())
            .limit(1)
        )
    else:
        query = query.where(ReportDraft.id == draft_id)
    draft = await session.scalar(query)
    if draft is None:
        if draft_id is None:
            await require_current_draft(session, person_id)  # says who took it over
        raise DraftGone()
    unit = await _require_officer(session, person_id, draft.reporting_unit_id)
    if draft.owner_person_id != person_id:
        owner = await session.get(Person, draft.owner_person_id)
        raise DraftTakenOver(owner=owner.display_name if owner else "?")
    if step is not None and step != draft.step:
        raise StaleAction()
    return _Loaded(
        draft,
        await indicator_set_of(session, draft.indicator_set_version_id),
        unit.name,
        await _last_values(session, draft),
    )


def _parse(indicator: Indicator, text: str) -> Decimal:
    if indicator.kind is IndicatorKind.YES_NO:
        return Decimal(1 if parse_yes_no(text) else 0)
    if indicator.kind is IndicatorKind.PERCENT:
        return parse_decimal(text)
    return Decimal(parse_count(text))


def _check_bounds(indicator: Indicator, value: Decimal) -> None:
    low, high = indicator.min, indicator.max
    if indicator.kind is IndicatorKind.YES_NO:
        return
    if low is not None and high is not None and not low <= value <= high:
        raise OutOfBounds(low=low, high=high)
    if low is not None and value < low:
        raise TooLow(low=low)
    if high is not None and value > high:
        raise TooHigh(high=high)


def _known_values(draft: ReportDraft) -> dict[str, Decimal | None]:
    return {code: _decimal(entry.get("v")) for code, entry in draft.answers.items()}


def _check_rules(
    indicator_set: IndicatorSet, draft: ReportDraft, code: str, value: Decimal | None
) -> None:
    values = _known_values(draft)
    values[code] = value
    touching = {rule.code for rule in rules_touching(indicator_set, code)}
    for violation in violated_rules(indicator_set, values):
        if violation.rule.code in touching:
            raise RuleBroken(violation)


async def answer(
    session: AsyncSession,
    *,
    person_id: int,
    draft_id: int | None,
    step: int | None,
    text: str,
    setup: ReportingSetup,
    message_key: str | None = None,
) -> DraftView:
    """A typed (or button) answer to the current question; ``draft_id`` None: the person's
    current draft (a typed answer carries no draft id). ``message_key`` names the chat message
    of a typed answer: the same message again changes nothing (a redelivery after a crash)."""
    loaded = await _load_owned(session, person_id, draft_id, step)
    draft, indicator_set = loaded.draft, loaded.indicator_set
    if message_key is not None and draft.last_message_key == message_key:
        return loaded.view()
    if message_key is not None:
        draft.last_message_key = message_key
    indicator = _current(draft, indicator_set)
    value = _parse(indicator, text)
    _check_bounds(indicator, value)
    _check_rules(indicator_set, draft, indicator.code, value)
    doubt = await _doubt(session, loaded, indicator, value, setup)
    if doubt is not None:
        check, limit = doubt
        draft.pending = {
            "code": indicator.code,
            "v": _text(value),
            "check": check.value,
            "limit": _text(limit),
        }
        await session.commit()
        return loaded.view()
    _store(draft, indicator_set, indicator.code, value, None)
    await session.commit()
    return loaded.view()


async def _doubt(
    session: AsyncSession,
    loaded: _Loaded,
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


async def _workers(session: AsyncSession, loaded: _Loaded, code: str | None) -> Decimal | None:
    """The unit's workers where known: the figure typed earlier in this report (a trade union
    reports its workers first), else the enterprise's count from the organisation file."""
    if code is not None:
        typed = _known_values(loaded.draft).get(code)
        if typed is not None:
            return typed
    count = await session.scalar(
        select(OrgNode.worker_count)
        .join(ReportingUnit, ReportingUnit.org_node_id == OrgNode.id)
        .where(ReportingUnit.id == loaded.draft.reporting_unit_id)
    )
    return None if count is None else Decimal(count)


async def keep_last(
    session: AsyncSession, *, person_id: int, draft_id: int, step: int
) -> DraftView:
    """Keep last month's value of a stock."""
    loaded = await _load_owned(session, person_id, draft_id, step)
    draft, indicator_set = loaded.draft, loaded.indicator_set
    indicator = _current(draft, indicator_set)
    last = loaded.last.get(indicator.code)
    if indicator.kind is not IndicatorKind.STOCK or last is None:
        raise CannotKeep()
    _check_rules(indicator_set, draft, indicator.code, last)
    _store(draft, indicator_set, indicator.code, last, None)
    await session.commit()
    return loaded.view()


async def skip(session: AsyncSession, *, person_id: int, draft_id: int, step: int) -> DraftView:
    loaded = await _load_owned(session, person_id, draft_id, step)
    draft, indicator_set = loaded.draft, loaded.indicator_set
    indicator = _current(draft, indicator_set)
    if indicator.required:
        raise CannotSkip()
    _store(draft, indicator_set, indicator.code, None, None)
    await session.commit()
    return loaded.view()


async def go_back(session: AsyncSession, *, person_id: int, draft_id: int, step: int) -> DraftView:
    """The question before; or, while changing one item from the review, the review again
    (the officer came from there, not from the item before)."""
    loaded = await _load_owned(session, person_id, draft_id, step)
    draft = loaded.draft
    draft.pending = None
    if draft.returning_to_review:
        draft.returning_to_review = False
        draft.step = len(loaded.indicator_set.indicators)
    else:
        draft.step = max(0, draft.step - 1)
    await session.commit()
    return loaded.view()


async def keep_entered(
    session: AsyncSession, *, person_id: int, draft_id: int, step: int
) -> DraftView:
    """Keep the answer this item already has (changing it from the review, or after going
    back), and go on as if it had been typed again."""
    loaded = await _load_owned(session, person_id, draft_id, step)
    draft, indicator_set = loaded.draft, loaded.indicator_set
    indicator = _current(draft, indicator_set)
    if indicator.code not in draft.answers:
        raise NothingEntered()
    draft.pending = None
    _advance(draft, indicator_set)
    await session.commit()
    return loaded.view()


async def keep_all_stocks(
    session: AsyncSession, *, person_id: int, draft_id: int, step: int
) -> DraftView:
    """ "Nothing changed since last month": every total (stock) not yet answered takes last
    month's figure at once; the flows of the month are still asked, and the review shows it all
    before anything is sent."""
    loaded = await _load_owned(session, person_id, draft_id, step)
    draft, indicator_set = loaded.draft, loaded.indicator_set
    if draft.amending_report_id is not None:
        raise StaleAction()
    copied = {
        i.code: loaded.last[i.code]
        for i in indicator_set.indicators
        if i.kind is IndicatorKind.STOCK
        and i.code not in draft.answers
        and loaded.last.get(i.code) is not None
    }
    if not copied:
        raise NothingToKeep()
    values = {**_known_values(draft), **copied}
    for violation in violated_rules(indicator_set, values):
        if set(violation.codes) & set(copied):
            raise RuleBroken(violation)
    draft.answers = {
        **draft.answers,
        **{code: {"v": _text(value), "note": None, "same": True} for code, value in copied.items()},
    }
    draft.pending = None
    draft.returning_to_review = False
    codes = indicator_set.codes
    draft.step = next(
        (index for index, code in enumerate(codes) if code not in draft.answers), len(codes)
    )
    await session.commit()
    return loaded.view()


async def confirm_jump(
    session: AsyncSession, *, person_id: int, draft_id: int | None, step: int | None, reason: str
) -> DraftView:
    """Keep a value far from last month's, with the reason the officer gave."""
    loaded = await _load_owned(session, person_id, draft_id, step)
    draft, indicator_set = loaded.draft, loaded.indicator_set
    reason = " ".join(reason.split())
    if not reason or len(reason) > MAX_REASON:
        raise ReasonRequired(limit=MAX_REASON)
    if draft.pending is None:
        raise StaleAction()
    indicator = _current(draft, indicator_set)
    value = _decimal(draft.pending["v"])
    draft.pending = None
    _store(draft, indicator_set, indicator.code, value, reason)
    await session.commit()
    return loaded.view()


async def retry_jump(
    session: AsyncSession, *, person_id: int, draft_id: int, step: int
) -> DraftView:
    """The officer wants to type the value again."""
    loaded = await _load_owned(session, person_id, draft_id, step)
    draft = loaded.draft
    draft.pending = None
    await session.commit()
    return loaded.view()


async def edit_item(
    session: AsyncSession, *, person_id: int, draft_id: int, index: int
) -> DraftView:
    """From the review screen: answer item ``index`` (1-based) again, then come back."""
    loaded = await _load_owned(session, person_id, draft_id, None)
    draft, indicator_set = loaded.draft, loaded.indicator_set
    total = len(indicator_set.indicators)
    if draft.step != total or not 1 <= index <= total:
        raise StaleAction()
    draft.step = index - 1
    draft.returning_to_review = True
    await session.commit()
    return loaded.view()


def _current(draft: ReportDraft, indicator_set: IndicatorSet) -> Indicator:
    if draft.step >= len(indicator_set.indicators):
        raise StaleAction()
    return indicator_set.indicators[draft.step]


def _store(
    draft: ReportDraft,
    indicator_set: IndicatorSet,
    code: str,
    value: Decimal | None,
    note: str | None,
) -> None:
    # JSON columns are only saved when reassigned, not when mutated in place.
    draft.answers = {**draft.answers, code: {"v": _text(value), "note": note}}
    draft.pending = None
    _advance(draft, indicator_set)


def _advance(draft: ReportDraft, indicator_set: IndicatorSet) -> None:
    """To the review when one item was being changed from there; else to the next question,
    past the totals copied with "nothing changed since last month" (they were answered)."""
    total = len(indicator_set.indicators)
    if draft.returning_to_review:
        draft.step = total
        draft.returning_to_review = False
        return
    draft.step += 1
    while draft.step < total and (
        draft.answers.get(indicator_set.indicators[draft.step].code) or {}
    ).get("same"):
        draft.step += 1


# --- submitting -----------------------------------------------------------------------------


async def submit(
    session: AsyncSession,
    *,
    person_id: int,
    draft_id: int,
    unit_id: int,
    period: Period,
    reason: str | None,
    setup: ReportingSetup,
    now: datetime,
) -> Receipt:
    """Store the report in one transaction. A second tap finds the draft gone and gets the
    receipt's facts instead of a second report."""
    try:
        loaded = await _load_owned(session, person_id, draft_id, None)
    except DraftGone:
        await _require_officer(session, person_id, unit_id)
        existing = await session.scalar(
            select(Report).where(Report.reporting_unit_id == unit_id, Report.period == period.key)
        )
        if existing is not None:
            raise AlreadySubmitted(when=existing.updated_at) from None
        raise
    draft, indicator_set = loaded.draft, loaded.indicator_set
    period = Period.from_key(draft.period)
    total = len(indicator_set.indicators)
    if draft.step != total or draft.pending is not None:
        raise StaleAction()
    await _check_open(session, draft.reporting_unit_id, period, setup, now)
    missing = [
        i.label.vi for i in indicator_set.indicators if i.required and i.code not in draft.answers
    ]
    if missing:
        raise MissingRequired(items=", ".join(missing))
    values = _known_values(draft)
    violations = violated_rules(indicator_set, values)
    if violations:
        raise RuleBroken(violations[0])

    changes = 0
    if draft.amending_report_id is None:
        report = Report(
            reporting_unit_id=draft.reporting_unit_id,
            period=draft.period,
            indicator_set_version_id=draft.indicator_set_version_id,
            submitted_at=now,
            submitted_by_person_id=person_id,
            late=is_late(period, local_date(now, setup), setup.calendar),
        )
        session.add(report)
        try:
            await session.flush()
        except IntegrityError:
            await session.rollback()
            raise AlreadySubmitted(when=now) from None
        for code, entry in draft.answers.items():
            session.add(
                ReportValue(
                    report_id=report.id,
                    indicator_code=code,
                    value=_decimal(entry.get("v")),
                    note=entry.get("note"),
                )
            )
        action = "report.submit"
    else:
        found = await session.get(Report, draft.amending_report_id)
        if found is None:
            raise DraftGone()
        report = found
        stored = await _stored_values(session, report.id)
        if not _changed_codes(draft, stored):
            await _drop_unchanged(session, draft)
        reason = " ".join((reason or "").split())
        if not reason or len(reason) > MAX_REASON:
            raise ReasonRequired(limit=MAX_REASON)
        for code, entry in draft.answers.items():
            new = _decimal(entry.get("v"))
            row = stored.get(code)
            old = row.value if row else None
            if row is not None and old == new and row.note == entry.get("note"):
                continue
            if row is None:
                session.add(
                    ReportValue(
                        report_id=report.id, indicator_code=code, value=new, note=entry.get("note")
                    )
                )
            else:
                row.value, row.note = new, entry.get("note")
            if old != new:
                changes += 1
                session.add(
                    ReportChange(
                        report_id=report.id,
                        indicator_code=code,
                        old_value=old,
                        new_value=new,
                        person_id=person_id,
                        at=now,
                        reason=reason,
                    )
                )
        report.revision += 1
        action = "report.amend"
    await session.delete(draft)
    audit.record(
        session,
        actor=f"person:{person_id}",
        action=action,
        entity="report",
        entity_id=report.id,
        period=draft.period,
        changes=changes,
    )
    await session.commit()
    person = await session.get(Person, person_id)
    return Receipt(
        report_id=report.id,
        unit_name=loaded.unit_name,
        period=period,
        submitted_at=report.submitted_at,
        submitted_by=person.display_name if person else "?",
        late=report.late,
        revision=report.revision,
        changes=changes,
        lines=_lines(indicator_set, values, draft.answers),
    )


async def _stored_values(session: AsyncSession, report_id: int) -> dict[str, ReportValue]:
    return {
        v.indicator_code: v
        for v in await session.scalars(
            select(ReportValue).where(ReportValue.report_id == report_id)
        )
    }


def _changed_codes(draft: ReportDraft, stored: dict[str, ReportValue]) -> list[str]:
    """Items whose figure differs from the report sent (what an amendment is for)."""
    return [
        code
        for code, entry in draft.answers.items()
        if _decimal(entry.get("v")) != (stored[code].value if code in stored else None)
    ]


async def _drop_unchanged(session: AsyncSession, draft: ReportDraft) -> None:
    """The amendment changes no figure: delete its draft (a copy of the report: nothing is
    lost) and refuse, so that no revision "with 0 items changed" is ever stored."""
    await session.delete(draft)
    await session.commit()
    raise NothingChanged()


async def check_amendment(session: AsyncSession, *, person_id: int, draft_id: int) -> None:
    """Before asking why a report is changed: refuse (``NothingChanged``) an amendment that
    changes no figure. A first report passes."""
    loaded = await _load_owned(session, person_id, draft_id, None)
    draft = loaded.draft
    if draft.amending_report_id is None:
        return
    if not _changed_codes(draft, await _stored_values(session, draft.amending_report_id)):
        await _drop_unchanged(session, draft)


async def discard(session: AsyncSession, *, person_id: int, draft_id: int) -> None:
    loaded = await _load_owned(session, person_id, draft_id, None)
    draft = loaded.draft
    await session.delete(draft)
    await session.commit()


@dataclass(frozen=True)
class Unlocked:
    """A reopened period, and who should hear of it: the unit's officers."""

    unit_id: int
    unit_name: str
    period: Period
    until: datetime
    officer_ids: list[int]


async def unlock(
    session: AsyncSession, *, unit_code: str, period: Period, until: datetime, actor: str
) -> Unlocked:
    """An administrator reopens a period after its lock day (admin CLI)."""
    unit = await session.scalar(select(ReportingUnit).where(ReportingUnit.code == unit_code))
    if unit is None:
        raise NotFound()
    row = await session.scalar(
        select(ReportUnlock).where(
            ReportUnlock.reporting_unit_id == unit.id, ReportUnlock.period == period.key
        )
    )
    if row is None:
        session.add(
            ReportUnlock(
                reporting_unit_id=unit.id, period=period.key, until=until, unlocked_by=actor
            )
        )
    else:
        row.until, row.unlocked_by = until, actor
    audit.record(
        session,
        actor=actor,
        action="report.unlock",
        entity="reporting_unit",
        entity_id=unit.id,
        period=period.key,
        until=until.isoformat(),
    )
    await session.commit()
    officers = await session.scalars(
        select(RoleAssignment.person_id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(
            RoleAssignment.reporting_unit_id == unit.id,
            RoleAssignment.role == Role.OFFICER,
            RoleAssignment.revoked_at.is_(None),
            Person.revoked_at.is_(None),
        )
        .order_by(RoleAssignment.person_id)
    )
    return Unlocked(unit.id, unit.name, period, until, list(dict.fromkeys(officers)))


# --- status ---------------------------------------------------------------------------------


async def unit_statuses(
    session: AsyncSession, person_id: int, setup: ReportingSetup, now: datetime
) -> list[UnitStatus]:
    """For /trangthai: each unit the officer serves, its recent periods and their state."""
    calendar = setup.calendar
    today = local_date(now, setup)
    periods = [Period.of(today)]
    for _ in range(calendar.lookback_months):
        periods.append(periods[-1].previous())
    periods = [p for p in periods if open_date(p, calendar) <= today]
    result = []
    for unit in await units_for(session, person_id):
        shown = [p for p in periods if unit.first_period is None or p >= unit.first_period]
        keys = [p.key for p in shown]
        reports = {
            r.period: r
            for r in await session.scalars(
                select(Report).where(
                    Report.reporting_unit_id == unit.unit_id, Report.period.in_(keys)
                )
            )
        }
        drafts = set(
            await session.scalars(
                select(ReportDraft.period).where(
                    ReportDraft.reporting_unit_id == unit.unit_id, ReportDraft.period.in_(keys)
                )
            )
        )
        rows = []
        for period in shown:
            report = reports.get(period.key)
            state = state_on(period, today, calendar)
            if report is not None:
                kind = StatusKind.SUBMITTED_LATE if report.late else StatusKind.SUBMITTED
            elif period.key in drafts and state is not PeriodState.LOCKED:
                kind = StatusKind.IN_PROGRESS
            else:
                kind = {
                    PeriodState.NOT_OPEN: StatusKind.NOT_OPEN,
                    PeriodState.OPEN: StatusKind.DUE,
                    PeriodState.OVERDUE: StatusKind.OVERDUE,
                    PeriodState.LOCKED: StatusKind.MISSING,
                }[state]
            rows.append(
                PeriodStatus(
                    period,
                    kind,
                    due_date(period, calendar),
                    report.submitted_at if report else None,
                    lock_date(period, calendar),
                    open_date(period, calendar),
                    state is PeriodState.LOCKED,
                )
            )
        result.append(UnitStatus(unit, rows))
    return result


def lock_day_of(period: Period, setup: ReportingSetup) -> date:
    return lock_date(period, setup.calendar)


def dates_of(period: Period, setup: ReportingSetup) -> PeriodDates:
    calendar = setup.calendar
    return PeriodDates(
        period, open_date(period, calendar), due_date(period, calendar), lock_date(period, calendar)
    )


def next_opening(setup: ReportingSetup, now: datetime) -> PeriodDates:
    """The next month to open for reports (this month, before its opening day)."""
    today = local_date(now, setup)
    period = Period.of(today)
    while open_date(period, setup.calendar) <= today:
        period = period.next()
    return dates_of(period, setup)


# --- helpers --------------------------------------------------------------------------------


async def _last_values(session: AsyncSession, draft: ReportDraft) -> dict[str, Decimal | None]:
    previous = Period.from_key(draft.period).previous()
    rows = await session.execute(
        select(ReportValue.indicator_code, ReportValue.value)
        .join(Report, Report.id == ReportValue.report_id)
        .where(Report.reporting_unit_id == draft.reporting_unit_id, Report.period == previous.key)
    )
    return {code: value for code, value in rows.all()}


async def _view(session: AsyncSession, draft: ReportDraft, unit_name: str) -> DraftView:
    indicator_set = await indicator_set_of(session, draft.indicator_set_version_id)
    return _render(draft, unit_name, indicator_set, await _last_values(session, draft))


def _render(
    draft: ReportDraft,
    unit_name: str,
    indicator_set: IndicatorSet,
    last: dict[str, Decimal | None],
) -> DraftView:
    """The view of a draft from what is already loaded: no database access."""
    total = len(indicator_set.indicators)
    values = _known_values(draft)
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
                    _decimal(draft.pending["v"]) or Decimal(0),
                    check,
                    _decimal(draft.pending.get("limit")),
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
        answers=_lines(indicator_set, values, draft.answers),
        amending=draft.amending_report_id is not None,
    )


def _lines(
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


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _decimal(text: object) -> Decimal | None:
    return None if text is None else Decimal(str(text))


async def has_reported(session: AsyncSession, unit_id: int, period_key: str) -> bool:
    """Whether the unit's report for the month is in (a reminder queued earlier is then moot)."""
    found = await session.scalar(
        select(Report.id).where(Report.reporting_unit_id == unit_id, Report.period == period_key)
    )
    return found is not None


# --- the form: every item on one page, on the same draft as the chat --------------------------
#
# The web form (web/report_form.py) shows every indicator at once and posts them all
# together. It changes the same draft row as the chat, through the same checks: a value is read
# by ``_parse``, bounded by ``_check_bounds``, held against the set's rules by
# ``violated_rules`` and asked "is that right?" by ``_needs_reason``; it is sent by ``submit``.
# Only the order differs: the chat asks one item after another, the form takes them in any order.


class DraftChanged(DomainError):
    message = (
        "This report was changed elsewhere (in the chat or on another page) after this page was "
        "opened. Nothing was saved from this page; it now shows the latest answers."
    )


class AnswerRequired(DomainError):
    message = "Please answer this item."


@dataclass(frozen=True)
class FormEntry:
    """One item as the page posts it: the text typed ("" for none), and the reason given for a
    big change against last month ("" for none)."""

    text: str
    reason: str = ""


@dataclass(frozen=True)
class FormView:
    """What the form shows: the draft, every item's figure last month, the rules (for the
    browser's hints) and the version the page must post back."""

    draft: DraftView
    indicator_set: IndicatorSet
    last: dict[str, Decimal | None]
    version: str


@dataclass(frozen=True)
class FormOutcome:
    form: FormView
    errors: dict[str, DomainError]  # item code → why its value was not taken
    doubts: dict[str, PendingJump]  # item code → a big change that needs a reason first

    @property
    def complete(self) -> bool:
        """Every item answered and accepted: the review can be shown."""
        return not self.errors and not self.doubts and self.form.draft.question is None


def form_version(draft: ReportDraft) -> str:
    """Changes whenever what the form shows of the draft changes (answers, owner), whoever
    changed it: a page posting an older version is stale."""
    payload = json.dumps(
        [draft.id, draft.owner_person_id, draft.amending_report_id, draft.answers],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.blake2b(payload.encode(), digest_size=8).hexdigest()


async def _needs_reason(
    session: AsyncSession,
    loaded: _Loaded,
    indicator: Indicator,
    value: Decimal,
    setup: ReportingSetup,
) -> bool:
    """The chat's "is that right?" check (``answer``), for the form: the same function, so the
    two cannot drift (a jump from last month, an implausible flow)."""
    return await _doubt(session, loaded, indicator, value, setup) is not None


async def open_form(
    session: AsyncSession,
    *,
    person_id: int,
    unit_id: int,
    period: Period,
    setup: ReportingSetup,
    now: datetime,
    takeover: bool = False,
    amend: bool = False,
) -> FormView:
    """The form of a unit's month: the chat's ``open_draft`` (resume, take over, start, or
    amend; the same refusals), seen whole."""
    view = await open_draft(
        session,
        person_id=person_id,
        unit_id=unit_id,
        period=period,
        setup=setup,
        now=now,
        takeover=takeover,
        amend=amend,
    )
    draft = await session.get(ReportDraft, view.draft_id)
    if draft is None:
        raise DraftGone()
    indicator_set = await indicator_set_of(session, draft.indicator_set_version_id)
    last = await _last_values(session, draft)
    return FormView(view, indicator_set, last, form_version(draft))


async def _draft_of_page(
    session: AsyncSession, person_id: int, unit_id: int, period: Period, version: str
) -> ReportDraft:
    """The unit's draft for the month, locked, if this page may still change it."""
    draft: ReportDraft | None = await session.scalar(
        select(ReportDraft)
        .where(ReportDraft.reporting_unit_id == unit_id, ReportDraft.period == period.key)
        .with_for_update()
    )
    if draft is None:
        existing = await session.scalar(
            select(Report).where(Report.reporting_unit_id == unit_id, Report.period == period.key)
        )
        if existing is not None:
            raise AlreadySubmitted(when=existing.updated_at)
        raise DraftGone()
    if draft.owner_person_id != person_id:
        owner = await session.get(Person, draft.owner_person_id)
        raise DraftTakenOver(owner=owner.display_name if owner else "?")
    if form_version(draft) != version:
        raise DraftChanged()
    return draft


async def save_form(
    session: AsyncSession,
    *,
    person_id: int,
    unit_id: int,
    period: Period,
    version: str,
    entries: dict[str, FormEntry],
    setup: ReportingSetup,
    now: datetime,
    complete: bool = False,
) -> FormOutcome:
    """Take what the page posted into the draft: every accepted value is stored, every refused
    one is left out with its reason (the draft mirrors the page: the chat then asks for it
    again). ``complete``: the officer wants the review, so an unanswered required item is an
    error too. Nothing is written when the page is stale (``DraftChanged``), the person no
    longer serves the unit, or the month is closed."""
    unit = await _require_officer(session, person_id, unit_id)
    await _check_open(session, unit_id, period, setup, now)
    draft = await _draft_of_page(session, person_id, unit_id, period, version)
    indicator_set = await indicator_set_of(session, draft.indicator_set_version_id)
    loaded = _Loaded(draft, indicator_set, unit.name, await _last_values(session, draft))
    answers: dict[str, Any] = dict(draft.answers)
    errors: dict[str, DomainError] = {}
    doubts: dict[str, PendingJump] = {}
    taken: dict[str, Decimal] = {}  # values read and in bounds, not yet held against the rules

    for indicator in indicator_set.indicators:
        code = indicator.code
        entry = entries.get(code)
        if entry is None:
            continue  # not on the page: what the draft holds stays
        text = entry.text.strip()
        if not text:
            if indicator.required:
                answers.pop(code, None)
            else:
                answers[code] = {"v": None, "note": None}  # the chat's "skip"
            continue
        try:
            value = _parse(indicator, text)
            _check_bounds(indicator, value)
        except DomainError as refusal:
            errors[code] = refusal
            answers.pop(code, None)
            continue
        taken[code] = value

    # The rules, over the values of this page and what the draft holds of items not on it. A
    # broken rule is blamed on its item the chat would have refused (the later one asked), and
    # that value is left out; then the rules are checked again without it.
    order = {code: index for index, code in enumerate(indicator_set.codes)}
    while True:
        values = {
            code: _decimal(entry.get("v")) for code, entry in answers.items() if code not in taken
        }
        values.update(taken)
        blamed: tuple[str, RuleViolation] | None = None
        for violation in violated_rules(indicator_set, values):
            posted = [code for code in violation.codes if code in taken]
            if posted:
                blamed = (max(posted, key=order.__getitem__), violation)
                break
        if blamed is None:
            break
        code, violation = blamed
        errors[code] = RuleBroken(violation)
        del taken[code]
        answers.pop(code, None)

    for code, value in taken.items():
        indicator = indicator_set.indicator(code)
        reason = " ".join(entries[code].reason.split())
        before = answers.get(code)
        if not await _needs_reason(session, loaded, indicator, value, setup):
            answers[code] = {"v": _text(value), "note": None}
        elif len(reason) > MAX_REASON:
            errors[code] = ReasonRequired(limit=MAX_REASON)
            answers.pop(code, None)
        elif reason:
            answers[code] = {"v": _text(value), "note": reason}
        elif before is not None and _decimal(before.get("v")) == value and before.get("note"):
            pass  # confirmed earlier (in the chat, or on this page): the reason stands
        else:
            previous = loaded.last.get(code)
            doubts[code] = PendingJump(indicator, previous or Decimal(0), value)
            answers.pop(code, None)

    if complete:
        for indicator in indicator_set.indicators:
            code = indicator.code
            if code in answers or code in errors or code in doubts:
                continue
            if indicator.required:
                errors[code] = AnswerRequired()
            else:
                answers[code] = {"v": None, "note": None}  # left out: skipped

    if answers != draft.answers:
        draft.answers = answers  # reassigned: JSON columns are saved only then
    draft.pending = None
    draft.returning_to_review = False
    draft.step = next(
        (index for index, code in enumerate(indicator_set.codes) if code not in answers),
        len(indicator_set.codes),
    )
    await session.commit()
    view = _render(draft, unit.name, indicator_set, loaded.last)
    return FormOutcome(
        FormView(view, indicator_set, loaded.last, form_version(draft)), errors, doubts
    )


async def submit_form(
    session: AsyncSession,
    *,
    person_id: int,
    unit_id: int,
    period: Period,
    version: str,
    reason: str | None,
    setup: ReportingSetup,
    now: datetime,
) -> Receipt:
    """Send the report the page's review showed, through the chat's ``submit``: one report
    however often it is pressed, and only if nobody changed the draft since the review."""
    await _require_officer(session, person_id, unit_id)
    draft = await _draft_of_page(session, person_id, unit_id, period, version)
    return await submit(
        session,
        person_id=person_id,
        draft_id=draft.id,
        unit_id=unit_id,
        period=period,
        reason=reason,
        setup=setup,
        now=now,
    )
