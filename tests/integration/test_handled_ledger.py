"""The ids of updates handled above the polling offset survive a restart, on both databases,
and are gone once Telegram has been told."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.telegram_polling import HandledLedger
from models import HandledUpdate
from models.db import UnitOfWork


async def test_kept_ids_are_found_by_the_next_process_and_forgotten_below_the_offset(
    uow: UnitOfWork, session: AsyncSession
) -> None:
    before_kill = HandledLedger(uow, "telegram")
    await before_kill.load()
    # Finished together: one write records them all.
    await asyncio.gather(*(before_kill.keep(i) for i in (900_000_011, 900_000_012, 900_000_015)))
    await HandledLedger(uow, "zalo").keep(900_000_011)  # another channel's numbering

    after_restart = HandledLedger(uow, "telegram")
    assert await after_restart.load() == {900_000_011, 900_000_012, 900_000_015}
    after_restart.forget_below(900_000_013)
    await after_restart.settled()
    rows = (await session.execute(select(HandledUpdate.channel, HandledUpdate.update_id))).all()
    assert sorted(rows) == [("telegram", 900_000_015), ("zalo", 900_000_011)]
    # Nothing but the channel and Telegram's running number is stored.
    assert set(HandledUpdate.__table__.columns.keys()) == {"channel", "update_id"}
