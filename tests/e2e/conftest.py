"""End-to-end harness: the real Application, a recording Bot API, no network at all."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import load_reporting_setup
from infra.channel_updates import ChannelUser
from infra.settings import Settings
from models import UnitKind
from models.db import UnitOfWork
from services.indicators import IndicatorSet
from testkit.chat import Chat, Clock, start_app, stop_app
from testkit.env import bot_settings
from testkit.zalo_chat import zalo  # noqa: F401  (a fixture: a chat over Zalo)

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any connection other than the local test database fails the test loudly."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if self.family != socket.AF_UNIX and host not in LOOPBACK:
            raise AssertionError(f"network access attempted: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield


@pytest.fixture
def settings(database_url: str) -> Settings:
    return bot_settings(
        database_url,
        bot_username="test_bot",
        scheduler_enabled=False,  # tests run the jobs by hand, on the test's clock
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def union_set(settings: Settings) -> IndicatorSet:
    found = load_reporting_setup(settings).indicators.for_kind(UnitKind.TRADE_UNION)
    assert found is not None
    return found


@pytest.fixture
async def chat(settings: Settings, uow: UnitOfWork, clock: Clock) -> AsyncIterator[Chat]:
    running = await start_app(settings, uow, clock)
    try:
        yield running
    finally:
        await stop_app(running)


@pytest.fixture
def lan() -> ChannelUser:
    return ChannelUser(5550001, "Lan", "Nguyễn", username="lan_cdcs", language_code="vi")


@pytest.fixture
def hung() -> ChannelUser:
    return ChannelUser(5550002, "Hùng", "Trần", username="hung_cb", language_code="vi")


# --- web pages (web/) --------------------------------------------------------------------


@pytest.fixture
async def pages_url(chat: Chat, engine: AsyncEngine) -> AsyncIterator[str]:
    """The bot's real HTTP app (bot/web.py, pages included) on a loopback port; the chat's
    links and buttons point there."""
    from bot.web import InstanceState, build_web_app
    from testkit import web as web_kit

    app = build_web_app(chat.app, engine, InstanceState(), webhooks=[], pages=True)
    async with web_kit.serve(app) as url:
        chat.app.bot_data.pages_url = url
        yield url


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """A fresh Chromium context (Debian's, through Playwright) at a phone's width. Without
    Chromium the test fails under CI=true and is skipped, with the reason, elsewhere."""
    from testkit import web as web_kit

    missing = web_kit.chromium_missing()
    if missing is not None:
        if web_kit.browser_unavailable_is_failure():
            pytest.fail(f"browser tests need Chromium: {missing}")
        pytest.skip(f"browser tests need Chromium: {missing}")
    async with web_kit.chromium() as context:
        yield context
