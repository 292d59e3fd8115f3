"""/hopthu: the trade-union officers' inbox of workers' concerns.

Cases show the day (never a time), category and text; replies go out signed by the union, never
by the officer. The service checks, from the database, that the officer serves the case's
enterprise (or its zone, for escalated cases): callback data only names the case.
"""

from __future__ import annotations

import logging
from datetime import date
from enum import IntEnum

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import day, tr
from bot.texts import split_text
from handlers.context import BotContext, describe, identity_of, keyboard, language_of, say, show
from models.concerns import ConcernStatus
from services import access, concerns
from services.concerns import STATUS_LABELS, InboxCase
from services.errors import DomainError

PREFIX = "hop:v1"
REPLYING_TO = "replying_to"  # user_data (officers only): the case being answered
SHOWN_AT_ONCE = 10
END = ConversationHandler.END


class Inbox(IntEnum):
    WRITING_REPLY = 1


def _today(context: BotContext) -> date:
    return context.bot_data.clock().astimezone(context.bot_data.settings.zone).date()


def render_case(
    case: InboxCase, context: BotContext, lang: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    category = context.bot_data.concerns.config.category(case.category)
    head = f"📩 {case.case_code} · {day(case.created_on, lang)} · " + (
        category.label.get(lang) if category else case.category
    )
    state = tr(lang, STATUS_LABELS[case.status])
    if case.overdue:
        state += " · " + tr(lang, "OVERDUE")
    lines = [head, f"{case.enterprise_name} · {state}"]
    if case.escalated_to:
        lines.append(tr(lang, "Passed on to {zone}", zone=case.escalated_to))
    lines += ["", case.text]
    for reply in case.replies:
        lines += [
            "",
            tr(
                lang,
                "Answered on {date} as {organisation}:",
                date=day(reply.created_on, lang),
                organisation=reply.signed_as,
            ),
            reply.text,
        ]
    if case.escalated_to is not None and not case.as_zone:
        # Passed above: only the zone union acts on it now; the enterprise union can read it.
        return "\n".join(lines), None
    rows = [
        [(tr(lang, "✍️ Answer"), f"{PREFIX}:reply:{case.concern_id}")],
        [
            (tr(lang, "Being handled"), f"{PREFIX}:st:{case.concern_id}:in_progress"),
            (tr(lang, "Close"), f"{PREFIX}:st:{case.concern_id}:closed"),
        ],
    ]
    if not case.as_zone:
        rows.append([(tr(lang, "⬆️ Pass on to the zone union"), f"{PREFIX}:esc:{case.concern_id}")])
    return "\n".join(lines), keyboard(*rows)


async def inbox(update: Update, context: BotContext) -> int:
    """/hopthu: the open cases of the officer's enterprises (and escalated ones of their zone)."""
    identity = identity_of(update, context)
    setup = context.bot_data.concerns
    async with context.bot_data.uow() as session:
        viewer = await access.identify(session, identity.channel, identity.external_id)
        lang = language_of(context, viewer)
        if viewer is None or viewer.revoked:
            await say(update, lang, "This command is for registered officers. Type /start.")
            return END
        cases = await concerns.inbox(
            session, viewer.person_id, _today(context), keys=setup.keys, config=setup.config
        )
    if not cases:
        await say(
            update,
            lang,
            "No concerns are waiting. New ones are announced here at the set times of day.",
        )
        return END
    await say(update, lang, "{count} open concerns:", count=len(cases))
    for case in cases[:SHOWN_AT_ONCE]:
        text, markup = render_case(case, context, lang)
        *before, last = split_text(text)  # a case and its answers can exceed one message
        for part in before:
            await show(update, part)
        await show(update, last, markup)
    if len(cases) > SHOWN_AT_ONCE:
        await say(
            update,
            lang,
            "Showing the {shown} oldest; answer or close them to see more.",
            shown=SHOWN_AT_ONCE,
        )
    return END


async def start_reply(update: Update, context: BotContext) -> int:
    """✍️ Answer: ask for the text."""
    assert update.callback_query is not None and update.callback_query.data is not None
    concern_id = update.callback_query.data.rsplit(":", 1)[-1]
    identity = identity_of(update, context)
    setup = context.bot_data.concerns
    async with context.bot_data.uow() as session:
        viewer = await access.identify(session, identity.channel, identity.external_id)
        lang = language_of(context, viewer)
        try:
            if viewer is None:
                raise concerns.NotCaseOfficer()
            case = await concerns.get_case(
                session,
                viewer.person_id,
                concern_id,
                _today(context),
                keys=setup.keys,
                config=setup.config,
            )
        except DomainError as refusal:
            await show(update, describe(lang, refusal, context.bot_data.settings.zone))
            return END
    if context.user_data is not None:
        context.user_data[REPLYING_TO] = concern_id
    await say(
        update,
        lang,
        "Write the answer to {case}. It is signed by the union, not by you. /cancel to stop.",
        case=case.case_code,
    )
    return Inbox.WRITING_REPLY


async def reply_written(update: Update, context: BotContext) -> int:
    """The answer's text: stored, signed by the union, and pushed if the worker asked."""
    assert update.message is not None and update.message.text is not None
    concern_id = context.user_data.pop(REPLYING_TO, None) if context.user_data else None
    identity = identity_of(update, context)
    setup = context.bot_data.concerns
    async with context.bot_data.uow() as session:
        viewer = await access.identify(session, identity.channel, identity.external_id)
        lang = language_of(context, viewer)
        try:
            if viewer is None or concern_id is None:
                raise concerns.NotCaseOfficer()
            result = await concerns.reply(
                session,
                viewer.person_id,
                concern_id,
                update.message.text,
                _today(context),
                keys=setup.keys,
                config=setup.config,
            )
        except DomainError as refusal:
            await show(update, describe(lang, refusal, context.bot_data.settings.zone))
            return END
    await _push(context, result)
    # The same words whether or not the worker asked for pushed answers: the officer must not
    # learn who opted in, or who blocked the bot.
    await say(
        update, lang, "Answer sent, signed “{organisation}”.", organisation=result.reply.signed_as
    )
    return END


async def _push(context: BotContext, result: concerns.ReplyResult) -> None:
    """Deliver the answer to a worker who asked for it. The answer is already stored: a failure
    here (blocked bot, keys rotated without a reseal) only means /kiemtra is the way to read it."""
    try:
        target = result.push_chat_id(context.bot_data.concerns.keys)
        if target is None:
            return
        worker_lang = context.bot_data.settings.default_language
        text = tr(
            worker_lang,
            "The union answered your concern {case}:\n\n{text}\n\n— {organisation}",
            case=result.case_code,
            text=result.reply.text,
            organisation=result.reply.signed_as,
        )
        channel, _, chat_id = target.rpartition(":")
        sender = context.bot_data.senders.get(channel or "telegram")  # unprefixed: sealed earlier
        if sender is None:
            return  # the worker's channel is not served by this process: /kiemtra shows it
        for part in split_text(text):
            await sender.send_message(chat_id, part)
    except Exception:  # nothing about it may reach the officer, or the log's details
        logging.getLogger(__name__).warning("a pushed answer could not be delivered")


async def status_button(update: Update, context: BotContext) -> None:
    """Being handled / Close."""
    assert update.callback_query is not None and update.callback_query.data is not None
    parts = update.callback_query.data.split(":")
    concern_id, status = (parts[3], parts[4]) if len(parts) == 5 else ("", "")
    identity = identity_of(update, context)
    async with context.bot_data.uow() as session:
        viewer = await access.identify(session, identity.channel, identity.external_id)
        lang = language_of(context, viewer)
        try:
            if viewer is None:
                raise concerns.NotCaseOfficer()
            new = await concerns.set_status(
                session, viewer.person_id, concern_id, ConcernStatus(status), _today(context)
            )
        except (DomainError, ValueError) as refusal:
            text = (
                describe(lang, refusal, None)
                if isinstance(refusal, DomainError)
                else tr(lang, "This button has expired.")
            )
            await show(update, text)
            return
    await say(update, lang, "Status set: {status}.", status=tr(lang, STATUS_LABELS[new]))


async def escalate_button(update: Update, context: BotContext) -> None:
    """⬆️ Pass on to the zone union: asked first, since it cannot be taken back."""
    assert update.callback_query is not None and update.callback_query.data is not None
    concern_id = update.callback_query.data.rsplit(":", 1)[-1]
    identity = identity_of(update, context)
    async with context.bot_data.uow() as session:
        viewer = await access.identify(session, identity.channel, identity.external_id)
        lang = language_of(context, viewer)
        try:
            if viewer is None:
                raise concerns.NotCaseOfficer()
            target = await concerns.escalation_target(session, viewer.person_id, concern_id)
        except DomainError as refusal:
            await show(update, describe(lang, refusal, None))
            return
    await say(
        update,
        lang,
        "Pass {case} on to {zone}? From then on only the zone union acts on it; your union can "
        "still read it.",
        keyboard(
            [(tr(lang, "⬆️ Yes, pass it on"), f"{PREFIX}:escok:{concern_id}")],
            [(tr(lang, "No, keep it here"), f"{PREFIX}:escno:{concern_id}")],
        ),
        case=target.case_code,
        zone=target.zone_name,
    )


async def escalate_confirmed(update: Update, context: BotContext) -> None:
    """Yes, pass it on (every check made again: the button may be old)."""
    assert update.callback_query is not None and update.callback_query.data is not None
    concern_id = update.callback_query.data.rsplit(":", 1)[-1]
    identity = identity_of(update, context)
    async with context.bot_data.uow() as session:
        viewer = await access.identify(session, identity.channel, identity.external_id)
        lang = language_of(context, viewer)
        try:
            if viewer is None:
                raise concerns.NotCaseOfficer()
            done = await concerns.escalate(session, viewer.person_id, concern_id, _today(context))
        except DomainError as refusal:
            await show(update, describe(lang, refusal, None))
            return
    await say(
        update, lang, "{case} was passed on to {zone}.", case=done.case_code, zone=done.zone_name
    )


async def escalate_declined(update: Update, context: BotContext) -> None:
    """No, keep it here: the case again, with its buttons."""
    assert update.callback_query is not None and update.callback_query.data is not None
    concern_id = update.callback_query.data.rsplit(":", 1)[-1]
    identity = identity_of(update, context)
    setup = context.bot_data.concerns
    async with context.bot_data.uow() as session:
        viewer = await access.identify(session, identity.channel, identity.external_id)
        lang = language_of(context, viewer)
        try:
            if viewer is None:
                raise concerns.NotCaseOfficer()
            case = await concerns.get_case(
                session,
                viewer.person_id,
                concern_id,
                _today(context),
                keys=setup.keys,
                config=setup.config,
            )
        except DomainError as refusal:
            await show(update, describe(lang, refusal, None))
            return
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
    if context.user_data is not None:
        context.user_data.pop(REPLYING_TO, None)
    await say(update, language_of(context, None), "Cancelled.")
    return END


def build() -> list[object]:
    private = filters.ChatType.PRIVATE
    replying = ConversationHandler(
        entry_points=[CallbackQueryHandler(start_reply, pattern=f"^{PREFIX}:reply:")],
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
        CallbackQueryHandler(status_button, pattern=f"^{PREFIX}:st:"),
        CallbackQueryHandler(escalate_button, pattern=f"^{PREFIX}:esc:"),
        CallbackQueryHandler(escalate_confirmed, pattern=f"^{PREFIX}:escok:"),
        CallbackQueryHandler(escalate_declined, pattern=f"^{PREFIX}:escno:"),
    ]
