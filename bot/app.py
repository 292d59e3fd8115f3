"""The Application factory: one place where settings, database, channel and handlers meet."""

from __future__ import annotations

import warnings

from telegram import BotCommand, Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.request import BaseRequest
from telegram.warnings import PTBUserWarning

from bot.config import Settings
from bot.i18n import tr
from handlers import common, registration_conversation
from handlers.context import CONTEXT_TYPES, BotContext, BotData
from handlers.menu import COMMANDS
from models.db import UnitOfWork

# Conversations are tracked per user and chat, not per message, on purpose: a button pressed in
# an older message must still reach the user's conversation, which then re-checks it.
warnings.filterwarnings("ignore", message=r".*per_message=False", category=PTBUserWarning)

BotApplication = Application  # type alias for readers; PTB's generics are too wide to spell here


def build_application(
    settings: Settings,
    uow: UnitOfWork,
    *,
    channel: str = "telegram",
    request: BaseRequest | None = None,
    rate_limit: bool = True,
) -> Application:  # type: ignore[type-arg]
    """Build the bot. ``request`` replaces the network (console channel, tests)."""
    builder: ApplicationBuilder = Application.builder().context_types(CONTEXT_TYPES)  # type: ignore[type-arg]
    if request is not None:
        builder = (
            builder.token("0:local").request(request).get_updates_request(request).updater(None)
        )
    else:
        assert settings.bot_token is not None
        root = settings.telegram_api_base_url
        builder = (
            builder.token(settings.bot_token.get_secret_value())
            .base_url(f"{root}/bot")
            .base_file_url(f"{root}/file/bot")
        )
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    application = builder.post_init(publish_commands).build()

    data: BotData = application.bot_data
    data.settings = settings
    data.uow = uow
    data.channel = channel

    for handler in common.guards():
        application.add_handler(handler, group=-1)
    application.add_handler(registration_conversation.build())
    application.add_handlers(common.general())
    application.add_handlers(common.last_resort())
    application.add_error_handler(common.on_error)
    return application


async def publish_commands(application: Application) -> None:  # type: ignore[type-arg]
    """The command menu in Vietnamese (default) and English."""
    everyone = [c for c in COMMANDS if c.roles is None]
    for language in ("vi", "en"):
        commands = [BotCommand(c.command, tr(language, c.description)) for c in everyone]
        await application.bot.set_my_commands(
            commands, language_code=None if language == "vi" else language
        )


__all__ = ["BotContext", "Update", "build_application", "publish_commands"]
