"""Telegram's long polling, with chats handled side by side and nothing lost to a SIGKILL.

PTB's Updater confirms a batch (by the next getUpdates' offset) as soon as it has queued it, so a
process killed in between loses what it had fetched. Here the offset moves past an update only
once it and every update before it have been handled. Updates are handed to the Application's
ChatOrderedProcessor as they arrive, so one chat's slow Bot API call delays nobody else; the
poller keeps fetching while they run.

Because the offset waits for the slowest update in hand, Telegram delivers the later ones again
with the next call: the poller knows them by id and skips them. An update finished while an
earlier one is still in hand is written to ``handled_updates`` (models/updates.py) until the
offset passes it, so a process killed in that window skips it after the restart too. What a kill
can still cause is what it always could: the update being handled at that moment is delivered
again, and the handlers treat it as a double tap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import delete, select
from telegram import Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import Application

from bot.update_processor import processor_of
from models import HandledUpdate
from models.db import UnitOfWork

log = logging.getLogger("bot")

T = TypeVar("T")
POLL_SECONDS = 20  # long-poll wait per getUpdates while nothing is in hand
FETCH_LIMIT = 100  # Telegram's maximum per getUpdates
# While updates are in hand Telegram answers at once (it still holds them): wait this long, or
# until one is done, before asking again, rather than spin on the same answer.
BUSY_PAUSE = 0.05


class HandledLedger:
    """Ids handled above the offset, kept in the database while they cannot be confirmed.

    Writes are coalesced: under load many updates finish at once, and one transaction records
    them all (on SQLite every transaction takes the single write lock). Forgetting confirmed ids
    runs in the background: the poller never waits for it."""

    def __init__(self, uow: UnitOfWork | None, channel: str = "telegram") -> None:
        self._uow = uow
        self._channel = channel
        self._kept: set[int] = set()
        self._waiting: set[int] = set()
        self._lock = asyncio.Lock()
        self._forget_to = 0
        self._forgetting: asyncio.Task[None] | None = None

    async def load(self) -> set[int]:
        if self._uow is None:
            return set()
        async with self._uow() as session:
            ids = await session.scalars(
                select(HandledUpdate.update_id).where(HandledUpdate.channel == self._channel)
            )
            self._kept = set(ids)
        return set(self._kept)

    async def keep(self, update_id: int) -> None:
        """Return once ``update_id`` is recorded (with whatever else finished meanwhile)."""
        if self._uow is None:
            return
        self._waiting.add(update_id)
        async with self._lock:
            if update_id not in self._waiting:
                return  # recorded by the write that held the lock before
            batch, self._waiting = self._waiting, set()
            try:
                async with self._uow() as session:
                    session.add_all(
                        HandledUpdate(channel=self._channel, update_id=i) for i in sorted(batch)
                    )
                    await session.commit()
                self._kept |= batch
            except Exception as error:
                # Not kept: a kill before the offset passes them means handling them twice, as
                # for the update in hand. Nothing else depends on these rows.
                log.warning("handled updates not recorded (%s)", type(error).__name__)

    def forget_below(self, offset: int) -> None:
        """Telegram has forgotten everything below ``offset``: so can we (in the background)."""
        if self._uow is None or not any(i < offset for i in self._kept):
            return
        self._forget_to = max(self._forget_to, offset)
        if self._forgetting is None or self._forgetting.done():
            self._forgetting = asyncio.create_task(self._forget())

    async def _forget(self) -> None:
        assert self._uow is not None
        async with self._lock:
            offset = self._forget_to
            try:
                async with self._uow() as session:
                    await session.execute(
                        delete(HandledUpdate).where(
                            HandledUpdate.channel == self._channel,
                            HandledUpdate.update_id < offset,
                        )
                    )
                    await session.commit()
                self._kept = {i for i in self._kept if i >= offset}
            except Exception as error:  # tried again after the next getUpdates
                log.warning("confirmed updates not cleared (%s)", type(error).__name__)

    async def settled(self) -> None:
        """Wait for a background clean-up (shutdown; tests)."""
        if self._forgetting is not None:
            await asyncio.wait([self._forgetting])


class _Window:
    """Updates fetched and not yet confirmed: which are in hand, which are done."""

    def __init__(self, done: set[int]) -> None:
        self.in_hand: dict[int, asyncio.Task[None]] = {}
        self.done = done  # handled, above the offset
        # Not taken from ``done``: after a restart the first call asks with no offset, so that
        # nothing is confirmed before Telegram has shown what it still holds.
        self.highest: int | None = None

    def known(self, update_id: int) -> bool:
        return update_id in self.in_hand or update_id in self.done

    def offset(self) -> int | None:
        """The first update not yet handled: everything below it may be confirmed."""
        if self.in_hand:
            return min(self.in_hand)
        return None if self.highest is None else self.highest + 1

    def settle(self, offset: int | None) -> None:
        if offset is not None:
            self.done = {i for i in self.done if i >= offset}


async def poll_until_stopped(
    application: Application,  # type: ignore[type-arg]
    stop: asyncio.Event,
    ledger: HandledLedger | None = None,
) -> None:
    """Fetch, hand over, confirm; return once asked to stop (updates in hand go on: the caller
    drains the processor before stopping the Application)."""
    processor = processor_of(application)
    ledger = ledger or HandledLedger(None)
    window = _Window(await ledger.load())

    async def handled(update_id: int, task: asyncio.Task[None]) -> None:
        await asyncio.wait([task])
        if any(other < update_id for other in window.in_hand):
            await ledger.keep(update_id)  # cannot be confirmed yet: remember it was done
        window.done.add(update_id)
        window.in_hand.pop(update_id, None)

    followers: set[asyncio.Task[None]] = set()
    delay = 1.0
    while not stop.is_set():
        offset = window.offset()
        try:
            fetched, updates = await fetched_or_stopped(
                application.bot.get_updates(
                    offset=offset,
                    timeout=0 if window.in_hand else POLL_SECONDS,
                    limit=FETCH_LIMIT,
                    allowed_updates=Update.ALL_TYPES,
                ),
                stop,
            )
        except RetryAfter as error:
            await pause(stop, seconds(error.retry_after))
            continue
        except TelegramError as error:  # network, 5xx, a conflict with another poller
            log.warning(
                "getUpdates failed (%s); trying again in %.0f s", type(error).__name__, delay
            )
            await pause(stop, delay)
            delay = min(delay * 2, 30.0)
            continue
        if not fetched:
            return
        delay = 1.0
        window.settle(offset)
        if offset is not None:
            ledger.forget_below(offset)
        new = [u for u in updates or () if not window.known(u.update_id)]
        for update in new:
            task = await processor.submit(application, update)
            window.in_hand[update.update_id] = task
            window.highest = max(window.highest or update.update_id, update.update_id)
            follower = asyncio.create_task(handled(update.update_id, task))
            followers.add(follower)
            follower.add_done_callback(followers.discard)
        if not new and window.in_hand:
            # Telegram gave back only what is in hand: wait for some of it to finish.
            await asyncio.wait(
                set(window.in_hand.values()), timeout=BUSY_PAUSE, return_when="FIRST_COMPLETED"
            )
    # Asked to stop: what is in hand is finished by the processor's drain; the followers record
    # the ids handled above the gap before the process goes.
    if followers:
        await asyncio.wait(set(followers))
    await ledger.settled()


async def fetched_or_stopped(fetch: Awaitable[T], stop: asyncio.Event) -> tuple[bool, T | None]:
    """(True, result) when the fetch finished, (False, None) when asked to stop first: an
    unanswered long poll is cancelled, nothing was taken, nothing is lost. The fetch's own
    exception is raised."""
    task = asyncio.ensure_future(fetch)
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        return False, None
    return True, task.result()


async def pause(stop: asyncio.Event, wait: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), wait)


def seconds(wait: float | timedelta) -> float:
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
