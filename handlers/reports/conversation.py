"""/baocao: the monthly report — unit, period, one question per indicator, review, send.

The draft lives in the database (services/reporting/) and the conversation state in the
database persistence, so a restart resumes at the same question. Every button's data is only a
hint: the service re-checks owner, unit, role and step before changing anything. That is also
why a report button the conversation was not waiting for (its state written up to a second
late, then lost in a restart) is not simply "expired": see ``resume_press``.

Longer than 600 lines on purpose: one ConversationHandler, whose steps, states and the table
that resumes a press after a restart (``_APPLIED``, ``_ON_DRAFT``) name each other; split, each
part would import the other. What it shows is in views.py, the buttons in
handlers/common/buttons.py.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import IntEnum

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers.common import retry_until_seen
from handlers.common.buttons import Report as Buttons
from handlers.common.context import (
    BotContext,
    acknowledge,
    choice_hint,
    describe,
    drop_buttons,
    edit_text,
    language_of,
    say,
    show,
)
from handlers.common.registered import as_registered
from handlers.reports import form_offer, views
from infra.i18n import tr
from services import reporting
from services.access import Viewer
from services.errors import DomainError
from services.numbers import is_confirmation
from services.periods import Period
from services.reporting import DraftHeldByOther, DraftView, ReportAlreadySent


class Report(IntEnum):
    CHOOSING_UNIT = 1
    CHOOSING_PERIOD = 2
    TAKING_OVER = 3
    ANSWERING = 4
    CONFIRMING_JUMP = 5
    GIVING_JUMP_REASON = 6
    REVIEWING = 7
    PICKING_ITEM = 8
    GIVING_AMEND_REASON = 9
    CANCELLING = 10
    AMEND_OR_DONE = 11


END = ConversationHandler.END
Step = Callable[[AsyncSession, Viewer], Awaitable[int]]


async def _as_officer(update: Update, context: BotContext, step: Step) -> int:
    """Run ``step`` for a registered officer (handlers/common/registered.py); after a domain
    refusal the user is shown where they are again."""

    async def where_they_were(
        session: AsyncSession, viewer: Viewer, lang: str, refusal: DomainError
    ) -> int:
        if isinstance(
            refusal,
            reporting.NotAnOfficer
            | reporting.DraftTakenOver
            | reporting.DraftGone
            | reporting.AlreadySubmitted
            | reporting.NothingChanged,
        ):
            return END
        # Ask again where they were, with the buttons again.
        view = await reporting.current_draft(session, viewer.person_id)
        # The refusal above answered the button already: Telegram takes one answer only.
        return await _present(update, view, lang, answered=True) if view else END

    return await as_registered(update, context, step, refused=END, after_refusal=where_they_were)


async def _present(
    update: Update, view: DraftView, lang: str, *, edit: bool = False, answered: bool = False
) -> int:
    """Show the draft where it stands; return the matching state."""
    if view.pending is not None:
        text, markup = views.jump_prompt(view, lang)
        state = Report.CONFIRMING_JUMP
    elif view.question is not None:
        text, markup = views.question(view, lang)
        state = Report.ANSWERING
    else:
        text, markup = views.review(view, lang)
        state = Report.REVIEWING
    await _send(update, text, markup, edit=edit, answered=answered)
    return state


async def _send(
    update: Update,
    text: str,
    markup: InlineKeyboardMarkup | None,
    *,
    edit: bool = False,
    answered: bool = False,
) -> None:
    # A new message for each question keeps the conversation readable on a phone; only menu
    # choices are edited in place. The calls of one press go out together: each is a round trip
    # to Telegram (tens to hundreds of milliseconds from Vietnam), and none needs another's
    # answer, so the officer waits for one round trip instead of three.
    query = update.callback_query
    calls: list[Awaitable[object]] = []
    if query is not None and not answered:
        if edit and query.message is not None:
            await asyncio.gather(acknowledge(query), edit_text(query, text, markup))
            return
        calls += [acknowledge(query), drop_buttons(query)]
    if update.effective_chat is not None:
        calls.append(update.effective_chat.send_message(text, reply_markup=markup))
    await asyncio.gather(*calls)


def _now(context: BotContext) -> datetime:
    return context.bot_data.clock()


def _data(update: Update) -> list[str]:
    assert update.callback_query is not None and update.callback_query.data is not None
    return Buttons.parse(update.callback_query.data)


async def start(update: Update, context: BotContext) -> int:
    """/baocao: choose the unit (when several), then the period."""

    async def step(session: AsyncSession, viewer: Viewer) -> int:
        lang = language_of(context, viewer)
        units = await reporting.units_for(session, viewer.person_id)
        if not units:
            await say(update, lang, "You are not an officer of any reporting unit.")
            return END
        if len(units) == 1:
            return await _choose_period(update, context, session, viewer, units[0].unit_id)
        text, markup = views.unit_menu(units, lang)
        await show(update, text, markup)
        return Report.CHOOSING_UNIT

    return await _as_officer(update, context, step)


async def unit_chosen(update: Update, context: BotContext) -> int:
    """A unit button."""
    unit_id = int(_data(update)[1])

    async def step(session: AsyncSession, viewer: Viewer) -> int:
        return await _choose_period(update, context, session, viewer, unit_id)

    return await _as_officer(update, context, step)


async def _choose_period(
    update: Update, context: BotContext, session: AsyncSession, viewer: Viewer, unit_id: int
) -> int:
    lang = language_of(context, viewer)
    setup = context.bot_data.reporting
    choices = await reporting.periods_for(session, viewer.person_id, unit_id, setup, _now(context))
    if not choices:
        await say(
            update,
            lang,
            "No month is open for reporting now. Type /trangthai to see the deadlines.",
        )
        return END
    if len(choices) == 1:
        return await _open(update, context, session, viewer, unit_id, choices[0].period)
    text, markup = views.period_menu(unit_id, choices, lang)
    await show(update, text, markup)
    return Report.CHOOSING_PERIOD


async def period_chosen(update: Update, context: BotContext) -> int:
    """A period button."""
    _, unit, key = _data(update)[:3]

    async def step(session: AsyncSession, viewer: Viewer) -> int:
        return await _open(update, context, session, viewer, int(unit), Period.from_key(key))

    return await _as_officer(update, context, step)


async def _open(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    viewer: Viewer,
    unit_id: int,
    period: Period,
    *,
    takeover: bool = False,
    amend: bool = False,
) -> int:
    lang = language_of(context, viewer)
    try:
        view = await reporting.open_draft(
            session,
            person_id=viewer.person_id,
            unit_id=unit_id,
            period=period,
            setup=context.bot_data.reporting,
            now=_now(context),
            takeover=takeover,
            amend=amend,
        )
    except DraftHeldByOther as held:
        text, markup = views.takeover_prompt(
            unit_id, period, describe(lang, held, context.bot_data.settings.zone), lang
        )
        await show(update, text, markup)
        return Report.TAKING_OVER
    except ReportAlreadySent as sent:
        # Say first that it went in (its receipt may never have been seen); open an amendment
        # only if the officer asks for one.
        text, markup = views.already_sent(sent.sent, lang, context.bot_data.settings.zone)
        await show(update, text, markup)
        return Report.AMEND_OR_DONE
    notice = views.late_notice(view, lang)
    if notice is not None:
        await show(update, notice)
    await form_offer.offer(update, context, session, viewer.person_id, unit_id, period, lang)
    return await _present(update, view, lang, answered=notice is not None)


async def take_over(update: Update, context: BotContext) -> int:
    """Take over another officer's draft of the same unit and period."""
    _, unit, key = _data(update)[:3]

    async def step(session: AsyncSession, viewer: Viewer) -> int:
        return await _open(
            update, context, session, viewer, int(unit), Period.from_key(key), takeover=True
        )

    return await _as_officer(update, context, step)


