"""An administrator reopens a unit's month after its lock day (the admin CLI).

Apart from the officers' use cases: it is asked by the office, not by an officer, and tells the
caller whom to notify.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Person, ReportingUnit, ReportUnlock, Role, RoleAssignment
from services import audit
from services.errors import NotFound
from services.periods import Period
from services.reporting.views import Unlocked


async def unlock(
    session: AsyncSession, *, unit_code: str, period: Period, until: datetime, actor: str
) -> Unlocked:
    """An administrator reopens a period after its lock day (admin CLI)."""
    unit = await session.scalar(select(ReportingUnit).where(ReportingUnit.code == unit_code))
    if unit is None:
        raise NotFound()
    row = await session.scalar(
        select(ReportUnlock).where(
            ReportUnlock.reporting_unit_id == unit.id, ReportUnlock.period == period.key
        )
    )
    if row is None:
        session.add(
            ReportUnlock(
                reporting_unit_id=unit.id, period=period.key, until=until, unlocked_by=actor
            )
        )
    else:
        row.until, row.unlocked_by = until, actor
    audit.record(
        session,
        actor=actor,
        action="report.unlock",
        entity="reporting_unit",
        entity_id=unit.id,
        period=period.key,
        until=until.isoformat(),
    )
    await session.commit()
    officers = await session.scalars(
        select(RoleAssignment.person_id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(
            RoleAssignment.reporting_unit_id == unit.id,
            RoleAssignment.role == Role.OFFICER,
            RoleAssignment.revoked_at.is_(None),
            Person.revoked_at.is_(None),
        )
        .order_by(RoleAssignment.person_id)
    )
    return Unlocked(unit.id, unit.name, period, until, list(dict.fromkeys(officers)))
