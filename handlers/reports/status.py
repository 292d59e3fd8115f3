"""/trangthai: for each unit an officer serves, which months are due, submitted, late, missing,
with the days that matter (due, lock), and when the next month opens."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import CommandHandler, filters

from handlers.common.context import BotContext, language_of, show
from handlers.common.registered import as_registered
from handlers.reports import views
from services import reporting
from services.access import Viewer
from services.reporting import UnitStatus


async def status(update: Update, context: BotContext) -> None:
    """/trangthai."""
    setup, now = context.bot_data.reporting, context.bot_data.clock()

    async def step(session: AsyncSession, viewer: Viewer) -> tuple[list[UnitStatus], str]:
        units = await reporting.unit_statuses(session, viewer.person_id, setup, now)
        return units, language_of(context, viewer)

    found = await as_registered(update, context, step, refused=None)
    if found is None:
        return
    units, lang = found
    upcoming = reporting.next_opening(setup, now)
    await show(update, views.statuses(units, lang, context.bot_data.settings.zone, upcoming))


def build() -> CommandHandler[BotContext, None]:
    return CommandHandler("trangthai", status, filters=filters.ChatType.PRIVATE)
