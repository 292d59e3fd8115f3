"""The web form: every item of a report on one page, on the same draft as the chat.

The web form (web/report_form.py) shows every indicator at once and posts them all together. It
changes the same draft row as the chat, through the same checks: a value is read by
``parse_value``, bounded by ``check_bounds``, held against the set's rules by ``violated_rules``
and asked "is that right?" by ``_needs_reason``; it is sent by ``submit``. Only the order
differs: the chat asks one item after another, the form takes them in any order.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Person, Report, ReportDraft
from services.errors import DomainError
from services.indicators import Indicator, IndicatorSet, RuleViolation, violated_rules
from services.periods import Period
from services.reporting._drafts import (
    MAX_REASON,
    Loaded,
    check_bounds,
    check_open,
    decode_value,
    encode_value,
    last_values,
    parse_value,
    reason_to_doubt,
    render,
    require_officer,
)
from services.reporting.config import ReportingSetup, indicator_set_of
from services.reporting.drafts import open_draft
from services.reporting.errors import (
    AlreadySubmitted,
    AnswerRequired,
    DraftChanged,
    DraftGone,
    DraftTakenOver,
    ReasonRequired,
    RuleBroken,
)
from services.reporting.submitting import submit
from services.reporting.views import DraftView, PendingJump, Receipt


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
    loaded: Loaded,
    indicator: Indicator,
    value: Decimal,
    setup: ReportingSetup,
) -> bool:
    """The chat's "is that right?" check (``answer``), for the form: the same function, so the
    two cannot drift (a jump from last month, an implausible flow)."""
    return await reason_to_doubt(session, loaded, indicator, value, setup) is not None


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
    last = await last_values(session, draft)
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
    unit = await require_officer(session, person_id, unit_id)
    await check_open(session, unit_id, period, setup, now)
    draft = await _draft_of_page(session, person_id, unit_id, period, version)
    indicator_set = await indicator_set_of(session, draft.indicator_set_version_id)
    loaded = Loaded(draft, indicator_set, unit.name, await last_values(session, draft))
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
            value = parse_value(indicator, text)
            check_bounds(indicator, value)
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
            code: decode_value(entry.get("v"))
            for code, entry in answers.items()
            if code not in taken
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
            answers[code] = {"v": encode_value(value), "note": None}
        elif len(reason) > MAX_REASON:
            errors[code] = ReasonRequired(limit=MAX_REASON)
            answers.pop(code, None)
        elif reason:
            answers[code] = {"v": encode_value(value), "note": reason}
        elif before is not None and decode_value(before.get("v")) == value and before.get("note"):
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
    view = render(draft, unit.name, indicator_set, loaded.last)
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
    await require_officer(session, person_id, unit_id)
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
