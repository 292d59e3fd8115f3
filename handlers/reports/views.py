"""What the report conversation shows: texts and keyboards built from the service's views."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from telegram import InlineKeyboardMarkup

from handlers.common.buttons import Report
from handlers.common.context import keyboard
from infra.i18n import capitalized, day, moment, number, percent, tr
from services.errors import N_
from services.indicators import Indicator, IndicatorKind
from services.periods import Period
from services.reporting import (
    AnswerLine,
    Check,
    DraftView,
    PeriodChoice,
    PeriodDates,
    Receipt,
    SentReport,
    StatusKind,
    UnitChoice,
    UnitStatus,
)


def value_text(indicator: Indicator, value: Decimal | None, lang: str) -> str:
    if value is None:
        return tr(lang, "(skipped)")
    if indicator.kind is IndicatorKind.YES_NO:
        return tr(lang, "Yes") if value else tr(lang, "No")
    if indicator.kind is IndicatorKind.PERCENT:
        return percent(value, lang, places=None)
    shown = number(value, lang)
    return f"{shown} {indicator.unit.for_count(value, lang)}" if indicator.unit else shown


def month_label(period: Period, lang: str) -> str:
    """ "Tháng 11/2026": how a month starts a button or a line (mid-sentence it stays
    "tháng 11/2026")."""
    return capitalized(period.label(lang))


def _title(view: DraftView, lang: str) -> str:
    return tr(
        lang, "Report for {period} — {unit}", period=view.period.label(lang), unit=view.unit_name
    )


def unit_menu(units: list[UnitChoice], lang: str) -> tuple[str, InlineKeyboardMarkup]:
    rows = [[(u.name, Report.unit(u.unit_id))] for u in units]
    return tr(lang, "Which unit are you reporting for?"), keyboard(*rows)


DRAFT_STATE = N_("draft {done}/{total}")
SUBMITTED_STATE = N_("submitted — change it")
UNLOCKED_STATE = N_("reopened by the office")
OVERDUE_STATE = N_("overdue since {due}, will be marked late")
OPEN_STATE = N_("due {due}")


def period_menu(
    unit_id: int, choices: list[PeriodChoice], lang: str
) -> tuple[str, InlineKeyboardMarkup]:
    rows = []
    for choice in choices:
        due = day(choice.due, lang)
        if choice.draft_progress is not None:
            done, total = choice.draft_progress
            state = tr(lang, DRAFT_STATE, done=done, total=total)
        elif choice.submitted:
            state = tr(lang, SUBMITTED_STATE)
        elif choice.unlocked:
            state = tr(lang, UNLOCKED_STATE)
        elif choice.state.value == "overdue":
            state = tr(lang, OVERDUE_STATE, due=due)
        else:
            state = tr(lang, OPEN_STATE, due=due)
        label = f"{month_label(choice.period, lang)} — {state}"
        rows.append([(label, Report.period(unit_id, choice.period))])
    return tr(lang, "Which month?"), keyboard(*rows)


def takeover_prompt(
    unit_id: int, period: Period, owner_text: str, lang: str
) -> tuple[str, InlineKeyboardMarkup]:
    return (
        tr(
            lang,
            "{held}\n\nDo you want to carry on with it yourself? Their answers so far are kept.",
            held=owner_text,
        ),
        keyboard(
            [(tr(lang, "I will carry on"), Report.takeover(unit_id, period))],
            [(tr(lang, "Leave it"), Report.leave())],
        ),
    )


def already_sent(sent: SentReport, lang: str, zone: Any) -> tuple[str, InlineKeyboardMarkup]:
    """A month already reported: when, by whom, its receipt; change it, or leave it so."""
    lines = [
        tr(
            lang,
            "ℹ️ The report for {period} — {unit} was already sent at {when} by {who}.",
            period=sent.period.label(lang),
            unit=sent.unit_name,
            when=moment(sent.submitted_at, lang, zone),
            who=sent.submitted_by,
        ),
        tr(lang, "Receipt number: BC-{number}", number=f"{sent.report_id:06d}"),
    ]
    if sent.amendments:
        lines.append(
            tr(
                lang,
                "It has been amended since it was sent (amendments: {count}).",
                count=sent.amendments,
            )
        )
    lines += ["", tr(lang, "Do you want to change it?")]
    return "\n".join(lines), keyboard(
        [(tr(lang, "✏️ Change the report"), Report.amend(sent.unit_id, sent.period))],
        [(tr(lang, "👌 No, nothing to change"), Report.leave())],
    )


# A total (stock) is usually hundreds or thousands of people, written with a thousands dot; a
# flow is usually a few events: each gets the example it looks like.
_HINTS = {
    IndicatorKind.YES_NO: N_("Choose Yes or No."),
    IndicatorKind.PERCENT: N_("Type a percentage, for example 12,5."),
    IndicatorKind.STOCK: N_("Type a whole number, for example 1.500."),
    IndicatorKind.FLOW: N_("Type a number, for example 2."),
}
KEEP_ENTERED = N_("Keep what I entered: {value}")
ALL_STOCKS = N_("No change since last month")
ALL_STOCKS_HINT = N_(
    "Totals unchanged this month? Choose “No change since last month”: every total takes last "
    "month's figure, only this month's counts are asked, and you check it all before sending."
)
BACK_TO_REVIEW = N_("◀ Back to the review")


def question(view: DraftView, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    q = view.question
    assert q is not None
    ind = q.indicator
    head = tr(
        lang,
        "Question {index}/{total} · {label}",
        index=q.index,
        total=q.total,
        label=ind.label.get(lang),
    )
    if ind.unit:
        head += f" ({ind.unit.get(lang)})"
    lines = [_title(view, lang), "", head]
    if ind.help:
        lines.append(ind.help.get(lang))
    if q.last_value is not None:
        lines.append(tr(lang, "Last month: {value}", value=value_text(ind, q.last_value, lang)))
    else:
        lines.append(tr(lang, "Last month: no figure"))
    if view.answers[q.index - 1].answered:  # going back, or changing an item from the review
        lines.append(tr(lang, "Entered: {value}", value=value_text(ind, q.current, lang)))
    lines.append(tr(lang, _HINTS[ind.kind]))
    if q.can_keep_all_stocks:
        lines += ["", tr(lang, ALL_STOCKS_HINT)]

    def here(action: str) -> str:  # a shortcut at this step of this draft
        return Report.shortcut(action, view.draft_id, view.step)

    rows: list[list[tuple[str, str]]] = []
    if ind.kind is IndicatorKind.YES_NO:
        rows.append([(tr(lang, "Yes"), here("yes")), (tr(lang, "No"), here("no"))])
    if q.can_keep_last and q.last_value is not None:
        rows.append(
            [
                (
                    tr(lang, "Keep last month: {value}", value=value_text(ind, q.last_value, lang)),
                    here("keep"),
                )
            ]
        )
    if q.can_keep_entered:
        entered = value_text(ind, q.current, lang)
        rows.append([(tr(lang, KEEP_ENTERED, value=entered), here("mine"))])
    if q.can_keep_all_stocks:
        rows.append([(tr(lang, ALL_STOCKS), here("same"))])
    extra: list[tuple[str, str]] = []
    if q.can_skip:
        extra.append((tr(lang, "Skip"), here("skip")))
    if q.editing:
        extra.append((tr(lang, BACK_TO_REVIEW), here("back")))
    elif q.can_go_back:
        extra.append((tr(lang, "◀ Back"), here("back")))
    extra.append((tr(lang, "⏸ Pause"), Report.stop(view.draft_id, beside_question=True)))
    rows.append(extra)
    return "\n".join(lines), keyboard(*rows)


def jump_prompt(view: DraftView, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    pending = view.pending
    assert pending is not None
    ind = pending.indicator
    label = ind.label.get(lang)
    new = value_text(ind, pending.new, lang)
    last = value_text(ind, pending.last, lang) if pending.last is not None else "—"
    if pending.check is Check.TIMES:
        text = tr(
            lang,
            "“{label}” is {new} this month, more than {times} times last month ({last}). "
            "Is that right?",
            label=label,
            new=new,
            times=number(pending.limit or 0, lang),
            last=last,
        )
    elif pending.check is Check.WORKERS:
        text = tr(
            lang,
            "“{label}” is {new}, more than the unit's {workers} workers. Is that right?",
            label=label,
            new=new,
            workers=number(pending.limit or 0, lang),
        )
    else:
        old = pending.last or Decimal(0)
        change = (pending.new - old) / old * 100 if old else Decimal(0)
        text = tr(
            lang,
            "“{label}” changes a lot from last month: {last} → {new} ({change}%). Is that right?",
            label=label,
            last=last,
            new=new,
            change=("+" if change > 0 else "") + number(round(change, 1), lang),
        )
    # Said in words: on a text channel the bullets below are not numbered, and a number typed
    # here is the corrected figure, never a choice.
    text += "\n" + tr(lang, "Type ĐÚNG to keep it, or type the number again.")

    def here(action: str) -> str:  # a shortcut at this step of this draft
        return Report.shortcut(action, view.draft_id, view.step)

    return text, keyboard(
        [(tr(lang, "✅ Yes, it is right"), here("jumpok"))],
        [(tr(lang, "✏️ Type it again"), here("jumpredo"))],
    )


def late_notice(view: DraftView, lang: str) -> str | None:
    """Before the first question of a report opened after its due day."""
    if view.overdue_since is None:
        return None
    return tr(
        lang,
        "⚠️ The report for {period} was due on {due}: it will be recorded as late.",
        period=view.period.label(lang),
        due=day(view.overdue_since, lang),
    )


def answer_lines(lines: list[AnswerLine], lang: str) -> str:
    out = []
    for line in lines:
        value = value_text(line.indicator, line.value, lang) if line.answered else "—"
        if line.same_as_last:
            value += " " + tr(lang, "(as last month)")
        out.append(f"{line.index}. {line.indicator.label.get(lang)}: {value}")
        if line.note:
            out.append("   " + tr(lang, "reason: {note}", note=line.note))
    return "\n".join(out)


def review(view: DraftView, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    intro = (
        tr(lang, "Check the changed report, then send it.")
        if view.amending
        else tr(lang, "Check your report, then send it.")
    )
    text = f"{_title(view, lang)}\n{intro}\n\n{answer_lines(view.answers, lang)}"
    send = tr(lang, "✅ Send the changes") if view.amending else tr(lang, "✅ Send the report")
    return text, keyboard(
        [(send, Report.submit(view.draft_id, view.unit_id, view.period))],
        [(tr(lang, "✏️ Change an item"), Report.edit(view.draft_id))],
        [(tr(lang, "⏸ Pause"), Report.stop(view.draft_id))],
    )


def item_menu(view: DraftView, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [
            (
                f"{line.index}. {line.indicator.label.get(lang)}",
                Report.item(view.draft_id, line.index),
            )
        ]
        for line in view.answers
    ]
    return tr(lang, "Which item do you want to change?"), keyboard(*rows)


def cancel_choice(draft_id: int, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    return tr(lang, "Keep the draft to continue later, or delete it?"), keyboard(
        [(tr(lang, "Keep the draft"), Report.keep_draft(draft_id))],
        [(tr(lang, "Delete the draft"), Report.discard(draft_id))],
    )


def receipt(r: Receipt, lang: str, zone: Any) -> str:
    when = moment(r.submitted_at, lang, zone)
    if r.amendment:
        head = tr(
            lang,
            "✅ Changes saved: {period} — {unit} (amendment {number}, items changed: {changes}).",
            period=r.period.label(lang),
            unit=r.unit_name,
            number=r.amendment,
            changes=r.changes,
        )
    else:
        timing = tr(lang, "late") if r.late else tr(lang, "on time")
        head = tr(
            lang,
            "✅ Report received: {period} — {unit}\nSent {when} ({timing}) by {who}.",
            period=r.period.label(lang),
            unit=r.unit_name,
            when=when,
            timing=timing,
            who=r.submitted_by,
        )
    receipt_no = tr(lang, "Receipt number: BC-{number}", number=f"{r.report_id:06d}")
    return f"{head}\n{receipt_no}\n\n{answer_lines(r.lines, lang)}"


_STATUS = {
    StatusKind.SUBMITTED: N_("submitted on {when}"),
    StatusKind.SUBMITTED_LATE: N_("submitted late on {when}"),
    StatusKind.IN_PROGRESS: N_("draft in progress — due {due}"),
    StatusKind.DUE: N_("not yet submitted — due {due}"),
    StatusKind.OVERDUE: N_("OVERDUE since {due} — still accepted, recorded as late"),
    StatusKind.MISSING: N_("missing — locked since {lock}"),
    StatusKind.NOT_OPEN: N_("opens on {opens}, due {due}"),
}
_SEND_UNTIL = N_("locks on {lock}")
_CHANGE_UNTIL = N_("can be changed before {lock}")
# The lock day matters while the month can still be sent or changed.
_UNTIL_LOCK = frozenset(
    {
        StatusKind.SUBMITTED,
        StatusKind.SUBMITTED_LATE,
        StatusKind.IN_PROGRESS,
        StatusKind.DUE,
        StatusKind.OVERDUE,
    }
)


def statuses(
    units: list[UnitStatus], lang: str, zone: Any, upcoming: PeriodDates | None = None
) -> str:
    if not units:
        return tr(lang, "You are not an officer of any reporting unit.")
    blocks = [tr(lang, "Report status")]
    for unit in units:
        lines = [f"\n{unit.unit.name}"]
        for row in unit.periods:
            when = day(row.submitted_at.astimezone(zone).date(), lang) if row.submitted_at else ""
            state = tr(
                lang,
                _STATUS[row.kind],
                when=when,
                due=day(row.due, lang),
                lock=day(row.lock, lang) if row.lock else "",
                opens=day(row.opens, lang) if row.opens else "",
            )
            if row.kind in _UNTIL_LOCK and row.lock is not None and not row.locked:
                until = _CHANGE_UNTIL if row.submitted_at else _SEND_UNTIL
                state += "; " + tr(lang, until, lock=day(row.lock, lang))
            lines.append(f"• {month_label(row.period, lang)}: {state}")
        if not unit.periods and unit.unit.first_period is not None:
            lines.append(
                "• "
                + tr(lang, "Reports from {month} on.", month=unit.unit.first_period.label(lang))
            )
        blocks.append("\n".join(lines))
    if upcoming is not None:
        blocks.append(
            "\n"
            + tr(
                lang,
                "{period} opens for reports on {opens}: due {due}, locks on {lock}.",
                period=month_label(upcoming.period, lang),
                opens=day(upcoming.opens, lang),
                due=day(upcoming.due, lang),
                lock=day(upcoming.lock, lang),
            )
        )
    return "\n".join(blocks) + "\n\n" + tr(lang, "Type /baocao to report.")
