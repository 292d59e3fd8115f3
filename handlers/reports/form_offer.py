"""The form beside the chat: when a report opens, the officer may fill it in on one page.

On Telegram the page is a Mini App, opened by a ``web_app`` button; Telegram opens those only
from an https address, so without a public https address (PUBLIC_BASE_URL, or the webhook's
origin) there is no button. Zalo has no buttons and the console is a terminal: there the
message carries a one-time link (services/web_auth.py) that opens the same page in a browser.
Either way the page works on the same draft as the chat, so the officer can switch at any time.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo

from handlers.common.context import BotContext
from infra.i18n import tr
from services import web_auth
from services.errors import N_
from services.periods import Period

BUTTON = N_("📝 Open the form")
WITH_BUTTON = N_(
    "📝 You can fill in the whole report on one page: tap “Open the form”. Or answer the "
    "questions here, one by one."
)
WITH_LINK = N_(
    "📝 Open the form to fill in the whole report on one page (the link works once, for "
    "{minutes} minutes):\n{url}\nOr answer the questions here, one by one."
)


def form_path(unit_id: int, period: Period) -> str:
    return f"/report/{unit_id}/{period.key}"


async def offer(
    update: Update,
    context: BotContext,
    session: AsyncSession,
    person_id: int,
    unit_id: int,
    period: Period,
    lang: str,
) -> None:
    """Say, before the first question, that the form is there too (nothing without pages)."""
    data = context.bot_data
    base = data.pages_url
    chat = update.effective_chat
    if base is None or chat is None:
        return
    path = form_path(unit_id, period)
    if data.channel == "telegram":
        if not base.startswith("https://"):
            return
        button = InlineKeyboardButton(tr(lang, BUTTON), web_app=WebAppInfo(f"{base}{path}?tg=1"))
        await chat.send_message(
            tr(lang, WITH_BUTTON), reply_markup=InlineKeyboardMarkup([[button]])
        )
        return
    minutes = data.settings.web_link_minutes
    link = await web_auth.issue_link(
        session,
        person_id=person_id,
        target=path,
        now=data.clock(),
        valid=timedelta(minutes=minutes),
    )
    await chat.send_message(tr(lang, WITH_LINK, minutes=minutes, url=f"{base}/l/{link.token}"))
