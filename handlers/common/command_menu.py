"""The "/" command menu of one Telegram chat, set from the person's roles when the outbox sends a
refresh planned by services/command_menus.py (an invite accepted, a revocation, /lang, a linked
account, a registered user's /start).

Telegram picks a private chat's menu from the most specific scope it has: this chat
(``BotCommandScopeChat``), else the bot's default, which ``bot.app.publish_commands`` sets at
start-up to the commands everyone has (workers, the unregistered) in Vietnamese and English. A
person with roles gets their list in the chat scope, without a language code, in the language
they chose in the bot (``/lang``): their phone's language does not decide. Someone with no role
left gets the chat scope deleted, so the default applies again.

It goes out from the outbox sender, inside ``bulk_sending()``: behind answers to people, with
the outbox's retries on 429 and network errors. A refusal by Telegram (a chat that no longer
exists, a bot blocked) is logged and dropped: a menu is a convenience, never a reason to tell
the admins the person is unreachable. Zalo and the console have no such menu: no row is planned
for them, and a row on a channel this process does not serve on Telegram is dropped.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import BotCommandScopeChat
from telegram.error import BadRequest, Forbidden

from handlers.common.context import BotData
from handlers.common.menu import EVERYONE, audience_of, bot_commands
from models import OutboxMessage, Person
from services import access, command_menus

log = logging.getLogger(__name__)


async def send_menu(
    data: BotData, sender: Any, session: AsyncSession, message: OutboxMessage
) -> None:
    """Set (or delete) the chat's menu from the person's roles now."""
    bot = data.senders.get(command_menus.CHANNEL)
    if message.channel != command_menus.CHANNEL or bot is None or bot is not sender:
        return  # this process does not serve Telegram: nothing to set
    person = await session.get(Person, message.person_id) if message.person_id else None
    viewer = await access.viewer_for(session, person) if person is not None else None
    audience = await audience_of(session, viewer, data.reporting)
    scope = BotCommandScopeChat(message.chat_id)
    try:
        if viewer is None or audience == EVERYONE:
            await bot.delete_my_commands(scope=scope)
        else:
            await bot.set_my_commands(bot_commands(viewer.language, audience), scope=scope)
    except (BadRequest, Forbidden) as refused:
        log.warning("command menu not set: %s", type(refused).__name__)
