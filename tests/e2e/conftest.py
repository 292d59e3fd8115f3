"""End-to-end harness: the real Application, a recording Bot API, no network at all."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import Application

from bot.app import build_application, publish_commands
from bot.channels.local_bot_api import ApiCall, LocalBotApi
from infra.channel_updates import ChannelUser, UpdateFactory
from infra.settings import Settings
from models.db import UnitOfWork
from tests.conftest import TEST_SECRET, concern_key_env

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


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
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        app_secret=SecretStr(TEST_SECRET),
        bot_username="test_bot",
        scheduler_enabled=False,  # tests run the jobs by hand, on the test's clock
        **{name.lower(): value for name, value in concern_key_env().items()},
    )


@dataclass
class Chat:
    """Drive the Application as users would, and read what the bot answered."""

    app: Application  # type: ignore[type-arg]
    api: LocalBotApi
    updates: UpdateFactory = field(default_factory=UpdateFactory)

    async def feed(self, data: dict[str, Any]) -> list[ApiCall]:
        before = len(self.api.calls)
        await self.app.process_update(Update.de_json(data, self.app.bot))
        return [c for c in self.api.calls[before:] if c.method != "answerCallbackQuery"]

    @staticmethod
    def _to(calls: list[ApiCall], chat_id: object) -> str:
        """What reached this chat (a push to another user is not part of the answer)."""
        return "\n".join(
            c.text
            for c in calls
            if c.chat_id == str(chat_id)
            and not (isinstance(c.result, dict) and "error" in c.result)
        )

    async def send(self, user: ChannelUser, text: str, **kwargs: Any) -> str:
        """Send text; return everything the bot sent back to that chat, joined."""
        calls = await self.feed(self.updates.message(user, text, **kwargs))
        return self._to(calls, kwargs.get("chat_id", user.user_id))

    def last_with_buttons(self, user: ChannelUser) -> ApiCall:
        for call in reversed(self.api.sent(user.user_id)):
            if call.buttons:
                return call
        raise AssertionError("no message with buttons was sent to this user")

    async def press(self, user: ChannelUser, label: str) -> str:
        """Press the button whose text contains ``label`` on the last keyboard shown."""
        call = self.last_with_buttons(user)
        matches = [b for b in call.buttons if label in b["text"]]
        assert matches, f"no button {label!r} among {[b['text'] for b in call.buttons]}"
        message_id = call.params.get("message_id") or call.result["message_id"]
        calls = await self.feed(
            self.updates.callback(user, matches[0]["callback_data"], message_id=int(message_id))
        )
        return self._to(calls, user.user_id)

    async def callback(self, user: ChannelUser, data: str) -> str:
        calls = await self.feed(self.updates.callback(user, data))
        return self._to(calls, user.user_id)


@dataclass
class Clock:
    """A clock the test moves; the bot reads it through bot_data.clock."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 20, 3, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def set_local(self, year: int, month: int, day: int, hour: int = 10) -> None:
        self.now = datetime(year, month, day, hour, tzinfo=HANOI).astimezone(UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def start_app(settings: Settings, uow: UnitOfWork, clock: Clock) -> Chat:
    api = LocalBotApi(username="test_bot")
    application = build_application(
        settings, uow, channel="telegram", request=api, rate_limit=False, clock=clock
    )
    await application.initialize()
    await publish_commands(application)
    await application.start()
    await application.bot_data.leadership.try_acquire()  # jobs are driven by hand in tests
    return Chat(application, api)


async def stop_app(chat: Chat) -> None:
    await chat.app.bot_data.leadership.release()
    await chat.app.stop()
    await chat.app.shutdown()


@pytest.fixture
async def chat(settings: Settings, uow: UnitOfWork, clock: Clock) -> AsyncIterator[Chat]:
    running = await start_app(settings, uow, clock)
    try:
        yield running
    finally:
        if running.app.running:
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
    from tests import web_kit

    app = build_web_app(chat.app, engine, InstanceState(), webhooks=[], pages=True)
    async with web_kit.serve(app) as url:
        chat.app.bot_data.pages_url = url
        yield url


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """A fresh Chromium context (Debian's, through Playwright) at a phone's width. Without
    Chromium the test fails under CI=true and is skipped, with the reason, elsewhere."""
    from tests import web_kit

    missing = web_kit.chromium_missing()
    if missing is not None:
        if web_kit.browser_unavailable_is_failure():
            pytest.fail(f"browser tests need Chromium: {missing}")
        pytest.skip(f"browser tests need Chromium: {missing}")
    async with web_kit.chromium() as context:
        yield context
