"""Who is this user, and what may they do? Always answered from the database."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ChannelAccount, OrgNode, Person, ReportingUnit, Role, RoleAssignment, utcnow
from services import audit
from services.errors import NotFound


@dataclass(frozen=True)
class Identity:
    """A user as a channel presents them. Ids are strings at the edge (Zalo's are not ints)."""

    channel: str
    external_id: str
    chat_id: str
    display_name: str


@dataclass(frozen=True)
class RoleView:
    role: Role
    scope_code: str | None = None
    scope_name: str | None = None
    reporting_unit_id: int | None = None
    org_node_id: int | None = None


@dataclass(frozen=True)
class Viewer:
    person_id: int
    display_name: str
    language: str
    revoked: bool
    roles: list[RoleView] = field(default_factory=list)

    def has(self, role: Role) -> bool:
        return not self.revoked and any(r.role is role for r in self.roles)

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.roles) if not self.revoked else frozenset()


async def identify(session: AsyncSession, channel: str, external_id: str) -> Viewer | None:
    """The registered person behind a channel account, with their active roles; None if unknown."""
    person = await session.scalar(
        select(Person)
        .join(ChannelAccount, ChannelAccount.person_id == Person.id)
        .where(ChannelAccount.channel == channel, ChannelAccount.external_id == external_id)
    )
    if person is None:
        return None
    return await viewer_for(session, person)


async def viewer_for(session: AsyncSession, person: Person) -> Viewer:
    rows = (
        await session.execute(
            select(RoleAssignment, ReportingUnit, OrgNode)
            .outerjoin(ReportingUnit, ReportingUnit.id == RoleAssignment.reporting_unit_id)
            .outerjoin(OrgNode, OrgNode.id == RoleAssignment.org_node_id)
            .where(RoleAssignment.person_id == person.id, RoleAssignment.revoked_at.is_(None))
            .order_by(RoleAssignment.id)
        )
    ).all()
    roles = [
        RoleView(
            role=assignment.role,
            scope_code=unit.code if unit else node.code if node else None,
            scope_name=unit.name if unit else node.name if node else None,
            reporting_unit_id=assignment.reporting_unit_id,
            org_node_id=assignment.org_node_id,
        )
        for assignment, unit, node in rows
    ]
    return Viewer(
        person_id=person.id,
        display_name=person.display_name,
        language=person.language,
        revoked=person.revoked_at is not None,
        roles=roles,
    )


async def set_language(session: AsyncSession, person_id: int, language: str) -> None:
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound()
    person.language = language
    await session.commit()


async def revoke_person(session: AsyncSession, person_id: int, *, actor: str) -> Viewer:
    """Revoke every role of a person; their accounts stay so that the bot can say so."""
    person = await session.get(Person, person_id)
    if person is None:
        raise NotFound()
    now = utcnow()
    person.revoked_at = now
    assignments = await session.scalars(
        select(RoleAssignment).where(
            RoleAssignment.person_id == person_id, RoleAssignment.revoked_at.is_(None)
        )
    )
    for assignment in assignments:
        assignment.revoked_at = now
    audit.record(session, actor=actor, action="person.revoke", entity="person", entity_id=person_id)
    await session.commit()
    return await viewer_for(session, person)


@dataclass(frozen=True)
class PersonRow:
    person_id: int
    display_name: str
    revoked: bool
    channels: list[str]
    roles: list[RoleView]


async def list_people(session: AsyncSession) -> list[PersonRow]:
    people = (await session.scalars(select(Person).order_by(Person.id))).all()
    accounts = (await session.scalars(select(ChannelAccount))).all()
    by_person: dict[int, list[str]] = {}
    for account in accounts:
        by_person.setdefault(account.person_id, []).append(account.channel)
    result = []
    for person in people:
        viewer = await viewer_for(session, person)
        result.append(
            PersonRow(
                person.id,
                person.display_name,
                viewer.revoked,
                sorted(by_person.get(person.id, [])),
                viewer.roles,
            )
        )
    return result


@dataclass(frozen=True)
class ChatTarget:
    person_id: int
    chat_id: str
    language: str


async def chat_targets(
    session: AsyncSession, person_ids: list[int], channel: str
) -> list[ChatTarget]:
    """Where to reach these people on one channel (reachable, not revoked accounts)."""
    if not person_ids:
        return []
    rows = await session.execute(
        select(ChannelAccount.person_id, ChannelAccount.chat_id, Person.language)
        .join(Person, Person.id == ChannelAccount.person_id)
        .where(
            ChannelAccount.person_id.in_(person_ids),
            ChannelAccount.channel == channel,
            ChannelAccount.reachable.is_(True),
            ChannelAccount.chat_id.is_not(None),
            Person.revoked_at.is_(None),
        )
    )
    return [ChatTarget(pid, str(chat), lang) for pid, chat, lang in rows.all()]


async def may_view_node(session: AsyncSession, viewer: Viewer, node_id: int) -> bool:
    """Committee members see their own subtree; administrators see everything."""
    if viewer.has(Role.ADMIN):
        return await session.get(OrgNode, node_id) is not None
    node = await session.get(OrgNode, node_id)
    if node is None:
        return False
    scopes = [r.org_node_id for r in viewer.roles if r.role is Role.COMMITTEE and r.org_node_id]
    for scope_id in scopes:
        scope = await session.get(OrgNode, scope_id)
        if scope is not None and node.path.startswith(scope.path):
            return True
    return False


async def home_node(session: AsyncSession, viewer: Viewer) -> int | None:
    """Where a committee member's digest starts: their scope (an admin: the province)."""
    for role in viewer.roles:
        if role.role is Role.COMMITTEE and role.org_node_id:
            return role.org_node_id
    if viewer.has(Role.ADMIN):
        root: int | None = await session.scalar(
            select(OrgNode.id).where(OrgNode.parent_id.is_(None)).order_by(OrgNode.id).limit(1)
        )
        return root
    return None


@dataclass(frozen=True)
class Blocked:
    account_id: int
    display_name: str
    admins: list[ChatTarget]  # who should be told, on the same channel


async def mark_unreachable(session: AsyncSession, channel: str, chat_id: str) -> Blocked | None:
    """The account behind this chat blocked the bot: mark it, and say which admins to tell.
    None when no registered account has this chat. Commits."""
    account = await session.scalar(
        select(ChannelAccount).where(
            ChannelAccount.channel == channel, ChannelAccount.chat_id == chat_id
        )
    )
    if account is None:
        return None
    account.reachable = False
    person = await session.get(Person, account.person_id)
    await session.commit()
    admins = await session.execute(
        select(Person.id, ChannelAccount.chat_id, Person.language)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .join(ChannelAccount, ChannelAccount.person_id == Person.id)
        .where(
            RoleAssignment.role == Role.ADMIN,
            RoleAssignment.revoked_at.is_(None),
            Person.revoked_at.is_(None),
            ChannelAccount.channel == channel,
            ChannelAccount.reachable.is_(True),
            ChannelAccount.chat_id.is_not(None),
        )
    )
    return Blocked(
        account.id,
        person.display_name if person else "?",
        [ChatTarget(pid, str(chat), lang) for pid, chat, lang in admins.all()],
    )
