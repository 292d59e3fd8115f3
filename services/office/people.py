"""People, roles and invites as the console shows them, and the changes it makes to them: revoke
a person (services/access.py), invites one by one or in a batch (services/invites.py, one
transaction for a batch), cancel an invite. Every change is in the audit log with who made it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    ChannelAccount,
    Invite,
    NodeKind,
    OrgNode,
    Person,
    ReportingUnit,
    Role,
    RoleAssignment,
    UnitKind,
)
from services import access, invites, web_auth
from services.access import RoleView
from services.errors import N_, DomainError, NotFound
from services.office.login import actor_of

PER_PAGE = 50
BATCH_MAX = 300  # one printed sheet; more is a second batch

ROLE_NAMES = {
    Role.OFFICER: N_("Officer"),
    Role.COMMITTEE: N_("Steering committee member"),
    Role.ADMIN: N_("Administrator"),
}
NODE_KIND_NAMES = {
    NodeKind.PROVINCE: N_("Province"),
    NodeKind.INDUSTRIAL_ZONE: N_("Industrial zone"),
    NodeKind.ECONOMIC_ZONE: N_("Economic zone"),
    NodeKind.COMMUNE: N_("Commune or ward"),
    NodeKind.ENTERPRISE: N_("Enterprise"),
}
UNIT_KIND_NAMES = {
    UnitKind.TRADE_UNION: N_("Grassroots trade union"),
    UnitKind.PARTY_CELL: N_("Party cell"),
    UnitKind.YOUTH_UNION: N_("Youth union branch"),
    UnitKind.WOMENS_UNION: N_("Women's union branch"),
    UnitKind.ZONE_UNION: N_("Zone trade union"),
}


class RevokeSelf(DomainError):
    message = "You cannot revoke your own access here: ask another administrator."


class NothingChosen(DomainError):
    message = "Choose at least one unit or level to invite."


class BatchTooLarge(DomainError):
    message = "At most {limit} invites at once: choose fewer and make a second batch."


class UnknownScope(DomainError):
    message = "No such unit or node: {code}"


def plain(text: str) -> str:
    """Lower case without accents: "que vo" finds "Quế Võ"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


# --- people -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonLine:
    person_id: int
    display_name: str
    revoked: bool
    revoked_at: datetime | None
    created_at: datetime
    channels: list[str]
    roles: list[RoleView]  # standing roles
    past_roles: list[RoleView]  # revoked ones: what a new invite may give back


async def _roles(
    session: AsyncSession, person_ids: list[int]
) -> dict[int, list[tuple[RoleView, bool]]]:
    rows = (
        await session.execute(
            select(RoleAssignment, ReportingUnit, OrgNode)
            .outerjoin(ReportingUnit, ReportingUnit.id == RoleAssignment.reporting_unit_id)
            .outerjoin(OrgNode, OrgNode.id == RoleAssignment.org_node_id)
            .where(RoleAssignment.person_id.in_(person_ids))
            .order_by(RoleAssignment.id)
        )
    ).all()
    found: dict[int, list[tuple[RoleView, bool]]] = {}
    for assignment, unit, node in rows:
        view = RoleView(
            role=assignment.role,
            scope_code=unit.code if unit else node.code if node else None,
            scope_name=unit.name if unit else node.name if node else None,
            reporting_unit_id=assignment.reporting_unit_id,
            org_node_id=assignment.org_node_id,
        )
        found.setdefault(assignment.person_id, []).append((view, assignment.revoked_at is None))
    return found


async def _lines(session: AsyncSession, people: list[Person]) -> list[PersonLine]:
    ids = [p.id for p in people]
    if not ids:
        return []
    roles = await _roles(session, ids)
    channels: dict[int, list[str]] = {}
    for person_id, channel in (
        await session.execute(
            select(ChannelAccount.person_id, ChannelAccount.channel).where(
                ChannelAccount.person_id.in_(ids)
            )
        )
    ).tuples():
        channels.setdefault(person_id, []).append(channel)
    lines = []
    for person in people:
        held = roles.get(person.id, [])
        standing = [view for view, live in held if live] if person.revoked_at is None else []
        past = [view for view, live in held if not live or person.revoked_at is not None]
        lines.append(
            PersonLine(
                person.id,
                person.display_name,
                person.revoked_at is not None,
                person.revoked_at,
                person.created_at,
                sorted(set(channels.get(person.id, []))),
                standing,
                past,
            )
        )
    return lines


