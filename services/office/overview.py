"""The console's overview: how many of each thing there are, at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry, Invite, OrgNode, Person, ReportingUnit


@dataclass(frozen=True)
class Counts:
    nodes: int
    units: int
    people: int
    revoked: int
    open_invites: int
    audit_entries: int


async def counts(session: AsyncSession, *, now: datetime) -> Counts:
    async def count(query: object) -> int:
        return int(await session.scalar(query) or 0)  # type: ignore[call-overload]

    return Counts(
        nodes=await count(select(func.count()).select_from(OrgNode).where(OrgNode.active)),
        units=await count(
            select(func.count()).select_from(ReportingUnit).where(ReportingUnit.active)
        ),
        people=await count(
            select(func.count()).select_from(Person).where(Person.revoked_at.is_(None))
        ),
        revoked=await count(
            select(func.count()).select_from(Person).where(Person.revoked_at.is_not(None))
        ),
        open_invites=await count(
            select(func.count())
            .select_from(Invite)
            .where(Invite.used_at.is_(None), Invite.revoked_at.is_(None), Invite.expires_at > now)
        ),
        audit_entries=await count(select(func.count()).select_from(AuditEntry)),
    )
