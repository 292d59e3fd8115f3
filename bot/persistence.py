"""python-telegram-bot persistence in the application database: conversation states only.

One row per conversation key, written when it changes (not one pickled blob). User, chat and bot
data are not persisted: what must survive a restart (a report draft) is a proper table, and
nothing about anonymous workers is ever written here (their conversation is not persistent).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from models import ConversationState
from models.db import UnitOfWork


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
        text = _key_text(key)
        if self._stored.get((name, text)) == new_state or (
            new_state is None and (name, text) not in self._stored
        ):
            return
        if new_state is not None and not isinstance(new_state, int):
            return  # a non-blocking handler's pending state; written once it resolves
        async with self._uow() as session:
            if new_state is None:
                await session.execute(
                    delete(ConversationState).where(
                        ConversationState.name == name, ConversationState.key == text
                    )
                )
            else:
                row = await session.get(ConversationState, (name, text))
                if row is None:
                    session.add(ConversationState(name=name, key=text, state=new_state))
                else:
                    row.state = new_state
            await session.commit()
        if new_state is None:
            self._stored.pop((name, text), None)
        else:
            self._stored[(name, text)] = new_state

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
        return None