async def amend_chosen(update: Update, context: BotContext) -> int:
    """Change a report already sent: its amendment draft is opened only now."""
    _, unit, key = _data(update)[:3]

    async def step(session: AsyncSession, viewer: Viewer) -> int:
        return await _open(
            update, context, session, viewer, int(unit), Period.from_key(key), amend=True
        )

    return await _as_officer(update, context, step)


async def leave(update: Update, context: BotContext) -> int:
    """Do not take the draft over; or leave a report already sent as it is."""
    await say(update, language_of(context, None), "All right, nothing was changed.")
    return END


async def typed_answer(update: Update, context: BotContext) -> int:
    """A typed answer to the current question."""
    assert update.message is not None and update.message.text is not None
    text = update.message.text
    # Telegram (and our Zalo adapter) number messages per chat: this names the message.
    message_key = hashlib.blake2b(
        f"{update.message.chat_id}:{update.message.message_id}".encode(), digest_size=16
    ).hexdigest()  # fixed length, whatever the channel's ids look like

    async def step(session: AsyncSession, viewer: Viewer) -> int:
        view = await reporting.answer(
            session,
            person_id=viewer.person_id,
            draft_id=None,  # the officer's current draft, locked and checked by the service
            step=None,
            text=text,
            setup=context.bot_data.reporting,
            message_key=message_key,
        )
        return await _present(update, view, language_of(context, viewer))

    return await _as_officer(update, context, step)


