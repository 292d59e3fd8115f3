"""python-telegram-bot persistence in the application database: conversation states only.

One row per conversation key, written when it changes (not one pickled blob). User, chat and bot
data are not persisted: what must survive a restart (a report draft) is a proper table, and
nothing about anonymous workers is ever written here (their conversation is not persistent).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from sqlalchemy import delete, select
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from models import ConversationState
from models.db import UnitOfWork, is_unreachable

log = logging.getLogger(__name__)


def _key_text(key: ConversationKey) -> str:
    return json.dumps(list(key), separators=(",", ":"))


class DatabasePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], Any]):
    def __init__(self, uow: UnitOfWork, *, update_interval: float = 1.0) -> None:
        # A short interval: the state written at most a second late is all a crash can lose, and
        # the draft itself is already in the database by then.
        super().__init__(
            # user_data/chat_data "stored" (by the no-op methods below) only so that PTB
            # empties its sets of user and chat ids at each flush; with False it keeps every
            # id that ever wrote to the bot in memory for the life of the process.
            store_data=PersistenceInput(
                bot_data=False, chat_data=True, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._uow = uow
        # What the database holds, so that the periodic flush writes only what changed: most
        # report steps stay in the same state, and rewriting them all each second made the flush
        # compete with the users' own steps for the database.
        self._stored: dict[tuple[str, str], int] = {}
        # States whose write failed (database unreachable): kept and retried until written.
        self._pending: dict[tuple[str, str], int | None] = {}
        self._write_lock = asyncio.Lock()
        self._retry: asyncio.Task[None] | None = None
        self._retry_delay = max(update_interval, 0.5)
        self._failing = False

    async def get_conversations(self, name: str) -> ConversationDict:
        async with self._uow() as session:
            rows = await session.scalars(
                select(ConversationState).where(ConversationState.name == name)
            )
            found = {row.key: row.state for row in rows}
        self._stored.update({(name, key): state for key, state in found.items()})
        return {tuple(json.loads(key)): state for key, state in found.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        if new_state is not None and not isinstance(new_state, int):
            return  # a non-blocking handler's pending state; written once it resolves
        slot = (name, _key_text(key))
        if slot not in self._pending and (
            self._stored.get(slot) == new_state or (new_state is None and slot not in self._stored)
        ):
            return
        self._pending[slot] = new_state
        await self._write_pending()

    async def _write_pending(self) -> bool:
        """Write every state not yet in the database, in one transaction; True when written.

        PTB forgets a state it handed over once the call returns, so a write that failed (the
        database unreachable) is kept here and retried in the background until it succeeds;
        a newer state of the same conversation replaces the waiting one."""
        async with self._write_lock:
            batch = dict(self._pending)
            if not batch:
                return True
            try:
                async with self._uow() as session:
                    for (name, text), state in batch.items():
                        if state is None:
                            await session.execute(
                                delete(ConversationState).where(
                                    ConversationState.name == name, ConversationState.key == text
                                )
                            )
                            continue
                        row = await session.get(ConversationState, (name, text))
                        if row is None:
                            session.add(ConversationState(name=name, key=text, state=state))
                        else:
                            row.state = state
                    await session.commit()
            except Exception as error:
                if not self._failing:
                    # The kind of error only: never a conversation key (it holds user ids).
                    log.warning(
                        "conversation states not saved (%s); %d waiting, retrying",
                        "database unreachable" if is_unreachable(error) else type(error).__name__,
                        len(batch),
                    )
                self._failing = True
                self._schedule_retry()
                return False
            for slot, state in batch.items():
                if slot in self._pending and self._pending[slot] == state:
                    del self._pending[slot]
                if state is None:
                    self._stored.pop(slot, None)
                else:
                    self._stored[slot] = state
            if self._failing:
                self._failing = False
                log.warning("conversation states saved again after a failed write")
            return True

    def _schedule_retry(self) -> None:
        if self._retry is None or self._retry.done():
            self._retry = asyncio.get_running_loop().create_task(
                self._retry_until_written(), name="persistence-retry"
            )

    async def _retry_until_written(self) -> None:
        # _write_pending schedules no second retry while this task runs.
        while self._pending:
            await asyncio.sleep(self._retry_delay)
            if await self._write_pending():
                return

    # Nothing else is persisted (see the module docstring).
    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> Any:
        return None

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_bot_data(self, data: Any) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: Any) -> None:
        return None

    async def flush(self) -> None:
        """At shutdown: one last try for states still waiting on a failed write."""
        if self._retry is not None:
            self._retry.cancel()
        if self._pending and not await self._write_pending():
            log.error(
                "%d conversation states could not be saved before shutdown", len(self._pending)
            )
        if self._retry is not None:
            self._retry.cancel()
