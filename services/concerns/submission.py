"""The worker raises a concern: finding the enterprise from a poster's code as people type it,
the daily limit, and storing the case (encrypted text, slow-hashed receipt, dates only) with
its public case code and the receipt shown once.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Concern, ConcernStatus, LimitPurpose, NodeKind, OrgNode
from services.anonymity import (
    ConcernKeys,
    display_receipt,
    encrypt_text,
    hash_receipt,
    new_case_code,
    new_id,
    new_receipt,
    seal_chat_id,
)
from services.concerns._shared import _case_owner, _context, _trade_union, _union_names, _zone_of
from services.concerns.config import ConcernConfig
from services.concerns.errors import EnterpriseNotFound, TooManyConcerns, UnknownCategory
from services.concerns.limits import _take, _used
from services.concerns.texts import clean_text
from services.concerns.views import EnterpriseView, Submission


async def _enterprise(session: AsyncSession, enterprise_id: int) -> OrgNode:
    node = await session.get(OrgNode, enterprise_id)
    if node is None or node.kind is not NodeKind.ENTERPRISE or not node.active:
        raise EnterpriseNotFound()
    return node


# What people put between the parts of a code: spaces, hyphens and dashes, dots, underscores.
_CODE_SEPARATORS: Final = re.compile(r"[\s\-\u2010-\u2015\u2212._]+")
_SQL_SEPARATORS: Final = (" ", "-", ".", "_")


def compact_code(text: str) -> str:
    """ "dn dt 01", "Dn – dt-01", "ＤＮ－ＤＴ－０１" → "DNDT01": a code as people type it."""
    return _CODE_SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


def _compact_column(column: Any) -> Any:
    for separator in _SQL_SEPARATORS:
        column = func.replace(column, separator, "")
    return func.upper(column)


async def enterprise_by_code(
    session: AsyncSession, code: str, *, config: ConcernConfig
) -> EnterpriseView:
    """The enterprise of a deep link (``c_<code>``) or a typed code, as people type it: any
    letter case, spaces or dashes between the parts or none (``dn dt 01`` is ``DN-DT-01``)."""
    wanted = unicodedata.normalize("NFKC", code).strip().upper()
    compact = compact_code(wanted)
    enterprises = (OrgNode.kind == NodeKind.ENTERPRISE, OrgNode.active.is_(True))
    node = None
    if 0 < len(wanted) <= 64 and compact:
        node = await session.scalar(
            select(OrgNode).where(func.upper(OrgNode.code) == wanted, *enterprises)
        )
        if node is None:
            # Two codes that differ only by their separators would be ambiguous: neither.
            found = (
                await session.scalars(
                    select(OrgNode)
                    .where(_compact_column(OrgNode.code) == compact, *enterprises)
                    .limit(2)
                )
            ).all()
            node = found[0] if len(found) == 1 else None
    if node is None:
        raise EnterpriseNotFound()
    union = await _trade_union(session, node.id)
    zone_union = None
    if union is None:
        zone = await _zone_of(session, node.id)
        if zone is not None:
            zone_union = (await _union_names(session, [zone.id])).get(zone.id)
    return EnterpriseView(
        enterprise_id=node.id,
        code=node.code,
        name=node.name,
        worker_count=node.worker_count,
        small=node.worker_count is None or node.worker_count < config.small_enterprise_workers,
        union_name=union.name if union else None,
        zone_union_name=zone_union,
    )


async def ensure_can_submit(
    session: AsyncSession, subject: str, today: date, *, config: ConcernConfig
) -> None:
    """TooManyConcerns when this subject has sent its concerns for today: said when a worker
    starts, not after they wrote the whole text. Reads only; submit_concern checks again."""
    limit = config.concerns_per_day
    if await _used(session, LimitPurpose.CONCERNS, subject, today, limit) >= limit:
        raise TooManyConcerns(limit=config.concerns_per_day)


async def _unused(session: AsyncSession, column: Any, value: str) -> bool:
    count = await session.scalar(select(func.count()).select_from(Concern).where(column == value))
    return count == 0


async def submit_concern(
    session: AsyncSession,
    *,
    enterprise_id: int,
    category: str,
    text: str,
    subject: str,
    keys: ConcernKeys,
    today: date,
    push_chat_id: str | None = None,
    config: ConcernConfig,
) -> Submission:
    """Store a concern; return its public case code and the secret receipt (shown once).

    At most ``concerns_per_day`` per subject and day (TooManyConcerns). An enterprise without a
    trade union sends the case straight to its zone union. Commits.
    """
    if config.category(category) is None:
        raise UnknownCategory()
    body = clean_text(text, limit=config.max_text_length)
    enterprise = await _enterprise(session, enterprise_id)
    await ensure_can_submit(session, subject, today, config=config)  # before any slow hashing
    zone = None
    if await _trade_union(session, enterprise.id) is None:
        zone = await _zone_of(session, enterprise.id)
    # The slow hash comes before the first write: no lock is held while it runs.
    while True:  # a clash is one in 10**12; checked rather than left to the unique index
        receipt = new_receipt()
        hashed = await hash_receipt(keys, receipt)
        if await _unused(session, Concern.receipt_hash, hashed):
            break
    case_code = new_case_code()
    while not await _unused(session, Concern.case_code, case_code):
        case_code = new_case_code()
    # The use's row is the arbiter (its primary key): parallel submissions cannot overshoot.
    if not await _take(session, LimitPurpose.CONCERNS, subject, today, config.concerns_per_day):
        await session.rollback()
        raise TooManyConcerns(limit=config.concerns_per_day)
    # Committed on its own: written in the concern's transaction, the use's row (whose hash a
    # holder of APP_SECRET can compute) would carry the same PostgreSQL transaction id as the
    # case. A failure below costs the worker one of the day's submissions, never a lost limit.
    await session.commit()
    concern_id = new_id()
    session.add(
        Concern(
            id=concern_id,
            case_code=case_code,
            receipt_hash=hashed,
            enterprise_id=enterprise.id,
            category=category,
            status=ConcernStatus.RECEIVED if zone is None else ConcernStatus.ESCALATED,
            created_on=today,
            status_changed_on=today,
            escalated_on=None if zone is None else today,
            escalated_to_node_id=None if zone is None else zone.id,
            text_encrypted=encrypt_text(
                keys, body, _context(concern_id), owner=_case_owner(enterprise.id)
            ),
            push_sealed=(
                None
                if push_chat_id is None
                else seal_chat_id(keys, push_chat_id, _context(concern_id))
            ),
            notified=False,
            released=False,  # the next notice batch releases it (``_release``)
        )
    )
    # No audit entry: its timestamp would be the exact time of the concern.
    await session.commit()
    return Submission(case_code=case_code, receipt=display_receipt(receipt))
