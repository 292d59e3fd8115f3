"""Passing a case on to the zone union above its enterprise: by an officer of the enterprise's
union (asked first, it cannot be taken back), or by itself when it is left open too long (the
scheduler's job).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import OPEN_STATUSES, Concern, ConcernStatus, OrgNode
from services import audit
from services.concerns._shared import _officer_case, _union_names, _zone_of
from services.concerns.config import ConcernConfig
from services.concerns.errors import AlreadyEscalated, CaseClosed, NotCaseOfficer, NoZoneAbove
from services.concerns.views import Escalation


def _escalate_to(concern: Concern, zone: OrgNode, today: date) -> None:
    concern.status = ConcernStatus.ESCALATED
    concern.status_changed_on = today
    concern.escalated_on = today
    concern.escalated_to_node_id = zone.id
    concern.notified = False  # the zone's officers hear of it in the next batch


async def _escalation(
    session: AsyncSession, person_id: int, concern_id: str, *, lock: bool
) -> tuple[Concern, OrgNode]:
    """The case and the zone it would pass to, if this officer may pass it on now."""
    concern, unions, _ = await _officer_case(session, person_id, concern_id, lock=lock)
    if concern.enterprise_id not in unions.enterprises:
        raise NotCaseOfficer()  # a zone officer already has it
    if concern.status is ConcernStatus.CLOSED:
        raise CaseClosed()
    if concern.escalated_to_node_id is not None:
        names = await _union_names(session, [concern.escalated_to_node_id])
        raise AlreadyEscalated(zone=names.get(concern.escalated_to_node_id, "?"))
    zone = await _zone_of(session, concern.enterprise_id)
    if zone is None:
        raise NoZoneAbove()
    return concern, zone


async def escalation_target(session: AsyncSession, person_id: int, concern_id: str) -> Escalation:
    """What passing the case on would do (case code, zone), asked before it is done: it cannot
    be taken back. Reads only."""
    concern, zone = await _escalation(session, person_id, concern_id, lock=False)
    union = (await _union_names(session, [zone.id])).get(zone.id, zone.name)
    return Escalation(concern.id, concern.case_code, concern.enterprise_id, zone.id, union)


async def escalate(
    session: AsyncSession, person_id: int, concern_id: str, today: date
) -> Escalation:
    """Pass a case to the zone union above its enterprise. Commits."""
    concern, zone = await _escalation(session, person_id, concern_id, lock=True)
    _escalate_to(concern, zone, today)
    audit.record(
        session,
        actor=f"person:{person_id}",
        action="concern.escalate",
        entity="concern",
        entity_id=concern.id,
        zone=zone.code,
    )
    union = (await _union_names(session, [zone.id])).get(zone.id, zone.name)
    result = Escalation(concern.id, concern.case_code, concern.enterprise_id, zone.id, union)
    await session.commit()
    return result


async def escalate_overdue(
    session: AsyncSession, today: date, *, config: ConcernConfig
) -> list[Escalation]:
    """Cases still received or in progress ``escalate_after_days`` after they were sent go to
    the zone union by themselves and count as overdue. Commits."""
    cutoff = today - timedelta(days=config.escalate_after_days)
    concerns = (
        await session.scalars(
            select(Concern)
            .where(
                Concern.status.in_(OPEN_STATUSES),
                Concern.created_on <= cutoff,
                Concern.escalated_to_node_id.is_(None),  # once is enough; the zone has it
            )
            .order_by(Concern.id)
            .with_for_update()
        )
    ).all()
    zones: dict[int, OrgNode | None] = {}
    unions: dict[int, str] = {}
    done: list[Escalation] = []
    for concern in concerns:
        if concern.enterprise_id not in zones:
            zones[concern.enterprise_id] = await _zone_of(session, concern.enterprise_id)
        zone = zones[concern.enterprise_id]
        if zone is None:
            continue  # an enterprise outside any zone stays with its union, still overdue
        _escalate_to(concern, zone, today)
        concern.overdue = True
        audit.record(
            session,
            actor="system",
            action="concern.escalate_overdue",
            entity="concern",
            entity_id=concern.id,
            zone=zone.code,
        )
        if zone.id not in unions:
            unions.update(await _union_names(session, [zone.id]))
        done.append(
            Escalation(
                concern.id,
                concern.case_code,
                concern.enterprise_id,
                zone.id,
                unions.get(zone.id, zone.name),
            )
        )
    await session.commit()
    return done
