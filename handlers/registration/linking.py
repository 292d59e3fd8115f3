"""/lienket: a one-time code to use the bot on another channel; /kenh: where reminders go.

The code itself is taken by registration's /start (handlers/registration/conversation.py), on the
other channel.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from handlers.common.buttons import Channel
from handlers.common.context import BotContext, identity_of, keyboard, language_of, say
from handlers.common.registered import as_registered
from infra.i18n import moment
from services import linking
from services.access import Viewer
from services.invites import display_code
from services.linking import ChannelChoice, IssuedLink


async def link_command(update: Update, context: BotContext) -> None:
    """/lienket: a link code for the bot on another channel."""
    identity = identity_of(update, context)
    settings = context.bot_data.settings

    async def step(session: AsyncSession, viewer: Viewer) -> tuple[IssuedLink, str]:
        issued = await linking.issue_link_code(session, settings.secret, identity)
        return issued, language_of(context, viewer)

    found = await as_registered(
        update,
        context,
        step,
        refused=None,
        unregistered=linking.NotRegistered(),
        revoked=linking.PersonRevoked(),
    )
    if found is None:
        return
    issued, lang = found
    others = [c for c in linking.LINKABLE_CHANNELS if c != identity.channel]
    code = display_code(issued.code)
    await say(
        update,
        lang,
        "Your link code: {code}\nIt works once, until {time} (15 minutes).\n\nOpen the bot on "
        "{other} and send:\n/start {code}\n(or type /start, then the code).\n\nDo not give this "
        "code to anyone: it opens your account.",
        code=code,
        time=moment(issued.expires_at, lang, settings.zone),
        other=" / ".join(linking.channel_name(c) for c in others),
    )


async def channel_command(update: Update, context: BotContext) -> None:
    """/kenh [number or name]: choose the channel for reminders and digests."""

    async def step(session: AsyncSession, viewer: Viewer) -> tuple[ChannelChoice, str]:
        choice = await linking.channel_choice(session, viewer.person_id)
        return choice, language_of(context, viewer)

    found = await as_registered(
        update,
        context,
        step,
        refused=None,
        unregistered=linking.NotRegistered(),
        revoked=linking.PersonRevoked(),
    )
    if found is None:
        return
    choice, lang = found
    if len(choice.channels) < 2:
        await say(
            update,
            lang,
            "You use the bot on {channel} only, so reminders and digests come here. To get them "
            "on another app, type /lienket.",
            channel=linking.channel_name(choice.current),
        )
        return
    if context.args:
        typed = " ".join(context.args).strip().casefold()
        chosen = next(
            (
                channel
                for number, channel in enumerate(choice.channels, start=1)
                if typed in (str(number), channel, linking.channel_name(channel).casefold())
            ),
            None,
        )
        if chosen is not None:
            await _choose(update, context, chosen)
            return
    buttons = [
        [
            (
                ("✅ " if channel == choice.current else "") + linking.channel_name(channel),
                Channel.choose(channel),
            )
        ]
        for channel in choice.channels
    ]
    await say(
        update,
        lang,
        "Reminders and digests now go to {current}. Where should they go?",
        markup=keyboard(*buttons),
        current=linking.channel_name(choice.current),
    )


async def channel_chosen(update: Update, context: BotContext) -> None:
    """A channel button (or its typed number on a text channel): checked on the server."""
    assert update.callback_query is not None and update.callback_query.data is not None
    await _choose(update, context, Channel.parse(update.callback_query.data))


async def _choose(update: Update, context: BotContext, channel: str) -> None:
    async def step(session: AsyncSession, viewer: Viewer) -> tuple[ChannelChoice, str]:
        choice = await linking.set_preferred_channel(session, viewer.person_id, channel)
        return choice, language_of(context, viewer)

    found = await as_registered(
        update, context, step, refused=None, unregistered=linking.NotRegistered(), revoked=None
    )
    if found is None:
        return
    choice, lang = found
    await say(
        update,
        lang,
        "Done: reminders and digests will go to {channel}.",
        channel=linking.channel_name(choice.current),
    )


def build() -> list[BaseHandler[Update, BotContext, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("lienket", link_command, filters=private),
        CommandHandler("kenh", channel_command, filters=private),
        CallbackQueryHandler(channel_chosen, pattern=Channel.PATTERN),
    ]
