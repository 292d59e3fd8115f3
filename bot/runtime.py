"""Running the bot for real: Telegram, Zalo or both, each by polling or webhook; one active
instance; the HTTP endpoints.

Two instances can run against one PostgreSQL (docker-compose.yml). The one holding the lock
(infra/leadership.py) is active: it serves users and runs the jobs. The other is a standby: its
/healthz answers, its /readyz and webhook answer 503, and it asks for the lock every few seconds.
Only one instance serves at a time because conversation states live in the active one's memory
(persisted as they change); the standby loads them from the database when it takes over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

import httpx
import uvicorn
from telegram import Update
from telegram.error import InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application

from bot.app import apply_office_config, build_application, on_start
from bot.channels.zalo import (
    ChatMemory,
    FileShelf,
    ZaloBridge,
    ZaloClient,
    ZaloError,
    ZaloInbound,
)
from bot.telegram_polling import (
    HandledLedger,
    fetched_or_stopped,
    pause,
    poll_until_stopped,
    seconds,
)
from bot.update_processor import processor_of
from bot.web import InstanceState, Webhook, build_web_app, telegram_webhook
from infra.i18n import tr
from infra.leadership import Leadership
from infra.metrics import Metrics
from infra.settings import Settings
from models import utcnow
from models.db import UnitOfWork, create_engine, make_uow
from services import shared_files

log = logging.getLogger("bot")

T = TypeVar("T")
ZALO_SECRET_HEADER = "X-Bot-Api-Secret-Token"
EXIT_FENCED = 3  # another instance took over: the supervisor restarts this one as a standby
DEFAULT_HTTP_PORT = 8080


class _HttpServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The runtime owns SIGTERM/SIGINT: it must stop the bot (and flush its state) before the
        # lock is released, which uvicorn's own handlers would not wait for.
        yield


@dataclass
class Channel:
    """One chat channel served by this process: its Application and how it takes updates."""

    name: str
    application: Application  # type: ignore[type-arg]
    take_updates: Callable[[], Awaitable[object]]  # register the webhook, or clear it to poll
    poll: Callable[[asyncio.Event], Coroutine[Any, Any, None]] | None  # None: by webhook
    webhook: Webhook | None
    close: Callable[[], Awaitable[None]] | None = None


def telegram_channel(settings: Settings, uow: UnitOfWork, metrics: Metrics, jobs: bool) -> Channel:
    application = build_application(settings, uow, metrics=metrics, jobs=jobs)
    if settings.webhook_url is not None:
        url = settings.webhook_url

        async def register() -> None:
            await application.bot.set_webhook(
                url,
                secret_token=settings.webhook_secret_token(),
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
            )
            log.info("active: Telegram by webhook")

        hook = telegram_webhook(application, settings.webhook_path, settings.webhook_secret_token())
        return Channel("telegram", application, register, None, hook)

    async def clear() -> None:
        # Telegram keeps undelivered updates for 24 hours; we take them after a restart rather
        # than dropping them, because every confirmation is idempotent.
        await application.bot.delete_webhook(drop_pending_updates=False)
        log.info("active: Telegram by long polling")

    ledger = HandledLedger(uow, "telegram")
    return Channel(
        "telegram",
        application,
        clear,
        lambda stop: poll_until_stopped(application, stop, ledger),
        None,
    )


def zalo_channel(settings: Settings, uow: UnitOfWork, metrics: Metrics, jobs: bool) -> Channel:
    assert settings.zalo_bot_token is not None
    client = ZaloClient(settings.zalo_api_base_url, settings.zalo_bot_token.get_secret_value())
    memory = ChatMemory()
    bridge = ZaloBridge(
        client,
        file_shelf(settings, uow),
        memory,
        file_note=tr(
            settings.default_language,
            "📎 {name} — open or download (the link works for {days} days): {url}",
        ).replace("{days}", str(settings.shared_file_days)),
        introduction=tr(
            settings.default_language,
            "🤖 This is an automated assistant (a chatbot), not a person. Messages reach it "
            "through Zalo.",
        ),
    )
    application = build_application(
        settings, uow, channel="zalo", request=bridge, metrics=metrics, jobs=jobs
    )
    inbound = ZaloInbound(memory)

    def to_update(payload: Any) -> Update | None:
        data = inbound.to_update(payload) if isinstance(payload, dict) else None
        return None if data is None else Update.de_json(data, application.bot)

    if settings.zalo_webhook_url is not None:
        url, secret = settings.zalo_webhook_url, settings.zalo_webhook_secret_token()

        async def register() -> None:
            await _zalo_start_call(client, "setWebhook", {"url": url, "secret_token": secret})
            log.info("active: Zalo by webhook")

        hook = Webhook(
            application, settings.zalo_webhook_path, ZALO_SECRET_HEADER, secret, to_update
        )
        return Channel("zalo", application, register, None, hook, client.aclose)

    async def clear() -> None:
        await _zalo_start_call(client, "deleteWebhook", {})
        log.info("active: Zalo by long polling")

    return Channel(
        "zalo",
        application,
        clear,
        lambda stop: poll_zalo(application, client, to_update, stop),
        None,
        client.aclose,
    )


async def _zalo_start_call(client: ZaloClient, method: str, payload: dict[str, Any]) -> None:
    """Zalo's errors as the Bot API errors _until_done retries (network, 429, 5xx)."""
    try:
        await client.call(method, payload)
    except ZaloError as error:
        if error.code == 429 or error.code >= 500:
            raise NetworkError(f"Zalo {method}: {error.code}") from error
        raise
    except httpx.HTTPError as error:
        raise NetworkError(f"Zalo {method}: {type(error).__name__}") from error


