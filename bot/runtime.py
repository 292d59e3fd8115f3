"""Running the bot on Telegram for real: polling or webhook, one active instance, HTTP endpoints.

Two instances can run against one PostgreSQL (docker-compose.yml). The one holding the lock
(scheduler/leader.py) is active: it serves users and runs the jobs. The other is a standby: its
/healthz answers, its /readyz and webhook answer 503, and it asks for the lock every few seconds.
Only one instance serves at a time because conversation states live in the active one's memory
(persisted as they change); the standby loads them from the database when it takes over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta

import uvicorn
from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.app import build_application, on_start
from bot.config import Settings
from bot.web import InstanceState, build_web_app
from models.db import create_engine, make_uow
from scheduler.leader import Leadership

log = logging.getLogger("bot")

EXIT_FENCED = 3  # another instance took over: the supervisor restarts this one as a standby
DEFAULT_HTTP_PORT = 8080


class _HttpServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The runtime owns SIGTERM/SIGINT: it must stop the bot (and flush its state) before the
        # lock is released, which uvicorn's own handlers would not wait for.
        yield


async def serve(settings: Settings) -> int:
    """Run until SIGTERM/SIGINT (exit 0) or until replaced by another instance (exit 3)."""
    engine = create_engine(settings.database_url)
    application = build_application(settings, make_uow(engine))
    data = application.bot_data
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    state = InstanceState(role="standby")
    webhook = settings.webhook_url is not None
    port = settings.http_port if settings.http_port is not None else None
    if webhook and port is None:
        port = DEFAULT_HTTP_PORT
    server: _HttpServer | None = None
    server_task: asyncio.Task[None] | None = None
    if port is not None:
        web_app = build_web_app(
            application,
            engine,
            state,
            webhook_path=settings.webhook_path if webhook else None,
            secret_token=settings.webhook_secret_token(),
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
        if await _wait_for_lead(settings, data.leadership, stop):
            state.role = "starting"
            exit_code = await _serve_while_active(settings, application, state, stop, webhook)
    finally:
        await data.leadership.release()  # after the Application flushed its conversation states
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
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.standby_retry_seconds)
    return False


async def _serve_while_active(
    settings: Settings,
    application: Application,  # type: ignore[type-arg]
    state: InstanceState,
    stop: asyncio.Event,
    webhook: bool,
) -> int:
    data = application.bot_data
    exit_code = 0
    # initialize() loads the persisted conversation states: only now, once this instance leads.
    if not await _until_done("getMe", application.initialize, stop):
        return exit_code
    try:
        if not await _until_done("setMyCommands", lambda: on_start(application), stop):
            return exit_code
        await application.start()
        if not await _until_done(
            "setWebhook" if webhook else "deleteWebhook",
            lambda: _take_updates(application, settings),
            stop,
        ):
            await application.stop()
            return exit_code
        state.active, state.role = True, "active"
        data.metrics.active.set(1)
        leave = asyncio.Event()  # asked to stop, or fenced
        poller = None if webhook else asyncio.create_task(poll_until_stopped(application, leave))
        while not stop.is_set():
            if data.leadership.fenced:
                exit_code = EXIT_FENCED
                break
            if poller is not None and poller.done():
                poller.result()  # a bug in the poller: surface it rather than idle on
            await _pause(stop, 1.0)
        leave.set()
        state.active, state.role = False, "stopping"
        data.metrics.active.set(0)
        if poller is not None:
            await poller  # finishes the update in hand; confirms nothing it has not handled
        await application.stop()
    finally:
        await application.shutdown()  # flushes the conversation states before the lock goes
    return exit_code


async def _take_updates(application: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    if settings.webhook_url is not None:
        await application.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret_token(),
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )
        log.info("active: serving Telegram by webhook")
        return
    # Telegram keeps undelivered updates for 24 hours; we take them after a restart rather than
    # dropping them, because every confirmation is idempotent.
    await application.bot.delete_webhook(drop_pending_updates=False)
    log.info("active: serving Telegram by long polling")


POLL_SECONDS = 20  # long-poll wait per getUpdates


async def poll_until_stopped(
    application: Application,  # type: ignore[type-arg]
    stop: asyncio.Event,
) -> None:
    """Long polling that confirms an update to Telegram only after it has been handled.

    PTB's own Updater confirms a batch (with the next getUpdates' offset) as soon as it has queued
    it, so a process killed in between loses what it had fetched; here the offset moves past an
    update only once process_update has returned. A SIGKILL then costs at most a redelivery of
    the update being handled, which the handlers treat as a double tap.
    """
    offset: int | None = None
    delay = 1.0
    while not stop.is_set():
        fetch = asyncio.ensure_future(
            application.bot.get_updates(
                offset=offset, timeout=POLL_SECONDS, allowed_updates=Update.ALL_TYPES
            )
        )
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not fetch.done():  # asked to stop while waiting: nothing fetched, nothing lost
            fetch.cancel()
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await fetch
            return
        try:
            updates = fetch.result()
        except RetryAfter as error:
            await _pause(stop, _seconds(error.retry_after))
            continue
        except TelegramError as error:  # network, 5xx, a conflict with another poller
            log.warning(
                "getUpdates failed (%s); trying again in %.0f s", type(error).__name__, delay
            )
            await _pause(stop, delay)
            delay = min(delay * 2, 30.0)
            continue
        delay = 1.0
        for update in updates:
            await application.process_update(update)
            offset = update.update_id + 1


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _seconds(wait: float | timedelta) -> float:
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


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
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            log.warning(
                "Bot API %s failed (%s); trying again in %.0f s",
                what,
                type(error).__name__,
                seconds,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), seconds)
            delay = min(delay * 2, 30.0)
    return False
