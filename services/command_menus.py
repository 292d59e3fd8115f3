"""The "/" command menu of a person's Telegram chat follows their roles: a change of roles (an
invite accepted, a revocation, a linked account) or of language plans a refresh here, in the
same transaction as the change, as an outbox row of kind ``menu``.

The row carries no list: the outbox sender builds the menu from the person's roles *when it goes
out* (handlers/common/command_menu.py), so two changes in a row end with the later state, and a
refresh planned by the CLI or by the other instance's console reaches the chat as well. Only
Telegram has such a menu; Zalo and the console get no row. Workers are never persons: nothing of
theirs is ever planned here.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ChannelAccount, OutboxMessage, OutboxStatus, utcnow

KIND: Final = "menu"
CHANNEL: Final = "telegram"  # the one channel with a per-chat command menu


async def plan_refresh(session: AsyncSession, person_id: int, now: datetime | None = None) -> int:
    """Add a menu refresh for each Telegram chat of the person that has none waiting; the
    number added. Does not commit: the caller's change and its refresh are one transaction."""
    now = now or utcnow()
    chats = (
        await session.scalars(
            select(ChannelAccount.chat_id).where(
                ChannelAccount.person_id == person_id,
                ChannelAccount.channel == CHANNEL,
                ChannelAccount.chat_id.is_not(None),
            )
        )
    ).all()
    waiting = set(
        (
            await session.scalars(
                select(OutboxMessage.chat_id).where(
                    OutboxMessage.kind == KIND,
                    OutboxMessage.person_id == person_id,
                    OutboxMessage.status == OutboxStatus.PENDING,
                )
            )
        ).all()
    )
    added = 0
    for chat_id in chats:
        if chat_id is None or chat_id in waiting:
            continue
        session.add(
            OutboxMessage(
                # Random: each change needs a row of its own, even one that repeats an earlier.
                idempotency_key=f"{KIND}:{person_id}:{secrets.token_hex(8)}",
                kind=KIND,
                person_id=person_id,
                channel=CHANNEL,
                chat_id=chat_id,
                text="",
                status=OutboxStatus.PENDING,
                attempts=0,
                not_before=now,
                created_at=now,
            )
        )
        added += 1
    return added


async def refresh(session: AsyncSession, person_id: int, now: datetime | None = None) -> int:
    """``plan_refresh`` on its own (a registered user's /start: menus set before this feature,
    or under another review configuration, catch up). Commits."""
    added = await plan_refresh(session, person_id, now)
    await session.commit()
    return added
