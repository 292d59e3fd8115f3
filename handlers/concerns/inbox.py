"""/hopthu: the trade-union officers' inbox of workers' concerns.

Cases show the day (never a time), category and text; replies go out signed by the union, never
by the officer. The service checks, from the database, that the officer serves the case's
enterprise (or its zone, for escalated cases): callback data only names the case.

On Telegram each case comes with its own buttons. On text channels (console, Zalo) buttons are
one numbered list per chat, so the officer first chooses a case from a list, then one of its
actions: listing every case's actions under one numbering left only the last case reachable.
Every confirmation names the case it changed.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers.common.buttons import Inbox as Buttons
from handlers.common.context import (
    BotContext,
    acknowledge,
    choices_are_typed,
    keyboard,
    language_of,
    say,
    show,
    today,
    user_data,
)
from handlers.common.registered import Step, as_registered
from infra.i18n import day, tr
from infra.message_split import split_text
from models.concerns import ConcernStatus
from services import concerns
from services.access import Viewer
from services.concerns import STATUS_LABELS, Escalation, InboxCase, ReplyResult

SNIPPET = 60  # characters of a case's text in the list of a text channel
SHOWN_AT_ONCE = 10
END = ConversationHandler.END
T = TypeVar("T")


class Inbox(IntEnum):
    WRITING_REPLY = 1


async def _as_case_officer(update: Update, context: BotContext, step: Step[T]) -> T | None:
    """Run ``step`` for an officer: someone unknown is told the case is not theirs, someone
    revoked is refused by the service (its check of the officer's roles), from the database."""
    return await as_registered(
        update, context, step, refused=None, unregistered=concerns.NotCaseOfficer(), revoked=None
    )


async def _case(
    session: AsyncSession, viewer: Viewer, concern_id: str, context: BotContext
) -> InboxCase:
    """The case, if the officer serves it (checked by the service)."""
    setup = context.bot_data.concerns
    return await concerns.get_case(
        session,
        viewer.person_id,
        concern_id,
        today(context.bot_data),
        keys=setup.keys,
        config=setup.config,
    )


def _category(case: InboxCase, context: BotContext, lang: str) -> str:
    category = context.bot_data.concerns.config.category(case.category)
    return category.label.get(lang) if category else case.category


def _shown(text: str | None, lang: str) -> str:
    """A case's or a reply's text; for one no key opens where it is stored (services.concerns),
    a notice instead — the rest of the case stays usable."""
    if text is not None:
        return text
    return tr(
        lang,
        "⚠️ This text cannot be read: it was moved or altered in the database, or its key is "
        "missing. Tell the bot's administrator.",
    )


def render_case(
    case: InboxCase, context: BotContext, lang: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    head = f"📩 {case.case_code} · {day(case.created_on, lang)} · " + _category(case, context, lang)
    state = tr(lang, STATUS_LABELS[case.status])
    if case.overdue:
        state += " · " + tr(lang, "OVERDUE")
    lines = [head, f"{case.enterprise_name} · {state}"]
    if case.escalated_to:
        lines.append(tr(lang, "Passed on to {zone}", zone=case.escalated_to))
    lines += ["", _shown(case.text, lang)]
    for reply in case.replies:
        lines += [
            "",
            tr(
                lang,
                "Answered on {date} as {organisation}:",
                date=day(reply.created_on, lang),
                organisation=reply.signed_as,
            ),
            _shown(reply.text, lang),
        ]
    back = [[(tr(lang, "◀ Back to the list"), Buttons.LIST)]] if choices_are_typed(context) else []
    if case.escalated_to is not None and not case.as_zone:
        # Passed above: only the zone union acts on it now; the enterprise union can read it.
        return "\n".join(lines), keyboard(*back) if back else None
    rows = [
        [(tr(lang, "✍️ Answer"), Buttons.reply(case.concern_id))],
        [
            (tr(lang, "Being handled"), Buttons.status(case.concern_id, "in_progress")),
            (tr(lang, "Close"), Buttons.status(case.concern_id, "closed")),
        ],
    ]
    if not case.as_zone:
        rows.append([(tr(lang, "⬆️ Pass on to the zone union"), Buttons.escalate(case.concern_id))])
    return "\n".join(lines), keyboard(*rows, *back)


def case_list(
    cases: list[InboxCase], context: BotContext, lang: str
) -> tuple[str, InlineKeyboardMarkup]:
    """Text channels: one numbered choice per case (code, day, topic, the text's beginning)."""
    rows = []
    for case in cases[:SHOWN_AT_ONCE]:
        if case.text is None:
            words = tr(lang, "⚠️ unreadable")
        else:
            words = " ".join(case.text.split())
        snippet = words if len(words) <= SNIPPET else words[: SNIPPET - 1].rstrip() + "…"
        label = " · ".join(
            (case.case_code, day(case.created_on, lang), _category(case, context, lang))
        )
        if case.status is not ConcernStatus.RECEIVED:
            label += " · " + tr(lang, STATUS_LABELS[case.status])
        if case.overdue:
            label += " · " + tr(lang, "OVERDUE")
        rows.append([(f"{label}: “{snippet}”", Buttons.case(case.concern_id))])
    text = tr(
        lang,
        "{count} open concerns. Choose one to read it and act on it:",
        count=len(cases),
    )
    if len(cases) > SHOWN_AT_ONCE:
        text += "\n" + tr(
            lang,
            "Showing the {shown} oldest; answer or close them to see more.",
            shown=SHOWN_AT_ONCE,
        )
    return text, keyboard(*rows)


def _and(lang: str, items: list[str]) -> str:
    """["08:00", "11:00", "14:00"] → "08:00, 11:00 and 14:00"."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " " + tr(lang, "and") + " " + items[-1]


async def inbox(update: Update, context: BotContext) -> int:
    """/hopthu: the open cases of the officer's enterprises (and escalated ones of their zone)."""
    setup = context.bot_data.concerns

    async def step(session: AsyncSession, viewer: Viewer) -> tuple[list[InboxCase], str]:
        cases = await concerns.inbox(
            session, viewer.person_id, today(context.bot_data), keys=setup.keys, config=setup.config
        )
        return cases, language_of(context, viewer)

    found = await as_registered(update, context, step, refused=None)
    if found is None:
        return END
    cases, lang = found
    if not cases:
        times = [f"{at:%H:%M}" for at in setup.config.notice_times]
        await say(
            update,
            lang,
            "No concerns are waiting. New ones are announced here at {times} every day.",
            times=_and(lang, times),
        )
        return END
    if choices_are_typed(context):
        await show(update, *case_list(cases, context, lang))
        return END
    messages: list[tuple[str, InlineKeyboardMarkup | None]] = [
        (tr(lang, "{count} open concerns:", count=len(cases)), None)
    ]
    for case in cases[:SHOWN_AT_ONCE]:
        messages += _in_parts(*render_case(case, context, lang))
    if len(cases) > SHOWN_AT_ONCE:
        more = tr(
            lang,
            "Showing the {shown} oldest; answer or close them to see more.",
            shown=SHOWN_AT_ONCE,
        )
        messages.append((more, None))
    await _post(update, messages)
    return END


def _in_parts(
    text: str, markup: InlineKeyboardMarkup | None
) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """A case and its answers can exceed one message: the buttons go under the last part."""
    *before, last = split_text(text)
    return [(part, None) for part in before] + [(last, markup)]


async def _post(update: Update, messages: list[tuple[str, InlineKeyboardMarkup | None]]) -> None:
    """Several messages, new ones: a pressed button is answered once (Telegram refuses a second
    answer), and one message is not edited into many."""
    if update.callback_query is not None:
        await acknowledge(update.callback_query)
    assert update.effective_chat is not None
    for text, markup in messages:
        await update.effective_chat.send_message(text, reply_markup=markup)


async def case_chosen(update: Update, context: BotContext) -> None:
    """Text channels: one case of the list, with its own actions."""
    assert update.callback_query is not None and update.callback_query.data is not None
    concern_id = Buttons.case_of(update.callback_query.data)

    async def step(session: AsyncSession, viewer: Viewer) -> tuple[InboxCase, str]:
        if not concern_id:
            raise concerns.NotCaseOfficer()
        return await _case(session, viewer, concern_id, context), language_of(context, viewer)

    found = await _as_case_officer(update, context, step)
    if found is None:
        return
    case, lang = found
    parts = _in_parts(*render_case(case, context, lang))
    if len(parts) == 1:
        await show(update, *parts[0])  # the list's message becomes the case
    else:
        await _post(update, parts)


async def back_to_list(update: Update, context: BotContext) -> None:
    """Text channels: ◀ the list of open cases again."""
    await inbox(update, context)


async def start_reply(update: Update, context: BotContext) -> int:
    """✍️ Answer: ask for the text."""
    assert update.callback_query is not None and update.callback_query.data is not None
    concern_id = Buttons.concern_of(update.callback_query.data)

    async def step(session: AsyncSession, viewer: Viewer) -> tuple[InboxCase, str]:
        return await _case(session, viewer, concern_id, context), language_of(context, viewer)

    found = await _as_case_officer(update, context, step)
    if found is None:
        return END
    case, lang = found
    user_data(context).replying_to(concern_id)
    await say(
        update,
        lang,
        "Write the answer to {case}. It is signed by the union, not by you. /cancel to stop.",
        case=case.case_code,
    )
    return Inbox.WRITING_REPLY


async def reply_written(update: Update, context: BotContext) -> int:
    """The answer's text: stored, signed by the union; pushed later if the worker asked."""
    assert update.message is not None and update.message.text is not None
    text = update.message.text
    concern_id = user_data(context).take_replying_to()
    setup = context.bot_data.concerns

    async def step(session: AsyncSession, viewer: Viewer) -> tuple[ReplyResult, str]:
        if concern_id is None:
            raise concerns.NotCaseOfficer()
        result = await concerns.reply(
            session,
            viewer.person_id,
            concern_id,
            text,
            today(context.bot_data),
            keys=setup.keys,
            config=setup.config,
        )
        return result, language_of(context, viewer)

    found = await _as_case_officer(update, context, step)
    if found is None:
        return END
    result, lang = found
    # Told at once, with the same words whether or not the worker asked for pushed answers:
    # the officer must not learn who opted in, or who blocked the bot. The push itself goes out
    # later in a batch (handlers/concerns/jobs.py push_answers), never in this request, which
    # would then take longer for workers who opted in.
    await say(
        update,
        lang,
        "Answer to {case} sent, signed “{organisation}”.",
        markup=_after_action(context, lang),
        case=result.case_code,
        organisation=result.reply.signed_as,
    )
    return END


def _after_action(context: BotContext, lang: str) -> InlineKeyboardMarkup | None:
    """Text channels: the way back to the other cases, as a numbered choice."""
    if not choices_are_typed(context):
        return None  # Telegram: the other cases' buttons are still there above
    return keyboard([(tr(lang, "◀ Back to the list"), Buttons.LIST)])


async def status_button(update: Update, context: BotContext) -> None:
    """Being handled / Close."""
    assert update.callback_query is not None and update.callback_query.data is not None
    concern_id, status = Buttons.status_of(update.callback_query.data)

    async def step(
        session: AsyncSession, viewer: Viewer
    ) -> tuple[ConcernStatus, InboxCase, str] | None:
        lang = language_of(context, viewer)
        try:
            wanted = ConcernStatus(status)
        except ValueError:
            await say(update, lang, "This button has expired.")
            return None
        new = await concerns.set_status(
            session, viewer.person_id, concern_id, wanted, today(context.bot_data)
        )
        # Which case changed: the officer may have several open, all alike.
        return new, await _case(session, viewer, concern_id, context), lang

    found = await _as_case_officer(update, context, step)
    if found is None:
        return
    new, case, lang = found
    await say(
        update,
        lang,
        "{case}: status set to {status}.",
        markup=_after_action(context, lang),
        case=case.case_code,
        status=tr(lang, STATUS_LABELS[new]),
    )


async def escalate_button(update: Update, context: BotContext) -> None:
    """⬆️ Pass on to the zone union: asked first, since it cannot be taken back."""
    assert update.callback_query is not None and update.callback_query.data is not None
    concern_id = Buttons.concern_of(update.callback_query.data)

    async def step(session: AsyncSession, viewer: Viewer) -> tuple[Escalation, str]:
        target = await concerns.escalation_target(session, viewer.person_id, concern_id)
        return target, language_of(context, viewer)

    found = await _as_case_officer(update, context, step)
    if found is None:
        return
    target, lang = found
    await say(
        update,
        lang,
        "Pass {case} on to {zone}? From then on only the zone union acts on it; your union can "
        "still read it.",
        keyboard(
            [(tr(lang, "⬆️ Yes, pass it on"), Buttons.escalate_yes(concern_id))],
            [(tr(lang, "No, keep it here"), Buttons.escalate_no(concern_id))],
        ),
        case=target.case_code,
        zone=target.zone_name,
    )


async def escalate_confirmed(update: Update, context: BotContext) -> None:
    """Yes, pass it on (every check made again: the button may be old)."""
    assert update.callback_query is not None and update.callback_query.data is not None
    concern_id = Buttons.concern_of(update.callback_query.data)

    async def step(session: AsyncSession, viewer: Viewer) -> tuple[Escalation, str]:
        done = await concerns.escalate(
            session, viewer.person_id, concern_id, today(context.bot_data)
        )
        return done, language_of(context, viewer)

    found = await _as_case_officer(update, context, step)
    if found is None:
        return
    done, lang = found
    await say(
        update,
        lang,
        "{case} was passed on to {zone}.",
        markup=_after_action(context, lang),
        case=done.case_code,
        zone=done.zone_name,
    )


async def escalate_declined(update: Update, context: BotContext) -> None:
    """No, keep it here: the case again, with its buttons."""
    assert update.callback_query is not None and update.callback_query.data is not None
    concern_id = Buttons.concern_of(update.callback_query.data)

    async def step(session: AsyncSession, viewer: Viewer) -> tuple[InboxCase, str]:
        return await _case(session, viewer, concern_id, context), language_of(context, viewer)

    found = await _as_case_officer(update, context, step)
    if found is None:
        return
    case, lang = found
    await say(update, lang, "Not passed on: the case stays with your union.")
    if update.effective_chat is None:
        return
    # The case again, as a new message with its buttons (the prompt's message said the above).
    text, markup = render_case(case, context, lang)
    *before, last = split_text(text)
    for part in before:
        await update.effective_chat.send_message(part)
    await update.effective_chat.send_message(last, reply_markup=markup)


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel while writing an answer."""
    user_data(context).forget_replying_to()
    await say(update, language_of(context, None), "Cancelled.")
    return END


def build() -> list[object]:
    private = filters.ChatType.PRIVATE
    replying = ConversationHandler(
        entry_points=[CallbackQueryHandler(start_reply, pattern=Buttons.REPLY_PATTERN)],
        states={
            Inbox.WRITING_REPLY: [
                MessageHandler(private & filters.TEXT & ~filters.COMMAND, reply_written)
            ]
        },
        fallbacks=[CommandHandler("cancel", cancel, filters=private)],
        name="inbox_reply",
        persistent=False,
        allow_reentry=True,
        conversation_timeout=30 * 60,
    )
    return [
        CommandHandler("hopthu", inbox, filters=private),
        replying,
        CallbackQueryHandler(case_chosen, pattern=Buttons.CASE_PATTERN),
        CallbackQueryHandler(back_to_list, pattern=Buttons.LIST_PATTERN),
        CallbackQueryHandler(status_button, pattern=Buttons.STATUS_PATTERN),
        CallbackQueryHandler(escalate_button, pattern=Buttons.ESCALATE_PATTERN),
        CallbackQueryHandler(escalate_confirmed, pattern=Buttons.ESCALATE_YES_PATTERN),
        CallbackQueryHandler(escalate_declined, pattern=Buttons.ESCALATE_NO_PATTERN),
    ]