async def shortcut(update: Update, context: BotContext) -> int:
    """Yes / No / keep last month / keep what I entered / nothing changed / skip / back,
    beside a question."""
    action, draft, at = _data(update)[:3]
    draft_id, step_no = int(draft), int(at)

    async def step(session: AsyncSession, viewer: Viewer) -> int:
        person = viewer.person_id
        setup = context.bot_data.reporting
        if action in ("yes", "no"):
            view = await reporting.answer(
                session,
                person_id=person,
                draft_id=draft_id,
                step=step_no,
                text="1" if action == "yes" else "0",
                setup=setup,
            )
        elif action == "keep":
            view = await reporting.keep_last(
                session, person_id=person, draft_id=draft_id, step=step_no
            )
        elif action == "mine":
            view = await reporting.keep_entered(
                session, person_id=person, draft_id=draft_id, step=step_no
            )
        elif action == "same":
            view = await reporting.keep_all_stocks(
                session, person_id=person, draft_id=draft_id, step=step_no
            )
        elif action == "skip":
            view = await reporting.skip(session, person_id=person, draft_id=draft_id, step=step_no)
        else:
            view = await reporting.go_back(
                session, person_id=person, draft_id=draft_id, step=step_no
            )
        return await _present(update, view, language_of(context, viewer))

    return await _as_officer(update, context, step)


async def not_text(update: Update, context: BotContext) -> int:
    """A sticker, photo, voice note or location where an answer is expected."""

    async def step(session: AsyncSession, viewer: Viewer) -> int:
        lang = language_of(context, viewer)
        await say(update, lang, "Please answer with text. Here is the question again:")
        view = await reporting.current_draft(session, viewer.person_id)
        return await _present(update, view, lang) if view else END

    return await _as_officer(update, context, step)


async def jump_answer(update: Update, context: BotContext) -> int:
    """ "Is that right?" after a big change: yes asks for a reason, no asks again."""
    action, draft, at = _data(update)[:3]

    async def step(session: AsyncSession, viewer: Viewer) -> int:
        lang = language_of(context, viewer)
        if action == "jumpok":
            await say(update, lang, "Please write a short reason (for example: new workers hired).")
            return Report.GIVING_JUMP_REASON
        view = await reporting.retry_jump(
            session, person_id=viewer.person_id, draft_id=int(draft), step=int(at)
        )
        return await _present(update, view, lang)

    return await _as_officer(update, context, step)


