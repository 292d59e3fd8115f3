"""A worker's side of the polls: join an enterprise's poll list (from the QR poster's promise
screen or /khaosat <code>), answer with buttons (a numbered list on Zalo and the console),
change the answer until the close, leave with /huykhaosat or the button under every poll.

No free text is taken. Nothing here is logged, persisted or counted in /metrics
(``keep_out_of_metrics``): as for concerns, the time of a worker's act must not be kept anywhere.
The chat is sealed by the service; the account id only enters keyed hashes (docs/polls.md).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from handlers.common.buttons import PollButtons
from handlers.common.context import BotContext, keyboard, language_of, refuse, say, show, today
from handlers.concerns.conversation import _carrier, _throttled
from handlers.polls.views import poll_buttons, poll_text
from infra.i18n import tr
from infra.metrics import keep_out_of_metrics
from services import concerns, linking, polls
from services.errors import N_, DomainError


def _chat(update: Update, context: BotContext) -> str:
    """Where polls and results go: the channel and the chat (sealed by the service)."""
    assert update.effective_chat is not None
    return f"{context.bot_data.channel}:{update.effective_chat.id}"


async def start(update: Update, context: BotContext) -> None:
    """/khaosat <enterprise code>: the screen of what the poll list keeps."""
    keep_out_of_metrics()
    lang = language_of(context, None)
    if not context.args:
        await say(
            update,
            lang,
            "To receive the union's polls, type /khaosat and the code of your enterprise as "
            "printed on the poster (for example /khaosat DN-QC-01). To stop: /huykhaosat.",
        )
        return
    async with context.bot_data.uow() as session:
        try:
            enterprise = await concerns.enterprise_by_code(
                session, " ".join(context.args), config=context.bot_data.concerns.config
            )
        except DomainError:
            await say(update, lang, "No enterprise has this code. Check the poster and try again.")
            return
    await _promise(update, context, enterprise.enterprise_id, enterprise.name)


async def join_pressed(update: Update, context: BotContext) -> None:
    """ "Receive polls" under the concern promise screen."""
    keep_out_of_metrics()
    assert update.callback_query is not None and update.callback_query.data is not None
    enterprise_id = int(PollButtons.parse(update.callback_query.data)[1])
    async with context.bot_data.uow() as session:
        name = await polls.enterprise_name(session, enterprise_id)
    if name is None:
        await say(update, language_of(context, None), "This button has expired.")
        return
    await _promise(update, context, enterprise_id, name)


async def _promise(update: Update, context: BotContext, enterprise_id: int, name: str) -> None:
    lang = language_of(context, None)
    channel = context.bot_data.channel
    text = tr(
        lang,
        "Polls of the union for workers of {enterprise}.\n\n"
        "What is kept: that one more chat is on this enterprise's poll list, its address "
        "sealed so that only the bot can open it to send you polls and results; and your "
        "answers, counted without anything that says whose they are.\n"
        "What is NOT kept: your name, your {app} account, your phone number, the time of day, "
        "which answer is yours.\n\n"
        "You can stop at any time: /huykhaosat, or the button under every poll.",
        enterprise=name,
        app=linking.CHANNEL_NAMES.get(channel, "Telegram"),
    )
    text += "\n\n" + _carrier(lang, channel)
    await show(
        update,
        text,
        keyboard([(tr(lang, "📋 Receive polls"), PollButtons.confirm(enterprise_id))]),
    )


async def confirmed(update: Update, context: BotContext) -> None:
    keep_out_of_metrics()
    if await _throttled(update, context):  # joining opens the list's seals: not for a flood
        return
    assert update.callback_query is not None and update.callback_query.data is not None
    enterprise_id = int(PollButtons.parse(update.callback_query.data)[1])
    lang = language_of(context, None)
    async with context.bot_data.uow() as session:
        name = await polls.enterprise_name(session, enterprise_id)
        if name is None:
            await say(update, lang, "This button has expired.")
            return
        joined = await polls.subscribe(
            session, context.bot_data.concerns.keys, enterprise_id, _chat(update, context)
        )
    message = (
        N_("✅ You will receive the union's polls for {enterprise}. To stop: /huykhaosat.")
        if joined
        else N_("You are already on the poll list of {enterprise}. To stop: /huykhaosat.")
    )
    await say(update, lang, message, enterprise=name)


async def leave(update: Update, context: BotContext) -> None:
    """/huykhaosat, or the button under a poll (that poll list only). The same answer whether
    or not the chat was on a list."""
    keep_out_of_metrics()
    if await _throttled(update, context):  # /huykhaosat opens every seal: not for a flood
        return
    subscription = None
    query = update.callback_query
    if query is not None and query.data is not None:
        subscription = PollButtons.parse(query.data)[1]
    async with context.bot_data.uow() as session:
        await polls.unsubscribe(
            session, context.bot_data.concerns.keys, _chat(update, context), subscription
        )
    await say(
        update,
        language_of(context, None),
        "You will receive no more polls here. Nothing of your poll list is kept.",
    )


async def answered(update: Update, context: BotContext) -> None:
    """An option pressed (or its number typed): counted, and the poll shown with it ticked."""
    keep_out_of_metrics()
    query = update.callback_query
    assert query is not None and query.data is not None and update.effective_user is not None
    _, poll_id, subscription, question, option = PollButtons.parse(query.data)
    lang = language_of(context, None)
    data = context.bot_data
    async with data.uow() as session:
        try:
            choice = await polls.answer(
                session,
                data.concerns.keys,
                poll_id=int(poll_id),
                channel=data.channel,
                account=str(update.effective_user.id),
                chat=_chat(update, context),
                subscription_id=subscription,
                question=int(question),
                option=int(option),
                today=today(data),
            )
        except DomainError as refusal:
            await refuse(update, context, lang, refusal)
            return
        poll = await polls.get_poll(session, int(poll_id))
    assert poll is not None
    text = poll_text(poll, lang) + "\n\n" + tr(lang, "✅ Your answer is counted.")
    await show(update, text, poll_buttons(poll, subscription, lang, choice))


def build() -> list[BaseHandler[Update, BotContext, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("huykhaosat", leave, filters=private),
        CallbackQueryHandler(join_pressed, pattern=PollButtons.JOIN_PATTERN),
        CallbackQueryHandler(confirmed, pattern=PollButtons.CONFIRM_PATTERN),
        CallbackQueryHandler(answered, pattern=PollButtons.ANSWER_PATTERN),
        CallbackQueryHandler(leave, pattern=PollButtons.LEAVE_PATTERN),
    ]
