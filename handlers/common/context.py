"""Typed context for every callback, and the few helpers all handlers share."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import CallbackContext, ContextTypes, ExtBot

from handlers.common.user_data import UserData
from infra.i18n import day, moment, normalize_language, number, tr
from infra.leadership import Leadership
from infra.metrics import Metrics
from infra.settings import Settings
from models import OutboxStatus
from models.db import UnitOfWork
from services.access import Identity, Viewer
from services.anonymity import ConcernKeys
from services.concerns import ConcernConfig
from services.errors import DomainError
from services.periods import Period
from services.ratelimit import MinuteLimiter
from services.reminders import ReminderConfig
from services.reporting import ReportingSetup, RuleBroken
from services.targets import TargetConfig


@dataclass
class ConfigWatch:
    """Which office edits of the indicator sets and targets this process has in use (kind → id
    of the newest ``office_config_versions`` row), and when it last asked the database
    (handlers/common/office_config.py)."""

    interval: float  # seconds between two checks (OFFICE_CONFIG_CHECK_SECONDS)
    seen: dict[str, int] = field(default_factory=dict)
    checked_at: float | None = None  # on ``clock``
    busy: bool = False  # a check is running: the others go on with what is in use
    clock: Callable[[], float] = time.monotonic


@dataclass
class ConcernSetup:
    """Keys (from the environment), the concerns YAML, and the in-memory message limiter."""

    keys: ConcernKeys
    config: ConcernConfig
    limiter: MinuteLimiter


class BotData:
    """Dependencies shared by all callbacks; set once by the Application factory."""

    settings: Settings
    uow: UnitOfWork
    channel: str
    reporting: ReportingSetup
    concerns: ConcernSetup
    reminders: ReminderConfig
    targets: TargetConfig
    leadership: Leadership  # only the leading instance runs scheduled jobs
    metrics: Metrics
    # Outbox messages claimed whose outcome could not be written (the database went away
    # mid-batch): settled by the next drain (scheduler/outbox_sender.py).
    outbox_unsettled: dict[int, OutboxStatus]
    # The channels this process serves, and the bot that sends on each (the outbox routes every
    # message through its recipient's channel).
    channels: list[str]
    senders: dict[str, ExtBot[None]]
    clock: Callable[[], datetime]  # aware UTC now; tests move it
    # When each served channel last received anything (memory only; services/channel_watch.py).
    last_inbound: dict[str, datetime]
    # Where people open the web pages (web/: the report form), or None: the chat then
    # offers no form. PUBLIC_BASE_URL in production; the console's own local address.
    pages_url: str | None
    config_watch: ConfigWatch  # office edits made on another instance (office_config.py)


def served_channels(data: BotData) -> list[str]:
    """The channels this process serves: each person's scheduled messages go to exactly one
    account of theirs among these (services/access.py pick_account)."""
    return list(getattr(data, "channels", None) or [data.channel])


BotContext = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)


def user_data(context: BotContext) -> UserData:
    """What is remembered of this user, in memory (handlers/common/user_data.py)."""
    return UserData(context.user_data)


def today(data: BotData) -> date:
    """Today in the configured zone (Asia/Ho_Chi_Minh), by the bot's clock (tests move it)."""
    return data.clock().astimezone(data.settings.zone).date()


def identity_of(update: Update, context: BotContext) -> Identity:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None, "handlers are only registered for user updates"
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    return Identity(
        channel=context.bot_data.channel,
        external_id=str(user.id),
        chat_id=str(chat.id),
        display_name=name,
    )


def language_of(context: BotContext, viewer: Viewer | None) -> str:
    remembered = user_data(context)
    if viewer is not None:
        # Remembered in memory so that steps which do not look the user up answer alike.
        remembered.language = viewer.language
        return normalize_language(viewer.language)
    chosen = remembered.language
    return normalize_language(chosen or context.bot_data.settings.default_language)


# Where buttons are buttons. Text channels (the console, Zalo) list them as numbered choices
# chosen by typing the number (infra/channel_updates.py), and there typing a number is the way.
BUTTON_CHANNELS = frozenset({"telegram"})


def choices_are_typed(context: BotContext) -> bool:
    """Whether this channel shows buttons as a numbered list, chosen by typing a number."""
    return context.bot_data.channel not in BUTTON_CHANNELS


def choice_hint(context: BotContext, lang: str, typed: str | None) -> str:
    """Where a choice is expected and something else came: what works on this channel. On a
    text channel the channel lists the choices again under this hint."""
    if not choices_are_typed(context):
        return tr(lang, "Please tap one of the buttons above.")
    if typed is not None and typed.strip().isdigit():
        return tr(
            lang,
            "There is no choice {number}. Please type the number of one of the choices.",
            number=typed.strip(),
        )
    return tr(lang, "Please choose one of the options: type its number.")


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """Rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def unchanged(error: BadRequest) -> bool:
    """Telegram's answer to an edit that would change nothing: the second tap of a double tap
    edits the message into what the first made of it. The message says it already: success."""
    return "message is not modified" in error.message.lower()


def too_late(error: BadRequest) -> bool:
    """Telegram's answer to answering a press it no longer keeps (handled late: queued while the
    bot was down, or behind a slow update)."""
    text = error.message.lower()
    return "query is too old" in text or "query id is invalid" in text


async def acknowledge(query: CallbackQuery) -> None:
    """Stop the pressed button's spinner. Too late for that is no failure: the answer only
    stops a spinner, and what the press does and shows still follows."""
    try:
        await query.answer()
    except BadRequest as error:
        if not too_late(error):
            raise


async def edit_text(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """The pressed button's message edited into ``text``."""
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        if not unchanged(error):
            raise


async def drop_buttons(query: CallbackQuery) -> None:
    """The pressed button's message without its buttons (already gone: nothing to do)."""
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as error:
        if not unchanged(error):
            raise


async def show(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Send already-rendered text: a new message, or the pressed button's message edited."""
    query = update.callback_query
    if query is not None:
        await acknowledge(query)
        if query.message is not None:
            await edit_text(query, text, markup)
            return
    if update.effective_chat is not None:
        await update.effective_chat.send_message(text, reply_markup=markup)


async def say(
    update: Update,
    lang: str,
    message: str,
    /,
    markup: InlineKeyboardMarkup | None = None,
    **params: Any,
) -> None:
    """Translate ``message`` (a msgid) into the user's language and show it."""
    await show(update, tr(lang, message, **params), markup)


def describe(lang: str, error: DomainError, zone: Any) -> str:
    """A domain error in the user's language, its numbers and dates written their way."""
    if isinstance(error, RuleBroken):
        return error.violation.message(lang)

    def shown(value: object) -> object:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | Decimal):
            return number(value, lang)
        if isinstance(value, datetime):
            return moment(value, lang, zone)
        if isinstance(value, date):
            return day(value, lang)
        if isinstance(value, Period):
            return value.label(lang)
        return value

    return tr(lang, error.message, **{k: shown(v) for k, v in error.params.items()})


# What someone is refused with: a msgid, or a domain error (described in their language).
Refusal = str | DomainError


async def refuse(update: Update, context: BotContext, lang: str, refusal: Refusal) -> None:
    """Say ``refusal`` in the user's language; a domain error's numbers and dates are written
    their way, its times in the configured zone."""
    if isinstance(refusal, DomainError):
        await show(update, describe(lang, refusal, context.bot_data.settings.zone))
    else:
        await say(update, lang, refusal)