def file_shelf(settings: Settings, uow: UnitOfWork) -> FileShelf | None:
    """Pictures and files for Zalo, kept in the database and served at /files (bot/web.py)."""
    base = settings.files_base_url
    if base is None:
        return None
    keep = timedelta(days=settings.shared_file_days)

    async def put(content: bytes, name: str, media_type: str) -> str:
        async with uow() as session:
            path = await shared_files.put(
                session, content, name, media_type, now=utcnow(), keep=keep
            )
        return base + path

    return put


async def serve(settings: Settings) -> int:
    """Run until SIGTERM/SIGINT (exit 0) or until replaced by another instance (exit 3)."""
    engine = create_engine(settings.database_url)
    uow = make_uow(engine)
    metrics = Metrics()
    makers = {"telegram": telegram_channel, "zalo": zalo_channel}
    # The first channel's Application runs the scheduled jobs; the outbox sends through each
    # recipient's own channel (bot_data.senders).
    channels = [
        makers[name](settings, uow, metrics, index == 0)
        for index, name in enumerate(settings.channels)
    ]
    primary = channels[0].application
    leadership = primary.bot_data.leadership
    senders = {channel.name: channel.application.bot for channel in channels}
    last_inbound = primary.bot_data.last_inbound
    for channel in channels:
        last_inbound.update(channel.application.bot_data.last_inbound)
        channel.application.bot_data.last_inbound = last_inbound  # one watch for all channels
        channel.application.bot_data.leadership = leadership
        channel.application.bot_data.channels = [c.name for c in channels]
        channel.application.bot_data.senders = senders
        # A standby serves the web pages too: it must use the office's edits from the start.
        await apply_office_config(channel.application.bot_data)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    state = InstanceState(role="standby")
    webhooks = [channel.webhook for channel in channels if channel.webhook is not None]
    shares_files = any(channel.name == "zalo" for channel in channels)
    port = settings.http_port
    # The web pages (the report form) need the server whenever there is a public address.
    if port is None and (
        webhooks or settings.public_base_url or (shares_files and settings.files_base_url)
    ):
        port = DEFAULT_HTTP_PORT
    server: _HttpServer | None = None
    server_task: asyncio.Task[None] | None = None
    if port is not None:
        web_app = build_web_app(
            primary, engine, state, webhooks=webhooks, files=shares_files, pages=True
        )
        server = _HttpServer(
            uvicorn.Config(
                web_app,
                host=settings.http_host,
                port=port,
                log_config=None,  # our logging_setup; uvicorn's access log would name clients
                access_log=False,
                lifespan="off",
            )
        )
        server_task = asyncio.create_task(server.serve())
        log.info("HTTP endpoints on %s:%s", settings.http_host, port)

    exit_code = 0
    try:
        if await _wait_for_lead(settings, leadership, stop):
            state.role = "starting"
            exit_code = await _serve_while_active(channels, state, stop)
    except InvalidToken:
        # Never the error's text: PTB puts the whole token in it.
        log.error(
            "a channel rejected its token (getMe answered 401 or 404): check BOT_TOKEN / "
            "ZALO_BOT_TOKEN and TELEGRAM_API_BASE_URL / ZALO_API_BASE_URL"
        )
        exit_code = 2
    finally:
        await leadership.release()  # after the Applications flushed their conversation states
        for channel in channels:
            if channel.close is not None:
                await channel.close()
        if server is not None and server_task is not None:
            server.should_exit = True
            await server_task
        await engine.dispose()
    return exit_code


