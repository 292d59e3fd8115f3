"""/tonghop offers the committee's dashboard (web/dashboard/) beside the chat's digest.

As with the report form (handlers/reports/form_offer.py): on Telegram a ``web_app`` button opens
the page as a Mini App, which Telegram allows only from an https address (PUBLIC_BASE_URL, or the
webhook's origin); on Zalo and in the console the message carries a one-time link. Without
pages, nothing.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo

from handlers.common.context import BotContext
from infra.i18n import tr
from services import web_auth
from services.errors import N_

PATH = "/dashboard"
BUTTON = N_("📊 Dashboard")
WITH_BUTTON = N_("📊 The same figures, with charts and drill-down, on one page:")
WITH_LINK = N_(
    "📊 The same figures, with charts and drill-down, on one page (the link works once, for "
    "{minutes} minutes):\n{url}"
)


async def offer(update: Update, context: BotContext, person_id: int, lang: str) -> None:
    data = context.bot_data
    base = data.pages_url
    chat = update.effective_chat
    if base is None or chat is None:
        return
    if data.channel == "telegram":
        if not base.startswith("https://"):
            return
        button = InlineKeyboardButton(tr(lang, BUTTON), web_app=WebAppInfo(f"{base}{PATH}?tg=1"))
        await chat.send_message(
            tr(lang, WITH_BUTTON), reply_markup=InlineKeyboardMarkup([[button]])
        )
        return
    minutes = data.settings.web_link_minutes
    async with data.uow() as session:
        link = await web_auth.issue_link(
            session,
            person_id=person_id,
            target=PATH,
            now=data.clock(),
            valid=timedelta(minutes=minutes),
        )
    await chat.send_message(tr(lang, WITH_LINK, minutes=minutes, url=f"{base}/l/{link.token}"))
