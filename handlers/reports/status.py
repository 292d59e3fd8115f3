"""/trangthai: for each unit an officer serves, which months are due, submitted, late, missing,
with the days that matter (due, lock), and when the next month opens."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from handlers.common.context import BotContext, identity_of, language_of, say, show
from handlers.reports import views
from services import access, reporting


async def status(update: Update, context: BotContext) -> None:
    """/trangthai."""
    identity = identity_of(update, context)
    async with context.bot_data.uow() as session:
        viewer = await access.identify(session, identity.channel, identity.external_id)
        lang = language_of(context, viewer)
        if viewer is None or viewer.revoked:
            await say(update, lang, "This command is for registered officers. Type /start.")
            return
        setup, now = context.bot_data.reporting, context.bot_data.clock()
        units = await reporting.unit_statuses(session, viewer.person_id, setup, now)
    upcoming = reporting.next_opening(setup, now)
    await show(update, views.statuses(units, lang, context.bot_data.settings.zone, upcoming))


def build() -> CommandHandler[BotContext, None]:
    return CommandHandler("trangthai", status, filters=filters.ChatType.PRIVATE)
