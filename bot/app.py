"""The Application factory: one place where settings, database, channel and handlers meet."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import datetime

from grassroots_config import DEFAULT_CONFIG_DIR
from telegram import BotCommand, Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder
from telegram.request import BaseRequest
from telegram.warnings import PTBUserWarning

from bot.config import Settings
from bot.i18n import tr
from bot.persistence import DatabasePersistence
from handlers import common, registration_conversation, report_conversation, report_status
from handlers.context import CONTEXT_TYPES, BotContext, BotData
from handlers.menu import COMMANDS
from models import utcnow
from models.db import UnitOfWork
from services.indicators import load_indicator_config
from services.periods import load_calendar
from services.reporting import ReportingSetup

# Conversations are tracked per user and chat, not per message, on purpose: a button pressed in
# an older message must still reach the user's conversation, which then re-checks it.
warnings.filterwarnings("ignore", message=r".*per_message=False", category=PTBUserWarning)

BotApplication = Application  # type alias for readers; PTB's generics are too wide to spell here


def load_reporting_setup(settings: Settings) -> ReportingSetup:
    """Indicator sets and calendar from YAML; ConfigFileError names the file and the problem."""
    folder = settings.config_dir or DEFAULT_CONFIG_DIR
    return ReportingSetup(
        indicators=load_indicator_config(folder / "indicators.yaml"),
        calendar=load_calendar(folder / "reporting.yaml"),
        zone=settings.zone,
    )


def build_application(
    settings: Settings,
    uow: UnitOfWork,
    *,
    channel: str = "telegram",
    request: BaseRequest | None = None,
    rate_limit: bool = True,
    reporting: ReportingSetup | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Application:  # type: ignore[type-arg]
    """Build the bot. ``request`` replaces the network (console channel, tests)."""
    builder: ApplicationBuilder = (  # type: ignore[type-arg]
        Application.builder().context_types(CONTEXT_TYPES).persistence(DatabasePersistence(uow))
    )
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
    data.reporting = reporting or load_reporting_setup(settings)
    data.clock = clock

    for handler in common.guards():
        application.add_handler(handler, group=-1)
    application.add_handler(registration_conversation.build())
    application.add_handler(report_conversation.build(settings.report_timeout_minutes))
    application.add_handler(report_status.build())
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
