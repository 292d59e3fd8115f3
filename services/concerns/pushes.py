"""Pushed answers (the scheduler calls these): every answer waits for a delayed batch, never goes
out in the officer's request; the worker's sealed chat id is opened in memory for the batch
only. And the seals' end: deleted once a case is closed, or left long enough after its answer.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from typing import Any, Final

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Concern, ConcernReply, ConcernStatus
from services.anonymity import ConcernKeys, UndecryptableText, decrypt_text, open_chat_id
from services.concerns._shared import _context, _reply_context
from services.concerns.config import ConcernConfig
from services.concerns.views import PushBatch, PushDue, ReplyView

PUSH_BATCH: Final = 200  # answers per batch; the rest wait for the next one


def _waiting_pushes() -> Any:
    return select(ConcernReply.concern_id).where(ConcernReply.push_pending.is_(True))


async def _push_waiting(session: AsyncSession, concern_id: str) -> bool:
    found = await session.scalar(
        _waiting_pushes().where(ConcernReply.concern_id == concern_id).limit(1)
    )
    return found is not None


async def pending_pushes(session: AsyncSession, *, limit: int = PUSH_BATCH) -> list[str]:
    """Ids of answers waiting for the push batch: every answer, pushed or not (``reply``). The
    batch takes these, waits, then delivers them (``take_pushes``). Reads only."""
    rows = await session.scalars(
        select(ConcernReply.id)
        .where(ConcernReply.push_pending.is_(True))
        .order_by(ConcernReply.concern_id, ConcernReply.number)
        .limit(limit)
    )
    return list(rows)


async def take_pushes(
    session: AsyncSession, keys: ConcernKeys, reply_ids: Collection[str]
) -> PushBatch:
    """Of these answers, those still waiting: the ones to deliver, their seals opened (in
    memory), in case and answer order. The rest are settled here: answers nobody asked to
    receive, and answers whose seal does not open (counted in ``unopened``). Call
    ``push_done`` for each one delivered. Commits."""
    due: list[PushDue] = []
    settled: list[str] = []
    unopened = 0
    chunk = list(reply_ids)
    for start in range(0, len(chunk), 500):
        rows = (
            await session.execute(
                select(ConcernReply, Concern.case_code, Concern.push_sealed)
                .join(Concern, Concern.id == ConcernReply.concern_id)
                .where(
                    ConcernReply.id.in_(chunk[start : start + 500]),
                    ConcernReply.push_pending.is_(True),
                )
                .order_by(ConcernReply.concern_id, ConcernReply.number)
            )
        ).all()
        for row, case_code, sealed in rows:
            if sealed is None:
                settled.append(row.id)
                continue
            try:
                target = open_chat_id(keys, sealed, _context(row.concern_id))
                text = decrypt_text(
                    keys,
                    row.body_encrypted,
                    _reply_context(row.id),
                    owner=_context(row.concern_id),
                )
            except UndecryptableText:
                settled.append(row.id)
                unopened += 1
                continue
            view = ReplyView(row.number, row.created_on, row.signed_as, text)
            due.append(PushDue(row.id, case_code, view, target))
    for start in range(0, len(settled), 500):
        await session.execute(
            update(ConcernReply)
            .where(ConcernReply.id.in_(settled[start : start + 500]))
            .values(push_pending=False)
        )
    await session.commit()
    return PushBatch(tuple(due), unopened)


async def push_done(session: AsyncSession, reply_id: str) -> None:
    """This answer was delivered, or dropped for good: the batch will not take it again.
    Commits."""
    await session.execute(
        update(ConcernReply).where(ConcernReply.id == reply_id).values(push_pending=False)
    )
    await session.commit()


async def forget_closed_seals(session: AsyncSession) -> int:
    """Delete the seals of closed cases whose last answers have been pushed (closing keeps the
    seal while an answer still waits for the batch). Commits."""
    result = await session.execute(
        update(Concern)
        .where(
            Concern.push_sealed.is_not(None),
            Concern.status == ConcernStatus.CLOSED,
            Concern.id.not_in(_waiting_pushes()),
        )
        .values(push_sealed=None)
    )
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def expire_push_seals(session: AsyncSession, today: date, *, config: ConcernConfig) -> int:
    """Delete the seals of answered cases left ``push_seal_days`` without a new answer or
    status change (and of closed cases, as ``forget_closed_seals``); the number deleted.

    A case never answered keeps its seal: the answer the worker asked for is still owed (and
    the case passes to the zone union after ``escalate_after_days``). An answer still waiting
    for the batch keeps it until it is delivered. Commits."""
    cutoff = today - timedelta(days=config.push_seal_days)
    result = await session.execute(
        update(Concern)
        .where(
            Concern.push_sealed.is_not(None),
            or_(
                Concern.status == ConcernStatus.CLOSED,
                and_(Concern.answered_on.is_not(None), Concern.status_changed_on <= cutoff),
            ),
            Concern.id.not_in(_waiting_pushes()),
        )
        .values(push_sealed=None)
    )
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
