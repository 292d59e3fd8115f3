"""The Application factory: one place where settings, database, channel and handlers meet."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import datetime

from grassroots_config import DEFAULT_CONFIG_DIR
from telegram import Update
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest, HTTPXRequest
from telegram.warnings import PTBUserWarning

from bot.update_processor import MAX_RUNNING, ChatOrderedProcessor
from handlers.common import commands as common
from handlers.common import office_config
from handlers.common.context import (
    CONTEXT_TYPES,
    BotContext,
    BotData,
    ConcernSetup,
    ConfigWatch,
)
from handlers.common.menu import EVERYONE, bot_commands
from handlers.concerns import conversation as concern_conversation
from handlers.concerns import inbox as concern_inbox
from handlers.digests import view as digest_view
from handlers.documents import view as document_view
from handlers.office import commands as office_commands
from handlers.polls import create as poll_setup
from handlers.polls import worker as poll_worker
from handlers.registration import conversation as registration_conversation
from handlers.registration import linking
from handlers.reports import conversation as report_conversation
from handlers.reports import status as report_status
from handlers.review import view as review_view
from infra.leadership import Leadership
from infra.metrics import InstrumentedApplication, InstrumentedRequest, Metrics
from infra.persistence import DatabasePersistence
from infra.rate_limit import AnswersFirstRateLimiter
from infra.settings import Settings
from models import utcnow
from models.db import UnitOfWork
from scheduler import jobs as scheduled_jobs
from services.anonymity import ConcernKeys
from services.concerns import load_concern_config
from services.indicators import load_indicator_config
from services.periods import load_calendar
from services.ratelimit import MinuteLimiter
from services.reminders import load_reminder_config
from services.reporting import ReportingSetup
from services.targets import load_targets

# Conversations are tracked per user and chat, not per message, on purpose: a button pressed in
# an older message must still reach the user's conversation, which then re-checks it.
warnings.filterwarnings("ignore", message=r".*per_message=False", category=PTBUserWarning)

class BotApplication(InstrumentedApplication):
    """The bot's Application: it hands the scheduler lock over once it is shut down, after the
    conversation states are flushed (a standby taking over must read them). PTB runs
    ``post_shutdown`` only from ``run_polling``/``run_webhook``; an Application shut down
    otherwise (the console, the runtime's channels, tests) kept the lock on a connection nobody
    closed, and on PostgreSQL the next instance waited as a standby with its jobs off."""

    async def shutdown(self) -> None:
        await super().shutdown()
        leadership: Leadership | None = getattr(self.bot_data, "leadership", None)
        if leadership is not None:
            await leadership.release()


def load_reporting_setup(settings: Settings) -> ReportingSetup:
    """Indicator sets and calendar from YAML; ConfigFileError names the file and the problem."""
    folder = settings.config_dir or DEFAULT_CONFIG_DIR
    return ReportingSetup(
        indicators=load_indicator_config(folder / "indicators.yaml"),
        calendar=load_calendar(folder / "reporting.yaml"),
        zone=settings.zone,
    )


def load_concern_setup(settings: Settings) -> ConcernSetup:
    """Keys from the environment (required in Telegram mode) and config/concerns.yaml."""
    folder = settings.config_dir or DEFAULT_CONFIG_DIR
    config = load_concern_config(folder / "concerns.yaml")
    return ConcernSetup(
        keys=ConcernKeys.from_settings(settings),
        config=config,
        limiter=MinuteLimiter(config.messages_per_minute),
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
    metrics: Metrics | None = None,
    jobs: bool = True,
) -> Application:  # type: ignore[type-arg]
    """Build the bot. ``request`` replaces the network (console channel, Zalo, tests). ``jobs``:
    this Application runs the scheduled jobs (one per process, whatever the channels)."""
    metrics = metrics or Metrics()
    builder: ApplicationBuilder = (  # type: ignore[type-arg]
        Application.builder()
        .application_class(BotApplication)
        .context_types(CONTEXT_TYPES)
        .persistence(DatabasePersistence(uow))
        # Chats side by side, each chat in order (bot/update_processor.py).
        .concurrent_updates(ChatOrderedProcessor())
    )
    if request is not None:
        builder = (
            builder.token("0:local")
            .request(InstrumentedRequest(request, metrics))
            .get_updates_request(request)
            .updater(None)
        )
    else:
        assert settings.bot_token is not None
        root = settings.telegram_api_base_url
        builder = (
            builder.token(settings.bot_token.get_secret_value())
            .base_url(f"{root}/bot")
            .base_file_url(f"{root}/file/bot")
            # PTB's own default transport for bot calls, wrapped to count what the API answers
            # Two connections per update running at once (its calls may go out together):
            # httpx scans its whole pool for every request, so a pool far larger costs CPU.
            .request(
                InstrumentedRequest(HTTPXRequest(connection_pool_size=2 * MAX_RUNNING), metrics)
            )
        )
    if rate_limit:
        builder = builder.rate_limiter(AnswersFirstRateLimiter(max_retries=3))
    application = builder.post_init(on_start).post_shutdown(on_stop).build()

    data: BotData = application.bot_data
    data.settings = settings
    data.uow = uow
    data.metrics = metrics
    data.outbox_unsettled = {}
    data.channels = [channel]
    data.senders = {channel: application.bot}
    data.channel = channel
    data.reporting = reporting or load_reporting_setup(settings)
    data.concerns = load_concern_setup(settings)
    data.reminders = load_reminder_config(
        (settings.config_dir or DEFAULT_CONFIG_DIR) / "reminders.yaml"
    )
    data.targets = load_targets(
        (settings.config_dir or DEFAULT_CONFIG_DIR) / "targets.yaml", data.reporting.indicators
    )
    data.clock = clock
    data.last_inbound = {channel: clock()}  # the start counts as "heard from"
    data.leadership = Leadership(settings.database_url)
    data.pages_url = settings.pages_base_url
    data.config_watch = ConfigWatch(settings.office_config_check_seconds)

    for watch in office_config.handlers():  # the office's newest edits, before anything
        application.add_handler(watch, group=-2)
    for handler in common.guards():
        application.add_handler(handler, group=-1)
    # The worker's /start c_<code> must reach the concern conversation before registration's
    # /start; the concern conversation is never persisted.
    application.add_handler(concern_conversation.build())  # with /kiemtra
    registration = registration_conversation.build()
    application.add_handler(registration)
    application.add_handler(report_conversation.build(settings.report_timeout_minutes))
    application.add_handler(report_status.build())
    application.add_handlers(concern_inbox.build())  # type: ignore[arg-type]
    application.add_handlers(digest_view.build())  # type: ignore[arg-type]
    application.add_handlers(office_commands.build())  # type: ignore[arg-type]
    application.add_handlers(poll_worker.build())
    application.add_handler(poll_setup.build())  # /khaosat: officers set polls, workers join
    application.add_handlers(document_view.build())  # type: ignore[arg-type]
    application.add_handlers(review_view.build())  # type: ignore[arg-type]
    application.add_handlers(common.general())
    application.add_handlers(linking.build())  # /lienket and /kenh (one person, several channels)
    # 12 digits outside every conversation: a receipt check (after them: not a report answer).
    application.add_handler(concern_conversation.bare_receipt_handler())
    application.add_handlers(common.last_resort())
    # After whichever handler took it: the worker's and the receipt's commands end registration.
    application.add_handler(registration_conversation.leaving(registration), group=1)
    application.add_error_handler(common.on_error)
    if jobs:
        scheduled_jobs.register(application)
    return application


async def apply_office_config(data: BotData) -> None:
    """Indicator sets and targets edited in the office console take precedence over the files
    (services/office/config_edits.py): read at every start, then watched for edits made on the
    other instance (handlers/common/office_config.py)."""
    await office_config.refresh(data, force=True)


async def on_start(application: Application) -> None:  # type: ignore[type-arg]
    """Before polling: the command menu, and messages a dead process had claimed back in the
    outbox queue."""
    await apply_office_config(application.bot_data)
    await publish_commands(application)
    await scheduled_jobs.on_start(application)


async def on_stop(application: Application) -> None:  # type: ignore[type-arg]
    """Hand the scheduler lock over at once instead of when the connection times out."""
    await application.bot_data.leadership.release()


async def publish_commands(application: Application) -> None:  # type: ignore[type-arg]
    """The default command menu (workers, the unregistered) in Vietnamese and English; a
    registered person's chat gets their roles' own (handlers/common/command_menu.py)."""
    for language in ("vi", "en"):
        await application.bot.set_my_commands(
            bot_commands(language, EVERYONE), language_code=None if language == "vi" else language
        )


__all__ = ["BotContext", "Update", "build_application", "publish_commands"]
