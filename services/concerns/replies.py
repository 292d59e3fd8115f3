"""An officer answers a case in the union's name, or sets its status by hand. An answer waits for
the pushed-answers batch (services/concerns/pushes.py) whether or not the worker asked for
pushes, so the officer's request does the same work either way.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ConcernReply, ConcernStatus
from services import audit
from services.anonymity import ConcernKeys, encrypt_text, new_id
from services.concerns._shared import _context, _officer_case, _reply_context
from services.concerns.config import ConcernConfig
from services.concerns.errors import CaseClosed, StatusNotSettable
from services.concerns.pushes import _push_waiting
from services.concerns.texts import clean_text
from services.concerns.views import ReplyResult, ReplyView

# Statuses an officer sets by hand; "escalated" goes through escalate(), "received" is never set.
SETTABLE_STATUSES: Final = (ConcernStatus.IN_PROGRESS, ConcernStatus.ANSWERED, ConcernStatus.CLOSED)


async def reply(
    session: AsyncSession,
    person_id: int,
    concern_id: str,
    text: str,
    today: date,
    *,
    keys: ConcernKeys,
    config: ConcernConfig,
) -> ReplyResult:
    """Answer a case in the name of the union (never the person); status → answered. The answer
    waits for the pushed-answers batch (``take_pushes``) whether or not the worker asked for
    pushes: this request does the same work either way. Commits."""
    concern, _, signed_as = await _officer_case(session, person_id, concern_id, lock=True)
    if concern.status is ConcernStatus.CLOSED:
        raise CaseClosed()
    body = clean_text(text, limit=config.max_text_length)
    last = await session.scalar(
        select(func.max(ConcernReply.number)).where(ConcernReply.concern_id == concern.id)
    )
    reply_id = new_id()
    number = (last or 0) + 1
    session.add(
        ConcernReply(
            id=reply_id,
            concern_id=concern.id,
            number=number,
            created_on=today,
            body_encrypted=encrypt_text(
                keys, body, _reply_context(reply_id), owner=_context(concern.id)
            ),
            signed_as=signed_as,
            officer_person_id=person_id,
            push_pending=True,
        )
    )
    concern.status = ConcernStatus.ANSWERED
    concern.status_changed_on = today
    concern.answered_on = concern.answered_on or today
    audit.record(
        session,
        actor=f"person:{person_id}",
        action="concern.reply",
        entity="concern",
        entity_id=concern.id,
        number=number,
    )
    result = ReplyResult(
        concern_id=concern.id,
        case_code=concern.case_code,
        reply=ReplyView(number=number, created_on=today, signed_as=signed_as, text=body),
    )
    await session.commit()
    return result


async def set_status(
    session: AsyncSession, person_id: int, concern_id: str, status: ConcernStatus, today: date
) -> ConcernStatus:
    """Mark a case in progress, answered or closed. Closing deletes the push seal (nothing links
    the case to a chat any more) unless an answer still waits for the push batch: the batch
    deletes it after delivering (``forget_closed_seals``). Commits."""
    if status not in SETTABLE_STATUSES:
        raise StatusNotSettable()
    concern, _, _ = await _officer_case(session, person_id, concern_id, lock=True)
    if concern.status is ConcernStatus.CLOSED:
        raise CaseClosed()
    if concern.status is not status:
        audit.record(
            session,
            actor=f"person:{person_id}",
            action="concern.status",
            entity="concern",
            entity_id=concern.id,
            old=concern.status.value,
            new=status.value,
        )
        concern.status = status
        concern.status_changed_on = today
        if status is ConcernStatus.ANSWERED:
            concern.answered_on = concern.answered_on or today
    # Asked whatever the case holds: the officer's request costs the same either way.
    if status is ConcernStatus.CLOSED and not await _push_waiting(session, concern.id):
        concern.push_sealed = None
    await session.commit()
    return concern.status
