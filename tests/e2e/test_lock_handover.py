"""An Application shut down hands the scheduler lock over, however it was run: PTB calls
``post_shutdown`` only from ``run_polling``/``run_webhook``, so an Application stopped and shut down
otherwise (the console, tests) kept its lock on a connection nobody closed, and on PostgreSQL the
next instance started as a standby with its jobs off (seen as an order-dependent failure of the
PostgreSQL run)."""

from __future__ import annotations

import pytest

from bot.app import build_application
from bot.channels.local_bot_api import LocalBotApi
from infra.leadership import Leadership
from infra.settings import Settings
from models.db import UnitOfWork
from testkit.chat import Clock

pytestmark = pytest.mark.postgresql


async def test_a_shut_down_application_releases_the_scheduler_lock(
    settings: Settings, uow: UnitOfWork, clock: Clock
) -> None:
    application = build_application(
        settings, uow, request=LocalBotApi(username="test_bot"), rate_limit=False, clock=clock
    )
    await application.initialize()
    await application.start()
    assert await application.bot_data.leadership.try_acquire()
    next_instance = Leadership(settings.database_url)
    try:
        assert not await next_instance.try_acquire()  # held while it runs
        await application.stop()
        await application.shutdown()  # no leadership.release() by hand
        assert await next_instance.try_acquire()
    finally:
        await next_instance.release()