def _matches(line: PersonLine, wanted: str) -> bool:
    if not wanted:
        return True
    if wanted.isdigit() and int(wanted) == line.person_id:
        return True
    texts = [line.display_name] + [
        f"{r.scope_code or ''} {r.scope_name or ''}" for r in line.roles + line.past_roles
    ]
    return any(wanted in plain(text) for text in texts)


async def people_page(
    session: AsyncSession, *, query: str = "", state: str = "active", page: int = 1
) -> tuple[list[PersonLine], bool]:
    """People by name, id or the code/name of what they serve; ``state``: active, revoked, all.
    The filter runs here, not in SQL: names are matched without accents, and the people of a
    province are a few thousand at most."""
    statement = select(Person).order_by(Person.display_name, Person.id)
    if state == "active":
        statement = statement.where(Person.revoked_at.is_(None))
    elif state == "revoked":
        statement = statement.where(Person.revoked_at.is_not(None))
    everyone = await _lines(session, list(await session.scalars(statement)))
    wanted = plain(query)
    found = [line for line in everyone if _matches(line, wanted)]
    start = (max(page, 1) - 1) * PER_PAGE
    return found[start : start + PER_PAGE], len(found) > start + PER_PAGE


async def person_line(session: AsyncSession, person_id: int) -> PersonLine:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound()
    return (await _lines(session, [person]))[0]


async def revoke(session: AsyncSession, person_id: int, *, by: int) -> PersonLine:
    """Revoke every role of a person (audited with who did it) and end their web sessions.
    An administrator cannot revoke themselves here: the office would lock itself out."""
    if person_id == by:
        raise RevokeSelf()
    await access.revoke_person(session, person_id, actor=actor_of(by))
    await web_auth.end_sessions(session, person_id)
    return await person_line(session, person_id)


# --- invites ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InviteLine:
    invite_id: int
    role: Role
    scope_code: str | None
    scope_name: str | None
    created_at: datetime
    created_by: str
    expires_at: datetime
    used_at: datetime | None
    used_by: str | None
    state: str  # open, used, expired, cancelled


def invite_state(invite: Invite, now: datetime) -> str:
    if invite.used_at is not None:
        return "used"
    if invite.revoked_at is not None:
        return "cancelled"
    if invite.expires_at <= now:
        return "expired"
    return "open"


async def invites_page(
    session: AsyncSession, *, now: datetime, state: str = "", page: int = 1
) -> tuple[list[InviteLine], bool]:
    statement = (
        select(Invite, ReportingUnit, OrgNode, Person)
        .outerjoin(ReportingUnit, ReportingUnit.id == Invite.reporting_unit_id)
        .outerjoin(OrgNode, OrgNode.id == Invite.org_node_id)
        .outerjoin(Person, Person.id == Invite.used_by_person_id)
        .order_by(Invite.created_at.desc(), Invite.id.desc())
    )
    if state == "open":
        statement = statement.where(
            Invite.used_at.is_(None), Invite.revoked_at.is_(None), Invite.expires_at > now
        )
    elif state == "used":
        statement = statement.where(Invite.used_at.is_not(None))
    elif state == "expired":
        statement = statement.where(
            Invite.used_at.is_(None), Invite.revoked_at.is_(None), Invite.expires_at <= now
        )
    elif state == "cancelled":
        statement = statement.where(Invite.used_at.is_(None), Invite.revoked_at.is_not(None))
    page = max(page, 1)
    rows = (
        await session.execute(statement.offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1))
    ).all()
    lines = [
        InviteLine(
            invite.id,
            invite.role,
            unit.code if unit else node.code if node else None,
            unit.name if unit else node.name if node else None,
            invite.created_at,
            invite.created_by,
            invite.expires_at,
            invite.used_at,
            person.display_name if person else None,
            invite_state(invite, now),
        )
        for invite, unit, node, person in rows[:PER_PAGE]
    ]
    return lines, len(rows) > PER_PAGE


