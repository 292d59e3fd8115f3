"""Indicator sets and targets edited in the office console on one instance are used by the other
one without a restart (issue 16; handlers/common/office_config.py): two Applications on one
database, as the active and the standby instance are; the other notices the edit at its next
update, page or job once OFFICE_CONFIG_CHECK_SECONDS have passed, and not before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from grassroots_config import DEFAULT_CONFIG_DIR
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.common import office_config
from infra.channel_updates import ChannelUser
from infra.settings import Settings
from models.db import UnitOfWork
from services.office import config_edits
from testkit.chat import Chat, Clock, start_app, stop_app
from web.base import Pages
from web.office import config as config_page

VISITOR = ChannelUser(8880001, "Tú", "Lê", language_code="vi")


@dataclass
class Ticks:
    """The other instance's monotonic clock, moved by the test."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def other(
    settings: Settings, uow: UnitOfWork, clock: Clock, chat: Chat
) -> AsyncIterator[tuple[Chat, Ticks]]:
    """A second instance on the same database, checking every 60 s on a clock of the test's."""
    running = await start_app(
        settings.model_copy(update={"office_config_check_seconds": 60}),
        uow,
        clock,
        commands=False,
        lead=False,
    )
    ticks = Ticks()
    running.app.bot_data.config_watch.clock = ticks
    try:
        yield running, ticks
    finally:
        await stop_app(running)


def edited(kind: str, old: str, new: str) -> str:
    text = (DEFAULT_CONFIG_DIR / f"{kind}.yaml").read_text(encoding="utf-8")
    text = text.replace('version: "2026.1"', 'version: "2026.2"', 1)
    assert old in text
    return text.replace(old, new, 1)


async def save_on(chat: Chat, session: AsyncSession, kind: str, text: str) -> None:
    """What the console's save does on the instance that serves it (web/office/config.py)."""
    data = chat.app.bot_data
    version = data.reporting.indicators.version if kind == "indicators" else data.targets.version
    row = await config_edits.newest(session, kind)  # type: ignore[arg-type]
    file_text = "" if row else (DEFAULT_CONFIG_DIR / f"{kind}.yaml").read_text(encoding="utf-8")
    current = config_edits.in_force(kind, row, file_text, version)
    await config_edits.save(
        session,
        kind,
        text,
        current=current,
        indicators=data.reporting.indicators,
        targets=data.targets,
        actor="person:1",
        now=data.clock(),
    )
    await config_page.apply(data)


async def test_an_edit_reaches_the_other_instance_after_the_interval(
    chat: Chat, other: tuple[Chat, Ticks], session: AsyncSession
) -> None:
    standby, ticks = other
    theirs = standby.app.bot_data
    await standby.send(VISITOR, "/help")  # its first update: checked, nothing edited yet
    assert theirs.targets.version == "2026.1"
    first = theirs.targets.targets[0]

    await save_on(chat, session, "targets", edited("targets", "target: 50", "target: 75"))
    assert chat.app.bot_data.targets.version == "2026.2"  # at once where it was saved

    ticks.now += 30  # within the interval: the other still uses what it had
    await standby.send(VISITOR, "/help")
    assert theirs.targets.version == "2026.1"

    ticks.now += 31  # an interval later: its next update brings the edit in
    await standby.send(VISITOR, "/help")
    assert theirs.targets.version == "2026.2"
    (now,) = [t for t in theirs.targets.targets if (t.code, t.scope) == (first.code, first.scope)]
    assert now.target == 75 and first.target == 50


async def test_a_page_request_and_an_indicator_edit_with_no_interval(
    chat: Chat, other: tuple[Chat, Ticks], session: AsyncSession
) -> None:
    standby, _ = other
    theirs = standby.app.bot_data
    theirs.config_watch.interval = 0  # OFFICE_CONFIG_CHECK_SECONDS=0: checked at every use
    assert theirs.reporting.indicators.version == "2026.1"
    text = edited("indicators", "version:", "version:")  # the label alone is new
    await save_on(chat, session, "indicators", text)
    # A web page of the other instance (the report form, the console) opens its unit of work.
    async with Pages(theirs).database():
        pass
    assert theirs.reporting.indicators.version == "2026.2"
    # And a later edit of the targets, at the next update.
    await save_on(chat, session, "targets", edited("targets", "target: 50", "target: 60"))
    await standby.send(VISITOR, "/help")
    assert theirs.targets.version == "2026.2"
    assert theirs.reporting.indicators.version == "2026.2"  # the earlier edit stays


async def test_a_failed_check_never_stops_an_update(
    other: tuple[Chat, Ticks], session: AsyncSession
) -> None:
    standby, _ = other
    data = standby.app.bot_data
    data.config_watch.interval = 0
    real = data.uow

    def broken() -> object:
        raise ConnectionRefusedError("database away")

    data.uow = broken  # type: ignore[assignment]
    try:
        assert await office_config.refresh(data) is False  # logged, nothing raised
    finally:
        data.uow = real
    assert "/start" in await standby.send(VISITOR, "/help")  # and the update is answered