async def jump_typed(update: Update, context: BotContext) -> int:
    """Text at "is that right?": ĐÚNG / dung / ok keeps the figure (then its reason); anything
    else, a number above all, is the corrected answer."""
    assert update.message is not None and update.message.text is not None
    if not is_confirmation(update.message.text):
        return await typed_answer(update, context)

    async def step(session: AsyncSession, viewer: Viewer) -> int:
        lang = language_of(context, viewer)
        await say(update, lang, "Please write a short reason (for example: new workers hired).")
        return Report.GIVING_JUMP_REASON

    return await _as_officer(update, context, step)


async def jump_reason(update: Update, context: BotContext) -> int:
    """The reason for a big change; the value is then kept with it."""
    assert update.message is not None and update.message.text is not None
    reason = update.message.text

    async def step(session: AsyncSession, viewer: Viewer) -> int:
        view = await reporting.confirm_jump(
            session, person_id=viewer.person_id, draft_id=None, step=None, reason=reason
        )
        return await _present(update, view, language_of(context, viewer))

    return await _as_officer(update, context, step)


async def review_action(update: Update, context: BotContext) -> int:
    """Send the report, or pick an item to change."""
    parts = _data(update)
    action, draft_id = parts[0], int(parts[1])

    async def step(session: AsyncSession, viewer: Viewer) -> int:
        lang = language_of(context, viewer)
        if action == "edit":
            view = await reporting.current_draft(session, viewer.person_id)
            if view is None or view.draft_id != draft_id:
                raise reporting.StaleAction()
            text, markup = views.item_menu(view, lang)
            await show(update, text, markup)
            return Report.PICKING_ITEM
        unit_id, period = int(parts[2]), Period.from_key(parts[3])
        view = await reporting.current_draft(session, viewer.person_id)
        if view is not None and view.draft_id == draft_id and view.amending:
            # No reason is asked for an amendment that changes nothing: it is refused here.
            await reporting.check_amendment(session, person_id=viewer.person_id, draft_id=draft_id)
            await say(update, lang, "Please write a short reason for the changes.")
            return Report.GIVING_AMEND_REASON
        return await _submit(update, context, session, viewer, draft_id, unit_id, period, None)

    return await _as_officer(update, context, step)


RECEIPT_RETRY_DELAYS: tuple[float, ...] = retry_until_seen.RETRY_DELAYS


async def _submit(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    viewer: Viewer,
    draft_id: int,
    unit_id: int,
    period: Period,
    reason: str | None,
) -> int:
    receipt = await reporting.submit(
        session,
        person_id=viewer.person_id,
        draft_id=draft_id,
        unit_id=unit_id,
        period=period,
        reason=reason,
        setup=context.bot_data.reporting,
        now=_now(context),
    )
    lang = language_of(context, viewer)
    text = views.receipt(receipt, lang, context.bot_data.settings.zone)
    # The report is stored: its receipt must be seen, even if the Bot API fails right now.
    await retry_until_seen.show_until_seen(
        update, context, text, edit=False, delays=RECEIPT_RETRY_DELAYS, name="report-receipt"
    )
    return END


async def amend_reason(update: Update, context: BotContext) -> int:
    """The reason for amending a submitted report; then it is sent."""
    assert update.message is not None and update.message.text is not None
    reason = update.message.text

    async def step(session: AsyncSession, viewer: Viewer) -> int:
        view = await reporting.require_current_draft(session, viewer.person_id)
        return await _submit(
            update, context, session, viewer, view.draft_id, view.unit_id, view.period, reason
        )

    return await _as_officer(update, context, step)


async def item_chosen(update: Update, context: BotContext) -> int:
    """An item to change, from the review."""
    _, draft, index = _data(update)[:3]

    async def step(session: AsyncSession, viewer: Viewer) -> int:
        view = await reporting.edit_item(
            session, person_id=viewer.person_id, draft_id=int(draft), index=int(index)
        )
        return await _present(update, view, language_of(context, viewer))

    return await _as_officer(update, context, step)