async def _wait_for_lead(settings: Settings, leadership: Leadership, stop: asyncio.Event) -> bool:
    announced = False
    while not stop.is_set():
        if await leadership.try_acquire():
            return True
        if not announced:
            log.info(
                "standby: another instance is active; asking again every %.0f s",
                settings.standby_retry_seconds,
            )
            announced = True
        await pause(stop, settings.standby_retry_seconds)
    return False


async def _serve_while_active(
    channels: list[Channel], state: InstanceState, stop: asyncio.Event
) -> int:
    primary = channels[0].application.bot_data
    exit_code = 0
    started: list[Application] = []  # type: ignore[type-arg]
    pollers: list[asyncio.Task[None]] = []
    leave = asyncio.Event()  # asked to stop, or fenced
    try:
        for channel in channels:
            application = channel.application
            # initialize() loads the persisted conversation states: only now, once we lead.
            if not await _until_done(f"{channel.name} getMe", application.initialize, stop):
                return exit_code
            started.append(application)
            if not await _until_done(
                f"{channel.name} setMyCommands", partial(on_start, application), stop
            ):
                return exit_code
            await application.start()
            if channel.webhook is not None:
                channel.webhook.ready = True
            if not await _until_done(f"{channel.name} updates", channel.take_updates, stop):
                return exit_code
            if channel.poll is not None:
                pollers.append(asyncio.create_task(channel.poll(leave)))
        state.active, state.role = True, "active"
        primary.metrics.active.set(1)
        while not stop.is_set():
            if primary.leadership.fenced:
                exit_code = EXIT_FENCED
                break
            for poller in pollers:
                if poller.done():
                    poller.result()  # a bug in a poller: surface it rather than idle on
            await pause(stop, 1.0)
    finally:
        leave.set()
        for channel in channels:
            if channel.webhook is not None:
                channel.webhook.ready = False
        state.active, state.role = False, "stopping"
        primary.metrics.active.set(0)
        for poller in pollers:
            with contextlib.suppress(Exception):
                await poller  # confirms nothing it has not handled
        for application in started:
            # Updates taken are answered before the Bot API connection closes.
            await processor_of(application).drain()
            if application.running:
                await application.stop()
            await application.shutdown()  # flushes conversation states before the lock goes
    return exit_code


async def poll_zalo(
    application: Application,  # type: ignore[type-arg]
    client: ZaloClient,
    to_update: Callable[[Any], Update | None],
    stop: asyncio.Event,
) -> None:
    """Zalo's long polling: one event per call, no offset; a duplicate is dropped by its message
    id (bot/channels/zalo.py)."""
    processor = processor_of(application)
    delay = 1.0
    while not stop.is_set():
        try:
            fetched, events = await fetched_or_stopped(client.get_update(), stop)
        except (ZaloError, httpx.HTTPError) as error:
            log.warning("Zalo getUpdates failed (%s); trying again in %.0f s", error, delay)
            await pause(stop, delay)
            delay = min(delay * 2, 30.0)
            continue
        if not fetched:
            return
        delay = 1.0
        for event in events or ():
            update = to_update(event)
            if update is not None:
                # Handed over, not awaited: the next event is fetched while this one is handled.
                # Zalo has no offset to hold back — an event it handed out is gone — so a kill
                # loses the events in hand (at most the processor's bound); production takes
                # Zalo by webhook, which Zalo repeats until answered (docs/zalo.md).
                await processor.submit(application, update)


async def _until_done(
    what: str, step: Callable[[], Awaitable[object]], stop: asyncio.Event
) -> bool:
    """Start-up calls to the Bot API, retried while it is unreachable or busy (a process that
    exits instead would be restarted into the same outage); False if asked to stop meanwhile."""
    delay = 1.0
    while not stop.is_set():
        try:
            await step()
            return True
        except (NetworkError, RetryAfter) as error:
            wait = error.retry_after if isinstance(error, RetryAfter) else delay
            wait_seconds = seconds(wait)
            log.warning(
                "Bot API %s failed (%s); trying again in %.0f s",
                what,
                type(error).__name__,
                wait_seconds,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait_seconds)
            delay = min(delay * 2, 30.0)
    return False
