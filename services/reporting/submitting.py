"""Sending a report, amending one already sent, or discarding a draft.

A report is stored in one transaction and its draft deleted with it: a second tap finds the
draft gone and is told the report is in, never a second report. An amendment records each
changed figure with its reason; one that changes nothing is refused and its draft dropped.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import Person, Report, ReportChange, ReportDraft, ReportingUnit, ReportValue
from services import audit
from services.indicators import violated_rules
from services.periods import Period, is_late
from services.reporting import reviewing
from services.reporting._drafts import (
    MAX_REASON,
    answer_lines,
    check_open,
    decode_value,
    known_values,
    require_officer,
)
from services.reporting.config import ReportingSetup, local_date
from services.reporting.drafts import load_owned
from services.reporting.errors import (
    AlreadySubmitted,
    DraftGone,
    MissingRequired,
    NothingChanged,
    ReasonRequired,
    RuleBroken,
    StaleAction,
)
from services.reporting.views import Receipt


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
        loaded = await load_owned(session, person_id, draft_id, None)
    except DraftGone:
        await require_officer(session, person_id, unit_id)
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
    await check_open(session, draft.reporting_unit_id, period, setup, now)
    missing = [
        i.label.vi for i in indicator_set.indicators if i.required and i.code not in draft.answers
    ]
    if missing:
        raise MissingRequired(items=", ".join(missing))
    values = known_values(draft)
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
                    value=decode_value(entry.get("v")),
                    note=entry.get("note"),
                )
            )
        action = "report.submit"
    else:
        found = await session.get(Report, draft.amending_report_id)
        if found is None:
            raise DraftGone()
        report = found
        await reviewing.refuse_if_approved(session, report.id)
        stored = await _stored_values(session, report.id)
        if not _changed_codes(draft, stored):
            await _drop_unchanged(session, draft)
        reason = " ".join((reason or "").split())
        if not reason or len(reason) > MAX_REASON:
            raise ReasonRequired(limit=MAX_REASON)
        for code, entry in draft.answers.items():
            new = decode_value(entry.get("v"))
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
    unit = await session.get(ReportingUnit, draft.reporting_unit_id)
    if unit is not None:
        await reviewing.mark_submitted(session, report, unit, setup)
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
        lines=answer_lines(indicator_set, values, draft.answers),
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
        if decode_value(entry.get("v")) != (stored[code].value if code in stored else None)
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
    loaded = await load_owned(session, person_id, draft_id, None)
    draft = loaded.draft
    if draft.amending_report_id is None:
        return
    if not _changed_codes(draft, await _stored_values(session, draft.amending_report_id)):
        await _drop_unchanged(session, draft)


async def discard(session: AsyncSession, *, person_id: int, draft_id: int) -> None:
    loaded = await load_owned(session, person_id, draft_id, None)
    draft = loaded.draft
    await session.delete(draft)
    await session.commit()