async def pause(update: Update, context: BotContext) -> int:
    """/cancel or ⏸: keep the draft for later, or delete it."""

    async def step(session: AsyncSession, viewer: Viewer) -> int:
        view = await reporting.current_draft(session, viewer.person_id)
        lang = language_of(context, viewer)
        if view is None:
            await say(update, lang, "Cancelled.")
            return END
        text, markup = views.cancel_choice(view.draft_id, lang)
        await show(update, text, markup)
        return Report.CANCELLING

    return await _as_officer(update, context, step)


async def cancel_choice(update: Update, context: BotContext) -> int:
    """Keep or delete the draft."""
    action, draft = _data(update)[:2]

    async def step(session: AsyncSession, viewer: Viewer) -> int:
        lang = language_of(context, viewer)
        if action == "discard":
            await reporting.discard(session, person_id=viewer.person_id, draft_id=int(draft))
            await say(update, lang, "The draft was deleted.")
        else:
            await say(update, lang, "The draft is kept. Type /baocao to continue.")
        return END

    return await _as_officer(update, context, step)


async def not_a_button(update: Update, context: BotContext) -> int | None:
    """Typed text where a button is expected: say so (the buttons stay above)."""
    typed = update.message.text if update.message is not None else None
    await show(update, choice_hint(context, language_of(context, None), typed))
    return None


# Buttons that need no draft, or whose every use the service re-checks on its own (a second tap
# on "send" gets "already submitted"): a press the conversation was not waiting for is applied.
_APPLIED: dict[str, Callable[[Update, BotContext], Awaitable[int]]] = {
    "unit": unit_chosen,
    "period": period_chosen,
    "open": period_chosen,
    "takeover": take_over,
    "leave": leave,
    "amend": amend_chosen,
    "stop": pause,
    "submit": review_action,
}
_QUESTION_ACTIONS = Buttons.QUESTION_ACTIONS
_JUMP_ACTIONS = Buttons.JUMP_ACTIONS
_REVIEW_ACTIONS = frozenset({"edit", "item"})
# The rest act on the officer's open draft at one screen of it.
_ON_DRAFT: dict[str, Callable[[Update, BotContext], Awaitable[int]]] = {
    **dict.fromkeys(_QUESTION_ACTIONS, shortcut),
    **dict.fromkeys(_JUMP_ACTIONS, jump_answer),
    "edit": review_action,
    "item": item_chosen,
    "keepdraft": cancel_choice,
    "discard": cancel_choice,
}


def _fits(view: DraftView, action: str, at: int | None) -> bool:
    """Whether a button of the draft belongs to the screen the draft is at now."""
    if action in _QUESTION_ACTIONS:
        return view.question is not None and view.pending is None and view.step == at
    if action in _JUMP_ACTIONS:
        return view.pending is not None and view.step == at
    if action in _REVIEW_ACTIONS:
        return view.question is None
    return True  # keep or delete the draft


# Every button the conversation sends, whole: one the conversation is not waiting for (a
# reminder's "open" button, a press after a restart lost the state) goes to resume_press.
ANY_BUTTON = Buttons.ANY


async def resume_press(update: Update, context: BotContext) -> int | None:
    """A report button the conversation was not waiting for (its state lost in a restart, or
    gone on): applied when it is for the officer's open draft where it stands, else the draft
    is shown where it stands. Data in no shape the bot sends (fewer parts than its action reads,
    an action it never sends) is an expired button; the state, if any, stays as it is."""
    assert update.callback_query is not None
    if not ANY_BUTTON.match(update.callback_query.data or ""):
        await say(
            update,
            language_of(context, None),
            "This button has expired. Type /baocao to see your reports.",
        )
        return None
    parts = _data(update)
    action = parts[0]
    if action in _APPLIED:
        return await _APPLIED[action](update, context)
    draft_id, at = int(parts[1]), int(parts[2]) if len(parts) > 2 else None
    fits = False

    async def step(session: AsyncSession, viewer: Viewer) -> int:
        nonlocal fits
        view = await reporting.current_draft(session, viewer.person_id)
        if view is None:
            await say(
                update,
                language_of(context, viewer),
                "This button has expired. Type /baocao to see your reports.",
            )
            return END
        if view.draft_id != draft_id or not _fits(view, action, at):
            raise reporting.StaleAction()  # said, and the draft shown where it stands
        fits = True
        return END

    state = await _as_officer(update, context, step)
    # Applied in a session of its own (the check's session is closed by now), re-checked there.
    return await _ON_DRAFT[action](update, context) if fits else state


