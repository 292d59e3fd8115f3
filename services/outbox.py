"""Outbox operations: enqueue idempotently, claim a batch, record what happened."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models import OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Outgoing:
    idempotency_key: str
    kind: str
    person_id: int | None
    channel: str
    chat_id: str
    text: str
    buttons: list[list[dict[str, Any]]] | None = None
    reporting_unit_id: int | None = None
    period: str | None = None
    org_node_id: int | None = None
    not_before: datetime | None = None


async def enqueue(session: AsyncSession, items: Sequence[Outgoing], now: datetime) -> int:
    """Insert what is not there yet (by idempotency key); the number of new rows. Commits."""
    if not items:
        return 0
    rows = [
        {
            "idempotency_key": item.idempotency_key,
            "kind": item.kind,
            "person_id": item.person_id,
            "channel": item.channel,
            "chat_id": item.chat_id,
            "text": item.text,
            "buttons": item.buttons,
            "reporting_unit_id": item.reporting_unit_id,
            "period": item.period,
            "org_node_id": item.org_node_id,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "not_before": item.not_before or now,
            "created_at": now,
        }
        for item in items
    ]
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    added = 0
    for start in range(0, len(rows), 500):
        statement = insert(OutboxMessage).values(rows[start : start + 500])
        statement = statement.on_conflict_do_nothing(index_elements=["idempotency_key"])
        result = await session.execute(statement.returning(OutboxMessage.id))
        added += len(result.all())
    await session.commit()
    return added


async def recover(session: AsyncSession) -> int:
    """After a crash: rows claimed but not marked sent go back to pending (they may have been
    sent: at most the batch in flight is sent twice; none is lost). Commits."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.PENDING)
        .returning(OutboxMessage.id)
    )
    count = len(result.all())
    await session.commit()
    return count


async def claim(session: AsyncSession, now: datetime, limit: int) -> list[OutboxMessage]:
    """The next due messages, oldest first, marked as being sent. Commits."""
    rows = list(
        await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now)
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        row.status = OutboxStatus.SENDING
        row.attempts += 1
    await session.commit()
    return rows


async def mark(
    session: AsyncSession,
    message_id: int,
    status: OutboxStatus,
    now: datetime,
    *,
    error: str | None = None,
    retry_in: timedelta | None = None,
) -> None:
    """Record the outcome; ``retry_in`` puts it back to pending for later. Commits."""
    row = await session.get(OutboxMessage, message_id)
    if row is None:
        return
    if retry_in is not None:
        row.status = OutboxStatus.PENDING
        row.not_before = now + retry_in
    else:
        row.status = status
    if status is OutboxStatus.SENT:
        row.sent_at = now
    row.last_error = error[:200] if error else None
    await session.commit()


async def backlog(session: AsyncSession, now: datetime) -> int:
    from sqlalchemy import func

    count = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now)
    )
    return int(count or 0)
