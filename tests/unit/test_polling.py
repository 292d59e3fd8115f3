"""Long polling confirms an update (the next getUpdates' offset) only after it was handled."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from telegram.error import NetworkError

from bot.runtime import poll_until_stopped


@dataclass
class FakeUpdate:
    update_id: int


@dataclass
class FakeTelegram:
    """Telegram's queue: updates stay until an offset above them confirms them."""

    queue: list[int]
    offsets: list[int | None] = field(default_factory=list)
    handled: list[int] = field(default_factory=list)
    confirmed_unhandled: list[int] = field(default_factory=list)
    fail_once: bool = True
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def get_updates(self, offset: int | None = None, **_: Any) -> list[FakeUpdate]:
        self.offsets.append(offset)
        if offset is not None:
            confirmed = [u for u in self.queue if u < offset]
            self.confirmed_unhandled += [u for u in confirmed if u not in self.handled]
            self.queue = [u for u in self.queue if u >= offset]
        if self.fail_once and len(self.offsets) == 2:
            self.fail_once = False
            raise NetworkError("502 Bad Gateway")
        if not self.queue:
            self.stop.set()
            await asyncio.sleep(3600)  # a long poll with nothing to give
        return [FakeUpdate(u) for u in self.queue[:2]]

    async def process_update(self, update: FakeUpdate) -> None:
        await asyncio.sleep(0.01)  # handling takes time: a kill now must not lose the update
        self.handled.append(update.update_id)


class FakeApplication:
    def __init__(self, telegram: FakeTelegram) -> None:
        self.bot = telegram
        self.process_update = telegram.process_update


async def test_each_update_is_confirmed_only_after_it_was_handled() -> None:
    telegram = FakeTelegram(queue=[10, 11, 12, 13, 14])
    await asyncio.wait_for(
        poll_until_stopped(FakeApplication(telegram), telegram.stop),  # type: ignore[arg-type]
        timeout=10,
    )
    assert telegram.handled == [10, 11, 12, 13, 14]
    assert telegram.confirmed_unhandled == []
    # The failed call (502) is tried again with the same offset: nothing skipped.
    assert telegram.offsets[:3] == [None, 12, 12]
    assert telegram.offsets[-1] == 15
