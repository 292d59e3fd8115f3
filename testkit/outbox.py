"""The outbox of a scratch database, for benchmarks and fault scripts: fill it with reminder-shaped
messages that each carry a unique tag, and count its rows by status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from models import OutboxMessage, utcnow
from models.db import create_engine, make_uow
from services import outbox
from services.outbox import Outgoing


def tagged_reminder(
    key: str, chat_id: int, text: str, unit: int, period: str, not_before: datetime | None = None
) -> Outgoing:
    """A reminder to one chat with the "report now" button for test unit ``unit``."""
    return Outgoing(
        idempotency_key=key,
        kind="reminder",
        person_id=None,
        channel="telegram",
        chat_id=str(chat_id),
        text=text,
        buttons=[[{"text": "📝 Báo cáo ngay", "callback_data": f"rpt:v1:open:{unit}:{period}"}]],
        period=period,
        not_before=not_before,
    )


async def enqueue(url: str, items: list[Outgoing]) -> int:
    """Put ``items`` into the outbox of the database at ``url``; the number of new rows."""
    engine = create_engine(url)
    try:
        async with make_uow(engine)() as session:
            return await outbox.enqueue(session, items, utcnow())
    finally:
        await engine.dispose()


async def outbox_statuses(url: str, **engine_options: Any) -> dict[str, int]:
    """Outbox rows by status (pending, sending, sent, failed ...)."""
    engine = create_engine(url, **engine_options)
    try:
        async with make_uow(engine)() as session:
            rows = await session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            )
            return {str(status.value): int(count) for status, count in rows.all()}
    finally:
        await engine.dispose()
