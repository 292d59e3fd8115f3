"""Answering a draft's questions in the chat, one item after another.

Every answer is committed to the draft row at once, so a restart loses nothing; a button's step
is checked against the draft's (``StaleAction``), since callback data is only ever a hint. A
figure far from last month's waits for a reason (``confirm_jump``) or a new value.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from models import ReportDraft
from services.indicators import (
    Indicator,
    IndicatorKind,
    IndicatorSet,
    rules_touching,
    violated_rules,
)
from services.reporting._drafts import (
    MAX_REASON,
    check_bounds,
    decode_value,
    encode_value,
    known_values,
    parse_value,
    reason_to_doubt,
)
from services.reporting.config import ReportingSetup
from services.reporting.drafts import load_owned
from services.reporting.errors import (
    CannotKeep,
    CannotSkip,
    NothingEntered,
    NothingToKeep,
    ReasonRequired,
    RuleBroken,
    StaleAction,
)
from services.reporting.views import DraftView


def _check_rules(
    indicator_set: IndicatorSet, draft: ReportDraft, code: str, value: Decimal | None
) -> None:
    values = known_values(draft)
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
    loaded = await load_owned(session, person_id, draft_id, step)
    draft, indicator_set = loaded.draft, loaded.indicator_set
    if message_key is not None and draft.last_message_key == message_key:
        return loaded.view()
    if message_key is not None:
        draft.last_message_key = message_key
    indicator = _current(draft, indicator_set)
    value = parse_value(indicator, text)
    check_bounds(indicator, value)
    _check_rules(indicator_set, draft, indicator.code, value)
    doubt = await reason_to_doubt(session, loaded, indicator, value, setup)
    if doubt is not None:
        check, limit = doubt
        draft.pending = {
            "code": indicator.code,
            "v": encode_value(value),
            "check": check.value,
            "limit": encode_value(limit),
        }
        await session.commit()
        return loaded.view()
    _store(draft, indicator_set, indicator.code, value, None)
    await session.commit()
    return loaded.view()


async def keep_last(
    session: AsyncSession, *, person_id: int, draft_id: int, step: int
) -> DraftView:
    """Keep last month's value of a stock."""
    loaded = await load_owned(session, person_id, draft_id, step)
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
    loaded = await load_owned(session, person_id, draft_id, step)
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
    loaded = await load_owned(session, person_id, draft_id, step)
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
    loaded = await load_owned(session, person_id, draft_id, step)
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
    loaded = await load_owned(session, person_id, draft_id, step)
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
    values = {**known_values(draft), **copied}
    for violation in violated_rules(indicator_set, values):
        if set(violation.codes) & set(copied):
            raise RuleBroken(violation)
    draft.answers = {
        **draft.answers,
        **{
            code: {"v": encode_value(value), "note": None, "same": True}
            for code, value in copied.items()
        },
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
    loaded = await load_owned(session, person_id, draft_id, step)
    draft, indicator_set = loaded.draft, loaded.indicator_set
    reason = " ".join(reason.split())
    if not reason or len(reason) > MAX_REASON:
        raise ReasonRequired(limit=MAX_REASON)
    if draft.pending is None:
        raise StaleAction()
    indicator = _current(draft, indicator_set)
    value = decode_value(draft.pending["v"])
    draft.pending = None
    _store(draft, indicator_set, indicator.code, value, reason)
    await session.commit()
    return loaded.view()


async def retry_jump(
    session: AsyncSession, *, person_id: int, draft_id: int, step: int
) -> DraftView:
    """The officer wants to type the value again."""
    loaded = await load_owned(session, person_id, draft_id, step)
    draft = loaded.draft
    draft.pending = None
    await session.commit()
    return loaded.view()


async def edit_item(
    session: AsyncSession, *, person_id: int, draft_id: int, index: int
) -> DraftView:
    """From the review screen: answer item ``index`` (1-based) again, then come back."""
    loaded = await load_owned(session, person_id, draft_id, None)
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
    draft.answers = {**draft.answers, code: {"v": encode_value(value), "note": note}}
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
