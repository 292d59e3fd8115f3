"""Choosing a unit and a month, and opening, finding or taking over its draft.

One draft per unit and month, whoever of its officers works on it: ``open_draft`` resumes it,
takes it over, or starts one (an amendment when the month was already sent). ``load_owned``
locks the draft a step changes and checks the caller still owns it and still serves the unit;
the chat's steps and the submission start with it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Person,
    Report,
    ReportDraft,
    ReportingUnit,
    ReportUnlock,
    ReportValue,
    Role,
    RoleAssignment,
)
from services import audit
from services.periods import Period, due_date, is_late, open_periods, state_on
from services.reporting import reviewing
from services.reporting._drafts import (
    Loaded,
    check_open,
    draft_view,
    encode_value,
    first_period,
    last_values,
    require_officer,
    unlocked_until,
)
from services.reporting.config import (
    ReportingSetup,
    current_version_id,
    indicator_set_of,
    local_date,
)
from services.reporting.errors import (
    BeforeFirstPeriod,
    DraftGone,
    DraftHeldByOther,
    DraftTakenOver,
    ReportAlreadySent,
    StaleAction,
)
from services.reporting.views import DraftView, PeriodChoice, SentReport, UnitChoice


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
    return [UnitChoice(u.id, u.code, u.name, u.kind, first_period(u)) for u in rows.unique()]


async def periods_for(
    session: AsyncSession, person_id: int, unit_id: int, setup: ReportingSetup, now: datetime
) -> list[PeriodChoice]:
    """Periods the officer can report or amend now, newest first."""
    unit = await require_officer(session, person_id, unit_id)
    calendar = setup.calendar
    today = local_date(now, setup)
    first = first_period(unit)
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
    unit = await require_officer(session, person_id, unit_id)
    await check_open(session, unit_id, period, setup, now)
    first = first_period(unit)
    if first is not None and period < first:
        until = await unlocked_until(session, unit_id, period)
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
    view = await draft_view(session, draft, unit.name)
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
    if report is not None:
        await reviewing.refuse_if_approved(session, report.id)
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
        answers = {v.indicator_code: {"v": encode_value(v.value), "note": v.note} for v in values}
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
    return await draft_view(session, draft, unit.name)


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


async def load_owned(
    session: AsyncSession, person_id: int, draft_id: int | None, step: int | None
) -> Loaded:
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
    unit = await require_officer(session, person_id, draft.reporting_unit_id)
    if draft.owner_person_id != person_id:
        owner = await session.get(Person, draft.owner_person_id)
        raise DraftTakenOver(owner=owner.display_name if owner else "?")
    if step is not None and step != draft.step:
        raise StaleAction()
    return Loaded(
        draft,
        await indicator_set_of(session, draft.indicator_set_version_id),
        unit.name,
        await last_values(session, draft),
    )
