"""The audit log as the console shows it: newest first, a page at a time, filtered by who acted
and by what they did. Actors are stored as "person:<id>", "cli:<os user>" or "system"; a person
is shown by name (looked up now, so a renamed person shows their current name)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry, Person
from services.errors import N_

PER_PAGE = 50

# What each action is called in the console; an action not named here shows as stored.
ACTIONS = {
    "org.import": N_("Organisation imported"),
    "org.edit": N_("Organisation edited"),
    "invite.create": N_("Invite created"),
    "invite.revoke": N_("Invite cancelled"),
    "invite.accept": N_("Invite accepted"),
    "person.revoke": N_("Access revoked"),
    "person.reinstate": N_("Access reinstated"),
    "office.link": N_("Office console link issued"),
    "report.unlock": N_("Report month reopened"),
    "report.takeover": N_("Report draft taken over"),
    "link.issue": N_("Account link code issued"),
    "account.link": N_("Accounts linked"),
    "person.preferred_channel": N_("Preferred app chosen"),
    "concern.reply": N_("Concern answered"),
    "concern.status": N_("Concern status changed"),
    "concern.escalate": N_("Concern passed on"),
    "concern.escalate_overdue": N_("Overdue concern passed on"),
    "demo.seed": N_("Demo data added"),
    "config.edit": N_("Indicators or targets edited"),
    "poll.create": N_("Workers' poll set"),
}


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str
    actor_name: str | None  # a person's name; None for the CLI or the system
    action: str
    entity: str
    entity_id: str | None
    details: str


@dataclass(frozen=True)
class AuditPage:
    entries: list[Entry]
    page: int
    has_next: bool
    actors: list[tuple[str, str | None]]  # every actor in the log, with a person's name
    actions: list[str]  # every action in the log


def _person_id(actor: str) -> int | None:
    kind, _, rest = actor.partition(":")
    return int(rest) if kind == "person" and rest.isdigit() else None


def _details(details: dict[str, object] | None) -> str:
    if not details:
        return ""
    return "; ".join(
        f"{key}: {value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
        for key, value in details.items()
        if value is not None
    )


async def audit_page(
    session: AsyncSession,
    *,
    actor: str | None = None,
    action: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> AuditPage:
    page = max(page, 1)
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    rows = list(await session.scalars(query.offset((page - 1) * per_page).limit(per_page + 1)))
    actors = [a for a in await session.scalars(select(AuditEntry.actor).distinct())]
    actions = sorted(await session.scalars(select(AuditEntry.action).distinct()))
    ids = {pid for a in actors if (pid := _person_id(a)) is not None}
    names = (
        dict(
            (
                await session.execute(
                    select(Person.id, Person.display_name).where(Person.id.in_(ids))
                )
            )
            .tuples()
            .all()
        )
        if ids
        else {}
    )

    def name_of(who: str) -> str | None:
        pid = _person_id(who)
        return None if pid is None else names.get(pid)

    entries = [
        Entry(
            row.id,
            row.at,
            row.actor,
            name_of(row.actor),
            row.action,
            row.entity,
            row.entity_id,
            _details(row.details),
        )
        for row in rows[:per_page]
    ]
    return AuditPage(
        entries=entries,
        page=page,
        has_next=len(rows) > per_page,
        actors=sorted(((a, name_of(a)) for a in actors), key=lambda pair: pair[1] or pair[0]),
        actions=actions,
    )


async def audit_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)
