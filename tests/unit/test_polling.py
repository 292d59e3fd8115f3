"""Long polling hands updates to the processor as they come and confirms an update (the next
getUpdates' offset) only once it and every update before it were handled."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from telegram.error import NetworkError

from bot.telegram_polling import HandledLedger, poll_until_stopped
from bot.update_processor import ChatOrderedProcessor


@dataclass
class FakeChat:
    id: int


@dataclass
class FakeUpdate:
    update_id: int
    chat: int = 1

    @property
    def effective_chat(self) -> FakeChat:
        return FakeChat(self.chat)


@dataclass
class FakeTelegram:
    """Telegram's queue: updates stay until an offset above them confirms them."""

    queue: list[FakeUpdate]
    offsets: list[int | None] = field(default_factory=list)
    handled: list[int] = field(default_factory=list)
    confirmed_unhandled: list[int] = field(default_factory=list)
    slow: dict[int, asyncio.Event] = field(default_factory=dict)  # held until set
    fail_on_call: int | None = 2
    stop_when_empty: bool = True
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    delivered: list[int] = field(default_factory=list)
    waited_empty: bool = False

    async def get_updates(self, offset: int | None = None, **kwargs: Any) -> list[FakeUpdate]:
        self.offsets.append(offset)
        if offset is not None:
            confirmed = [u.update_id for u in self.queue if u.update_id < offset]
            self.confirmed_unhandled += [u for u in confirmed if u not in self.handled]
            self.queue = [u for u in self.queue if u.update_id >= offset]
        if self.fail_on_call is not None and len(self.offsets) == self.fail_on_call:
            raise NetworkError("502 Bad Gateway")
        if not self.queue:
            if self.stop_when_empty and self.waited_empty:
                self.stop.set()
            if not self.waited_empty:
                self.waited_empty = True
                return []  # a long poll that ran out with nothing to give
            await asyncio.sleep(3600)
        batch = self.queue[: kwargs.get("limit", 100)]
        self.delivered += [u.update_id for u in batch]
        return batch

    async def process_update(self, update: FakeUpdate) -> None:
        await asyncio.sleep(0.01)  # handling takes time: a kill now must not lose the update
        if update.update_id in self.slow:
            await self.slow[update.update_id].wait()
        self.handled.append(update.update_id)


class FakeApplication:
    def __init__(self, telegram: FakeTelegram) -> None:
        self.bot = telegram
        self.process_update = telegram.process_update
        self.update_processor = ChatOrderedProcessor(max_running=8, max_waiting=50)


class MemoryLedger(HandledLedger):
    """The ledger's bookkeeping without a database (tests/integration covers the table)."""

    def __init__(self, kept: set[int] | None = None) -> None:
        super().__init__(None)
        self.rows: set[int] = set(kept or ())

    async def load(self) -> set[int]:
        return set(self.rows)

    async def keep(self, update_id: int) -> None:
        self.rows.add(update_id)

    def forget_below(self, offset: int) -> None:
        self.rows = {i for i in self.rows if i >= offset}


async def test_each_update_is_confirmed_only_after_it_was_handled() -> None:
    telegram = FakeTelegram(queue=[FakeUpdate(u) for u in (10, 11, 12, 13, 14)])
    await asyncio.wait_for(
        poll_until_stopped(FakeApplication(telegram), telegram.stop),  # type: ignore[arg-type]
        timeout=10,
    )
    assert telegram.handled == [10, 11, 12, 13, 14]  # one chat: strictly in order
    assert telegram.confirmed_unhandled == []
    # The failed call (502) is tried again with an offset that skips nothing.
    assert telegram.offsets[0] is None
    assert all(o is None or o <= 15 for o in telegram.offsets)
    assert telegram.offsets[-1] == 15


async def test_a_slow_chat_holds_back_the_offset_but_nobody_else() -> None:
    """Chat 1's update 10 hangs; chat 2's updates 11–13 are handled meanwhile, each once, and
    Telegram is not told of any of them until 10 is done."""
    release = asyncio.Event()
    telegram = FakeTelegram(
        queue=[FakeUpdate(10, chat=1), *(FakeUpdate(u, chat=2) for u in (11, 12, 13))],
        slow={10: release},
        fail_on_call=None,
    )
    ledger = MemoryLedger()
    polling = asyncio.create_task(
        poll_until_stopped(FakeApplication(telegram), telegram.stop, ledger)  # type: ignore[arg-type]
    )
    for _ in range(200):
        if len(telegram.handled) == 3:
            break
        await asyncio.sleep(0.01)
    assert telegram.handled == [11, 12, 13]
    # Redelivered while 10 was in hand, but handled once; all offsets so far keep 10.
    assert telegram.delivered.count(11) > 1
    assert all(o is None or o <= 10 for o in telegram.offsets)
    # What was handled above the gap is remembered in case the process dies now.
    assert ledger.rows == {11, 12, 13}
    release.set()
    await asyncio.wait_for(polling, timeout=10)
    assert sorted(telegram.handled) == [10, 11, 12, 13]
    assert telegram.confirmed_unhandled == []
    assert telegram.offsets[-1] == 14
    assert ledger.rows == set()  # Telegram forgot them: so did we


async def test_after_a_kill_updates_handled_above_the_gap_are_not_handled_again() -> None:
    """A restarted poller finds 11 and 12 in the ledger: Telegram delivers 10–13 again, only 10
    (in hand at the kill) and 13 (never handled) are handled."""
    telegram = FakeTelegram(
        queue=[FakeUpdate(u, chat=u) for u in (10, 11, 12, 13)], fail_on_call=None
    )
    ledger = MemoryLedger({11, 12})
    await asyncio.wait_for(
        poll_until_stopped(FakeApplication(telegram), telegram.stop, ledger),  # type: ignore[arg-type]
        timeout=10,
    )
    assert sorted(telegram.handled) == [10, 13]
    assert telegram.offsets[-1] == 14
    assert ledger.rows == set()


async def test_one_chat_stays_in_order_while_others_run() -> None:
    telegram = FakeTelegram(
        queue=[FakeUpdate(u, chat=1 + u % 3) for u in range(100, 130)], fail_on_call=None
    )
    await asyncio.wait_for(
        poll_until_stopped(FakeApplication(telegram), telegram.stop),  # type: ignore[arg-type]
        timeout=10,
    )
    assert sorted(telegram.handled) == list(range(100, 130))
    for chat in (1, 2, 3):
        mine = [u for u in telegram.handled if 1 + u % 3 == chat]
        assert mine == sorted(mine)
    assert telegram.confirmed_unhandled == []