@dataclass(frozen=True)
class Scope:
    """Something an invite can be for: a reporting unit (officers) or a node (committee)."""

    code: str
    name: str
    kind: UnitKind | NodeKind
    place: str  # where it sits


async def areas(session: AsyncSession) -> list[Scope]:
    """The levels above enterprises (province, zones, communes): what a batch is chosen under."""
    nodes = await session.scalars(
        select(OrgNode)
        .where(OrgNode.active.is_(True), OrgNode.kind != NodeKind.ENTERPRISE)
        .order_by(OrgNode.path)
    )
    return [Scope(n.code, n.name, n.kind, "") for n in nodes]


async def candidates(
    session: AsyncSession, *, role: Role, under: str = "", kind: str = ""
) -> list[Scope]:
    """What invites of ``role`` can be for, under the node coded ``under`` (everything when
    empty), of one kind when ``kind`` names one."""
    root = None
    if under:
        root = await session.scalar(select(OrgNode).where(OrgNode.code == under))
        if root is None:
            raise UnknownScope(code=under)
    if role is Role.OFFICER:
        statement = (
            select(ReportingUnit, OrgNode)
            .join(OrgNode, OrgNode.id == ReportingUnit.org_node_id)
            .where(ReportingUnit.active.is_(True))
            .order_by(OrgNode.path, ReportingUnit.code)
        )
        if root is not None:
            statement = statement.where(OrgNode.path.startswith(root.path, autoescape=True))
        if kind in {k.value for k in UnitKind}:
            statement = statement.where(ReportingUnit.kind == UnitKind(kind))
        return [
            Scope(unit.code, unit.name, unit.kind, node.name)
            for unit, node in (await session.execute(statement)).tuples()
        ]
    if role is Role.COMMITTEE:
        nodes = select(OrgNode).where(OrgNode.active.is_(True)).order_by(OrgNode.path)
        if root is not None:
            nodes = nodes.where(OrgNode.path.startswith(root.path, autoescape=True))
        if kind in {k.value for k in NodeKind}:
            nodes = nodes.where(OrgNode.kind == NodeKind(kind))
        else:  # committees sit at the levels, not in enterprises
            nodes = nodes.where(OrgNode.kind != NodeKind.ENTERPRISE)
        return [Scope(n.code, n.name, n.kind, "") for n in await session.scalars(nodes)]
    return []


async def create_batch(
    session: AsyncSession,
    secret: bytes,
    *,
    role: Role,
    codes: list[str],
    count: int = 1,
    by: int,
    valid_days: int,
    now: datetime,
) -> list[invites.CreatedInvite]:
    """Invites of ``role``: one for each unit (officers) or node (committee) coded in ``codes``,
    or ``count`` administrator invites. One transaction: all are made, or none. Commits."""
    if role is Role.ADMIN:
        scopes: list[str | None] = [None] * count
    else:
        scopes = list(dict.fromkeys(codes))
    if not scopes:
        raise NothingChosen()
    if len(scopes) > BATCH_MAX:
        raise BatchTooLarge(limit=BATCH_MAX)
    made = []
    try:
        for code in scopes:
            made.append(
                await invites.add_invite(
                    session,
                    secret,
                    role=role,
                    actor=actor_of(by),
                    valid_days=valid_days,
                    unit_code=code if role is Role.OFFICER else None,
                    node_code=code if role is Role.COMMITTEE else None,
                    now=now,
                )
            )
    except NotFound:
        await session.rollback()
        raise UnknownScope(code=code) from None
    await session.commit()
    return made


async def cancel_invite(session: AsyncSession, invite_id: int, *, by: int) -> None:
    await invites.revoke_invite(session, invite_id, actor=actor_of(by))
