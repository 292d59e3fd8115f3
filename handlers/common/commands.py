"""Commands that work everywhere: /help, /lang, /cancel; groups; stale buttons; errors."""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from handlers.common.buttons import Language
from handlers.common.context import (
    BotContext,
    choice_hint,
    choices_are_typed,
    keyboard,
    language_of,
    say,
    show,
    user_data,
)
from handlers.common.menu import audience_of, command_lines
from handlers.common.registered import viewer_of
from infra.i18n import tr
from models.db import is_unreachable
from services import access
from services.errors import N_

log = logging.getLogger(__name__)


async def help_command(update: Update, context: BotContext) -> None:
    """/help: what this user, by role, can do (the list of their "/" menu)."""
    async with context.bot_data.uow() as session:
        viewer = await viewer_of(session, update, context)
        audience = await audience_of(session, viewer, context.bot_data.reporting)
    lang = language_of(context, viewer)
    if viewer is None or not audience.roles:
        await say(
            update,
            lang,
            "This bot serves grassroots trade-union and party officers, the "
            "steering committee and the standing office.\n\nTo register, "
            "type /start and then the invite code you received.\n\n"
            "Commands:\n{commands}",
            commands=command_lines(lang, audience),
        )
        return
    await say(update, lang, "Commands:\n{commands}", commands=command_lines(lang, audience))


async def lang_command(update: Update, context: BotContext) -> None:
    """/lang: offer Vietnamese or English."""
    async with context.bot_data.uow() as session:
        viewer = await viewer_of(session, update, context)
    await say(
        update,
        language_of(context, viewer),
        "Choose a language:",
        markup=keyboard(
            [("Tiếng Việt", Language.choose("vi")), ("English", Language.choose("en"))]
        ),
    )


async def lang_chosen(update: Update, context: BotContext) -> None:
    """A language button: saved on the person if registered, else in memory only."""
    assert update.callback_query is not None and update.callback_query.data is not None
    chosen = Language.parse(update.callback_query.data)
    if chosen not in ("vi", "en"):
        await say(update, language_of(context, None), "This button has expired.")
        return
    async with context.bot_data.uow() as session:
        viewer = await viewer_of(session, update, context)
        if viewer is not None:
            await access.set_language(session, viewer.person_id, chosen)
    user_data(context).language = chosen
    await say(update, chosen, "Language set: English.")


async def cancel_outside(update: Update, context: BotContext) -> None:
    """/cancel when nothing is in progress."""
    await say(update, language_of(context, None), "There is nothing to cancel.")


async def group_guard(update: Update, context: BotContext) -> None:
    """Before every handler: in a group the bot reveals nothing and only asks to be messaged
    privately; a channel post gets no answer; an edited message changes nothing (PTB would
    otherwise hand it to the same handlers as a new message, and an edited report answer would
    answer the next question)."""
    chat = update.effective_chat
    if chat is None and update.callback_query is not None:
        # A button on an inline message (the bot offers none): there is no chat to answer in.
        await update.callback_query.answer(
            tr(context.bot_data.settings.default_language, "This button has expired.")
        )
        raise ApplicationHandlerStop
    if chat is not None and chat.type == chat.CHANNEL:
        raise ApplicationHandlerStop  # a post in a channel the bot was added to: nobody to answer
    if chat is not None and chat.type == chat.PRIVATE and update.edited_message is not None:
        await chat.send_message(
            tr(
                language_of(context, None),
                "Editing a message you already sent changes "
                "nothing. If something was wrong, send it again or use the buttons.",
            )
        )
        raise ApplicationHandlerStop
    if chat is None or chat.type == chat.PRIVATE:
        return
    lang = context.bot_data.settings.default_language
    text = tr(
        lang,
        "Please message me privately: open a chat with @{bot} and type /start there.",
        bot=context.bot.username,
    )
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await chat.send_message(text)
    raise ApplicationHandlerStop


async def stale_button(update: Update, context: BotContext) -> None:
    """A button no conversation is waiting for (an old message, a restarted bot)."""
    await say(
        update, language_of(context, None), "This button has expired. Type /start to see your menu."
    )


async def unknown_message(update: Update, context: BotContext) -> None:
    """Anything no handler took: point to /help. A bare number on a text channel was meant
    for a numbered list (one out of range, or none is shown): say so; the channel lists the
    choices again under it if there are any."""
    lang = language_of(context, None)
    typed = update.message.text if update.message is not None else None
    if choices_are_typed(context) and typed is not None and typed.strip().isdigit():
        await show(update, choice_hint(context, lang, typed))
        return
    await say(update, lang, "Sorry, I did not understand that. Type /help to see what you can do.")


UNAVAILABLE = N_(
    "⚠️ The system is briefly unavailable, so your last message was not processed. Please "
    "try again in a few minutes; everything saved before is kept."
)


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure without the update (it may carry a worker's identity) and apologise:
    "try again in a few minutes" when the database could not be reached, else a generic
    apology."""
    # Where it failed and what kind of error, never its message or locals: a database error's
    # message can carry the values of a worker's row (PostgreSQL's DETAIL, for one).
    error = context.error
    frames = traceback.extract_tb(error.__traceback__) if error is not None else []
    where = " < ".join(f"{f.name}:{f.lineno}" for f in reversed(frames[-6:]))
    unreachable = is_unreachable(error)
    context.bot_data.metrics.errors.labels("update" if isinstance(update, Update) else "job").inc()
    if unreachable:
        # Expected during an outage and passing by itself: a warning, one line per update.
        log.warning("database unreachable: %s at %s", type(error).__name__, where)
    else:
        log.error("handler failed: %s at %s", type(error).__name__, where)
    if isinstance(update, Update) and update.effective_chat is not None:
        if update.effective_chat.type == update.effective_chat.PRIVATE:
            # The language from memory only: the database may be the thing that failed.
            lang = language_of(context, None) if context.user_data is not None else "vi"
            text = (
                tr(lang, UNAVAILABLE)
                if unreachable
                else tr(
                    lang, "Sorry, something went wrong on our side. Please try again in a moment."
                )
            )
            try:
                await update.effective_chat.send_message(text)
            except TelegramError:
                log.warning("the apology could not be delivered")


def guards() -> list[BaseHandler[Update, BotContext, None]]:
    """Run before everything else (group -1)."""
    return [TypeHandler(Update, group_guard)]


def general() -> list[BaseHandler[Update, BotContext, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("help", help_command, filters=private),
        CommandHandler("lang", lang_command, filters=private),
        CallbackQueryHandler(lang_chosen, pattern=Language.PATTERN),
        CommandHandler("cancel", cancel_outside, filters=private),
    ]


def last_resort() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CallbackQueryHandler(stale_button),
        MessageHandler(filters.ChatType.PRIVATE, unknown_message),
    ]