async def timed_out(update: object, context: BotContext) -> None:
    """After a long pause the conversation ends; the draft stays in the database."""
    if isinstance(update, Update) and update.effective_chat is not None:
        await update.effective_chat.send_message(
            tr(
                language_of(context, None),
                "Paused after a long wait. The draft is kept: type /baocao to continue.",
            )
        )


def build(timeout_minutes: float = 30) -> ConversationHandler[BotContext]:
    private = filters.ChatType.PRIVATE
    text = private & filters.TEXT & ~filters.COMMAND
    other = private & ~filters.TEXT & ~filters.COMMAND
    resume: CallbackQueryHandler[BotContext, object] = CallbackQueryHandler(
        resume_press, pattern=ANY_BUTTON
    )
    return ConversationHandler(
        entry_points=[CommandHandler("baocao", start, filters=private), resume],
        states={
            Report.CHOOSING_UNIT: [
                CallbackQueryHandler(unit_chosen, pattern=Buttons.UNIT),
                MessageHandler(text, not_a_button),
            ],
            Report.CHOOSING_PERIOD: [
                CallbackQueryHandler(period_chosen, pattern=Buttons.PERIOD),
                MessageHandler(text, not_a_button),
            ],
            Report.TAKING_OVER: [
                CallbackQueryHandler(take_over, pattern=Buttons.TAKEOVER),
                CallbackQueryHandler(leave, pattern=Buttons.LEAVE),
                MessageHandler(text, not_a_button),
            ],
            Report.ANSWERING: [
                MessageHandler(text, typed_answer),
                CallbackQueryHandler(shortcut, pattern=Buttons.SHORTCUT),
                MessageHandler(other, not_text),
            ],
            Report.CONFIRMING_JUMP: [
                CallbackQueryHandler(jump_answer, pattern=Buttons.JUMP),
                MessageHandler(text, jump_typed),  # ĐÚNG keeps it; a number replaces it
                MessageHandler(other, not_text),
            ],
            Report.GIVING_JUMP_REASON: [
                MessageHandler(text, jump_reason),
                MessageHandler(other, not_text),
            ],
            Report.REVIEWING: [
                CallbackQueryHandler(review_action, pattern=Buttons.REVIEW),
                MessageHandler(text, not_a_button),
            ],
            Report.PICKING_ITEM: [
                CallbackQueryHandler(item_chosen, pattern=Buttons.ITEM),
                MessageHandler(text, not_a_button),
            ],
            Report.GIVING_AMEND_REASON: [MessageHandler(text, amend_reason)],
            Report.CANCELLING: [
                CallbackQueryHandler(cancel_choice, pattern=Buttons.KEEP_OR_DISCARD),
                MessageHandler(text, not_a_button),
            ],
            Report.AMEND_OR_DONE: [
                CallbackQueryHandler(amend_chosen, pattern=Buttons.AMEND),
                CallbackQueryHandler(leave, pattern=Buttons.LEAVE),
                MessageHandler(text, not_a_button),
            ],
            ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
        },
        fallbacks=[
            CommandHandler("cancel", pause, filters=private),
            CallbackQueryHandler(pause, pattern=Buttons.STOP),
            CommandHandler("baocao", start, filters=private),
            resume,
        ],
        name="report",
        persistent=True,
        # Not re-entered through the entry points: resume_press would take every button before
        # the state's own handlers. /baocao and the resumed buttons are fallbacks as well.
        allow_reentry=False,
        conversation_timeout=timeout_minutes * 60,
    )
