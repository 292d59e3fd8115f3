"""The officers' inbox: the cases of the enterprises and zones whose union they serve, once a
notice batch has released them (``inbox``), and one case as the inbox shows it (``get_case``),
permission checked from the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import OPEN_STATUSES, Concern, ConcernStatus
from services.anonymity import ConcernKeys
from services.concerns._shared import (
    _case_owner,
    _context,
    _names,
    _officer_case,
    _readable,
    _replies,
    _union_names,
    _Unions,
    _unions_of,
)
from services.concerns.config import ConcernConfig
from services.concerns.views import InboxCase


def _overdue(concern: Concern, today: date, config: ConcernConfig) -> bool:
    waiting = concern.status in OPEN_STATUSES and (
        (today - concern.created_on).days >= config.escalate_after_days
    )
    return concern.overdue or waiting


async def _inbox_cases(
    session: AsyncSession,
    concerns: Sequence[Concern],
    unions: _Unions,
    today: date,
    keys: ConcernKeys,
    config: ConcernConfig,
) -> list[InboxCase]:
    names = await _names(session, {c.enterprise_id for c in concerns})
    zones = await _union_names(
        session, {c.escalated_to_node_id for c in concerns if c.escalated_to_node_id is not None}
    )
    replies = await _replies(session, [c.id for c in concerns], keys)
    return [
        InboxCase(
            concern_id=c.id,
            case_code=c.case_code,
            enterprise_id=c.enterprise_id,
            enterprise_name=names.get(c.enterprise_id, ""),
            category=c.category,
            status=c.status,
            created_on=c.created_on,
            status_changed_on=c.status_changed_on,
            text=_readable(keys, c.text_encrypted, _context(c.id), _case_owner(c.enterprise_id)),
            replies=replies.get(c.id, ()),
            overdue=_overdue(c, today, config),
            escalated_to=(
                None if c.escalated_to_node_id is None else zones.get(c.escalated_to_node_id)
            ),
            as_zone=c.enterprise_id not in unions.enterprises,
        )
        for c in concerns
    ]


async def inbox(
    session: AsyncSession,
    person_id: int,
    today: date,
    *,
    keys: ConcernKeys,
    config: ConcernConfig,
    include_closed: bool = False,
) -> list[InboxCase]:
    """Cases of the enterprises whose trade union this person serves, and cases escalated to
    the zones whose zone union they serve; oldest first (by date, then the random case code,
    so the order within a day says nothing)."""
    unions = await _unions_of(session, person_id)
    scope = []
    if unions.enterprises:
        scope.append(Concern.enterprise_id.in_(unions.enterprises))
    if unions.zones:
        scope.append(Concern.escalated_to_node_id.in_(unions.zones))
    if not scope:
        return []
    # Only cases a batch has released (``notified``): seeing one the moment it arrives would
    # tell an officer who was on their phone at that minute.
    statement = (
        select(Concern)
        .where(or_(*scope), Concern.notified.is_(True))
        .order_by(Concern.created_on, Concern.case_code)
    )
    if not include_closed:
        statement = statement.where(Concern.status != ConcernStatus.CLOSED)
    concerns = (await session.scalars(statement)).all()
    return await _inbox_cases(session, concerns, unions, today, keys, config)


async def get_case(
    session: AsyncSession,
    person_id: int,
    concern_id: str,
    today: date,
    *,
    keys: ConcernKeys,
    config: ConcernConfig,
) -> InboxCase:
    """One case as the inbox shows it, checked like every officer action."""
    concern, unions, _ = await _officer_case(session, person_id, concern_id)
    (view,) = await _inbox_cases(session, [concern], unions, today, keys, config)
    return view
