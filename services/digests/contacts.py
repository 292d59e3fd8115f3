"""Who to call about a missing report: the registered officers of every unit of the subtree and
the apps the bot reaches them on (their chosen one first), in two queries whatever the number of
units. The bot stores no phone numbers.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ChannelAccount, OrgNode, Person, ReportingUnit, Role, RoleAssignment
from services.digests.views import Contact


async def _officers(session: AsyncSession, scope_path: str) -> dict[int, tuple[Contact, ...]]:
    """The registered officers of every active unit of the subtree, by unit id: one query for
    the roles and one for the accounts, whatever the number of units."""
    rows = (
        await session.execute(
            select(RoleAssignment.reporting_unit_id, Person.id, Person.display_name)
            .join(Person, Person.id == RoleAssignment.person_id)
            .join(ReportingUnit, ReportingUnit.id == RoleAssignment.reporting_unit_id)
            .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
            .where(
                RoleAssignment.role == Role.OFFICER,
                RoleAssignment.revoked_at.is_(None),
                Person.revoked_at.is_(None),
                ReportingUnit.active.is_(True),
                OrgNode.path.startswith(scope_path, autoescape=True),
            )
            .order_by(RoleAssignment.reporting_unit_id, Person.display_name, Person.id)
        )
    ).all()
    if not rows:
        return {}
    channels: dict[int, list[str]] = defaultdict(list)
    accounts = await session.execute(
        select(ChannelAccount.person_id, ChannelAccount.channel, Person.preferred_channel)
        .join(Person, Person.id == ChannelAccount.person_id)
        .where(ChannelAccount.person_id.in_(sorted({row.id for row in rows})))
        .order_by(ChannelAccount.person_id, ChannelAccount.id)
    )
    for person_id, channel, preferred in accounts:
        known = channels[person_id]
        if channel in known:
            continue
        # The app they chose for reminders (/kenh) is where they read first.
        known.insert(0, channel) if channel == preferred else known.append(channel)
    by_unit: dict[int, list[Contact]] = defaultdict(list)
    for unit_id, person_id, name in rows:
        by_unit[unit_id].append(Contact(name, tuple(channels.get(person_id, ()))))
    return {unit_id: tuple(contacts) for unit_id, contacts in by_unit.items()}
