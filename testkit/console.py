"""The console channel on a seeded demo province, for tests that type lines as a person would
(the console renders exactly as Zalo does: numbered lists instead of buttons)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import load_reporting_setup
from bot.channels.console import ConsoleChat, make_console
from infra.settings import Settings
from models.db import UnitOfWork
from services import demo
from testkit.chat import Clock


@dataclass
class Console:
    chat: ConsoleChat
    out: io.StringIO
    seed: demo.DemoSeed

    async def say(self, line: str) -> str:
        """Type one line; what the console printed in answer."""
        before = len(self.out.getvalue())
        await self.chat.handle_line(line)
        return self.out.getvalue()[before:]


@contextlib.asynccontextmanager
async def demo_console(
    settings: Settings, uow: UnitOfWork, session: AsyncSession, clock: Clock
) -> AsyncIterator[Console]:
    """The demo seeded into the test database, and a started console on it (stopped and shut
    down on leaving, which hands the scheduler lock over)."""
    setup = load_reporting_setup(settings)
    seed = await demo.seed(session, settings.secret, setup, clock.now)
    out = io.StringIO()
    chat = make_console(settings, uow, setup, clock=clock, out=out)
    async with chat.application:
        await chat.application.start()
        try:
            yield Console(chat, out, seed)
        finally:
            await chat.application.stop()
