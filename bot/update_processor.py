"""Updates of different chats at once, updates of one chat strictly in order.

python-telegram-bot handles updates one at a time unless told otherwise, and its own concurrent
mode (``concurrent_updates=N``) starts each update as soon as a slot is free, so two messages of
one chat could be handled side by side or swapped — a conversation must never see that. This
processor keys every update by its chat (by its user when it has no chat) and chains the updates
of one key: each waits for the one before it of the same key, never for anyone else's.

Three bounds, each for its own reason:

- ``max_running`` updates are handled at once (the semaphore of PTB's BaseUpdateProcessor). An
  update holds a database connection while it waits for the Bot API, so this stays below the
  connection pool (models/db.py sizes the pool from it).
- ``max_waiting`` updates may be taken and not yet finished. ``submit`` waits beyond that, which
  slows the poller (and, through it, Telegram's queue) instead of growing memory without end.
- An update waiting for the one before it in its chat holds no running slot: one chat that sends
  a hundred messages cannot occupy the slots other chats need.

Every way updates come in — Telegram's long polling and webhook, Zalo's, the console — calls
``submit`` (``handle`` when the caller wants to wait for the update to be done).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Hashable
from typing import Any

from telegram.ext import Application, BaseUpdateProcessor

log = logging.getLogger(__name__)

MAX_RUNNING = 32
MAX_WAITING = 1_000


def chat_key(update: object) -> Hashable:
    """The line an update waits in: its chat, else its user, else a line of its own."""
    chat = getattr(update, "effective_chat", None)
    if chat is not None:
        return ("chat", chat.id)
    user = getattr(update, "effective_user", None)
    if user is not None:
        return ("user", user.id)
    return ("alone", id(update))


class ChatOrderedProcessor(BaseUpdateProcessor):
    def __init__(self, max_running: int = MAX_RUNNING, max_waiting: int = MAX_WAITING) -> None:
        super().__init__(max_running)
        self.max_waiting = max_waiting
        # The last update taken of each chat; entries leave when that update is done, so the
        # dict holds only chats with something in hand (ids in memory, never written anywhere).
        self._tails: dict[Hashable, asyncio.Task[None]] = {}
        self._in_hand: set[asyncio.Task[None]] = set()
        self._room: asyncio.Semaphore | None = None

    @property
    def in_hand(self) -> int:
        """Updates taken and not yet finished (waiting for their chat or running)."""
        return len(self._in_hand)

    async def initialize(self) -> None:
        """Nothing to allocate: the room semaphore is made on first use, in the running loop."""

    async def shutdown(self) -> None:
        """Let the updates in hand finish: they were taken, so they are answered."""
        await self.drain()

    async def drain(self) -> None:
        while self._in_hand:
            await asyncio.wait(set(self._in_hand))

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def submit(
        self,
        application: Application,  # type: ignore[type-arg]
        update: object,
    ) -> asyncio.Task[None]:
        """Take ``update`` into its chat's line and return the task that handles it.

        Its place in the line is fixed before this coroutine first waits for anything, so
        updates submitted one after another are handled in that order within each chat."""
        if self._room is None:
            self._room = asyncio.Semaphore(self.max_waiting)
        await self._room.acquire()
        key = chat_key(update)
        before = self._tails.get(key)
        task = asyncio.create_task(self._run(application, update, before))
        self._tails[key] = task
        self._in_hand.add(task)
        task.add_done_callback(lambda done: self._finished(key, done))
        return task

    async def handle(
        self,
        application: Application,  # type: ignore[type-arg]
        update: object,
    ) -> None:
        """Submit ``update`` and wait until it was handled (the console; tests)."""
        await asyncio.wait([await self.submit(application, update)])

    async def _run(
        self,
        application: Application,  # type: ignore[type-arg]
        update: object,
        before: asyncio.Task[None] | None,
    ) -> None:
        if before is not None:
            # Its outcome is not ours to judge (its errors went to the error handler); we only
            # wait for it to be over.
            await asyncio.wait([before])
        await self.process_update(update, application.process_update(update))

    def _finished(self, key: Hashable, task: asyncio.Task[None]) -> None:
        self._in_hand.discard(task)
        if self._tails.get(key) is task:
            del self._tails[key]
        assert self._room is not None
        self._room.release()
        if not task.cancelled() and task.exception() is not None:
            # process_update hands handler errors to the error handler; what reaches here is a
            # failure of that machinery itself. The type only: the update may be a worker's.
            log.error("an update escaped its handling: %s", type(task.exception()).__name__)


def processor_of(application: Application) -> ChatOrderedProcessor:  # type: ignore[type-arg]
    processor = application.update_processor
    if not isinstance(processor, ChatOrderedProcessor):
        raise TypeError("the Application was not built with a ChatOrderedProcessor")
    return processor
