"""Workers on an enterprise's poll list. A subscription is the enterprise and a reply address
sealed to the push key: no account id, name, language or date. Finding a worker's own
subscription (to refuse a second one, or to leave with /huykhaosat) therefore means opening
seals in memory and comparing; a button under a poll names its subscription instead, and the
seal is opened to check that it is the chat's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import PollDelivery, PollSubscription
from services.anonymity import ConcernKeys, UndecryptableText, new_id
from services.polls.keys import Address, open_address, seal_address, subscription_context

_SCAN: Final = 2000  # seals opened per thread hop


def _matching(
    keys: ConcernKeys, rows: Sequence[tuple[str, bytes]], target: str, enterprise_id: int | None
) -> list[str]:
    """Ids of the rows whose seal opens to ``target`` (CPU: run off the event loop)."""
    found = []
    for row_id, sealed in rows:
        try:
            address = open_address(keys, sealed, subscription_context(row_id))
        except UndecryptableText:
            continue
        if address.target == target and enterprise_id in (None, address.enterprise_id):
            found.append(row_id)
    return found


async def _find(
    session: AsyncSession, keys: ConcernKeys, target: str, enterprise_id: int | None
) -> list[str]:
    statement = select(PollSubscription.id, PollSubscription.reply_sealed).order_by(
        PollSubscription.id
    )
    if enterprise_id is not None:
        statement = statement.where(PollSubscription.enterprise_id == enterprise_id)
    found: list[str] = []
    after = ""
    while True:
        rows = [
            (r[0], r[1])
            for r in (
                await session.execute(statement.where(PollSubscription.id > after).limit(_SCAN))
            ).all()
        ]
        if not rows:
            return found
        found += await asyncio.to_thread(_matching, keys, rows, target, enterprise_id)
        after = rows[-1][0]


async def is_subscribed(
    session: AsyncSession, keys: ConcernKeys, enterprise_id: int, target: str
) -> bool:
    return bool(await _find(session, keys, target, enterprise_id))


async def subscribe(
    session: AsyncSession, keys: ConcernKeys, enterprise_id: int, target: str
) -> bool:
    """Put this chat (``"telegram:123"``) on the enterprise's poll list; False when it is on
    it already. Commits."""
    if await is_subscribed(session, keys, enterprise_id, target):
        return False
    row_id = new_id()
    sealed = seal_address(keys, Address(target, enterprise_id), subscription_context(row_id))
    session.add(PollSubscription(id=row_id, enterprise_id=enterprise_id, reply_sealed=sealed))
    await session.commit()
    return True


async def subscription_of(
    session: AsyncSession, keys: ConcernKeys, subscription_id: str, target: str
) -> int | None:
    """The enterprise of this subscription if it is this chat's own; None otherwise."""
    sealed = await session.scalar(
        select(PollSubscription.reply_sealed).where(PollSubscription.id == subscription_id)
    )
    if sealed is None:
        return None
    try:
        address = open_address(keys, sealed, subscription_context(subscription_id))
    except UndecryptableText:
        return None
    return address.enterprise_id if address.target == target else None


async def unsubscribe(
    session: AsyncSession, keys: ConcernKeys, target: str, subscription_id: str | None = None
) -> int:
    """Take this chat off one poll list (the button under a poll) or every list (/huykhaosat);
    how many subscriptions ended. Their delivery rows go with them. Commits."""
    if subscription_id is not None:
        found = (
            [subscription_id]
            if await subscription_of(session, keys, subscription_id, target) is not None
            else []
        )
    else:
        found = await _find(session, keys, target, None)
    if found:
        await session.execute(delete(PollDelivery).where(PollDelivery.subscription_id.in_(found)))
        await session.execute(delete(PollSubscription).where(PollSubscription.id.in_(found)))
    await session.commit()
    return len(found)


async def drop_subscription(session: AsyncSession, subscription_id: str) -> None:
    """The chat blocked the bot or vanished: forget it, silently. Commits."""
    await session.execute(
        delete(PollDelivery).where(PollDelivery.subscription_id == subscription_id)
    )
    await session.execute(delete(PollSubscription).where(PollSubscription.id == subscription_id))
    await session.commit()
