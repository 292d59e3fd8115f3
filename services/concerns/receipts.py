"""The worker follows up with their receipt: a case's status and the union's answers
(``lookup``), and opting in or out of pushed answers (``set_push``). Every check of a receipt
counts against the day's limit, found or not.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Concern, ConcernStatus, LimitPurpose, OrgNode
from services.anonymity import (
    ConcernKeys,
    hash_receipt,
    normalize_receipt,
    same_secret,
    seal_chat_id,
)
from services.concerns._shared import _context, _replies, _union_names
from services.concerns.config import ConcernConfig
from services.concerns.errors import (
    CaseClosed,
    ReceiptMalformed,
    ReceiptNotRecognised,
    TooManyAttempts,
)
from services.concerns.limits import _take
from services.concerns.views import CaseStatus


async def _by_receipt(
    session: AsyncSession,
    receipt_text: str,
    subject: str,
    keys: ConcernKeys,
    today: date,
    config: ConcernConfig,
) -> Concern:
    receipt = normalize_receipt(receipt_text)
    if receipt is None:
        raise ReceiptMalformed()
    # Every check counts, whatever it finds: each costs a slow hash, so a valid receipt checked
    # over and over must be capped as well as guessing is. Reserved before hashing: parallel
    # checks cannot overshoot the limit, and over it nothing is hashed or looked up at all.
    taken = await _take(
        session, LimitPurpose.RECEIPT_ATTEMPTS, subject, today, config.receipt_attempts_per_day
    )
    if not taken:
        await session.rollback()
        raise TooManyAttempts(limit=config.receipt_attempts_per_day)
    await session.commit()
    hashed = await hash_receipt(keys, receipt)
    concern = await session.scalar(select(Concern).where(Concern.receipt_hash == hashed))
    if concern is None or not same_secret(concern.receipt_hash, hashed):
        raise ReceiptNotRecognised()
    return concern


async def lookup(
    session: AsyncSession,
    receipt_text: str,
    subject: str,
    keys: ConcernKeys,
    today: date,
    *,
    config: ConcernConfig,
) -> CaseStatus:
    """A case's status and the union's replies, for whoever holds its receipt.

    A wrong and a nonexistent receipt get the same ReceiptNotRecognised. Every well-formed
    check, found or not, counts against ``receipt_attempts_per_day`` for the subject; past it,
    TooManyAttempts before any hashing.
    """
    concern = await _by_receipt(session, receipt_text, subject, keys, today, config)
    enterprise_name = await session.scalar(
        select(OrgNode.name).where(OrgNode.id == concern.enterprise_id)
    )
    replies = await _replies(session, [concern.id], keys)
    zone = concern.escalated_to_node_id
    escalated_to = None if zone is None else (await _union_names(session, [zone])).get(zone)
    return CaseStatus(
        case_code=concern.case_code,
        enterprise_name=enterprise_name or "",
        category=concern.category,
        status=concern.status,
        created_on=concern.created_on,
        status_changed_on=concern.status_changed_on,
        replies=replies.get(concern.id, ()),
        push=concern.push_sealed is not None,
        escalated_to=escalated_to,
    )


async def set_push(
    session: AsyncSession,
    receipt_text: str,
    chat_id: str | None,
    *,
    subject: str,
    keys: ConcernKeys,
    today: date,
    config: ConcernConfig,
) -> bool:
    """Opt in (a chat id) or out (None) of pushed replies for the receipt's case. The receipt is
    checked like ``lookup``. Returns whether replies are now pushed. Commits."""
    concern = await _by_receipt(session, receipt_text, subject, keys, today, config)
    if chat_id is not None and concern.status is ConcernStatus.CLOSED:
        raise CaseClosed()
    concern.push_sealed = (
        None if chat_id is None else seal_chat_id(keys, chat_id, _context(concern.id))
    )
    await session.commit()
    return chat_id is not None
