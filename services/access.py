"""Who is this user, and what may they do? Always answered from the database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    ChannelAccount,
    OrgNode,
    Person,
    ReportingUnit,
    Role,
    RoleAssignment,
    UnitKind,
    utcnow,
)
from services import audit, command_menus
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
    # The unit's kind: an officer of a zone union (công đoàn KCN) is zone-level (office/powers.py).
    unit_kind: UnitKind | None = None


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
            unit_kind=unit.kind if unit else None,
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
    await command_menus.plan_refresh(session, person_id)  # the "/" menu in the new language
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
    await command_menus.plan_refresh(session, person_id, now)  # back to the default menu
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
    channel: str = "telegram"


def served(channels: str | Iterable[str]) -> tuple[str, ...]:
    """The channels a process serves, from a single name (older call sites) or a sequence."""
    return (channels,) if isinstance(channels, str) else tuple(channels)


@dataclass(frozen=True)
class AccountChoice:
    """One channel account as delivery sees it."""

    channel: str
    chat_id: str | None
    reachable: bool


def pick_account(
    accounts: Sequence[AccountChoice], preferred: str | None, channels: Sequence[str]
) -> AccountChoice | None:
    """Exactly one account to send a person's scheduled messages to, or None.

    ``accounts`` in the order they were registered. The wanted channel is the person's choice
    (/kenh) or, when they never chose, the channel of their first account: linking a new channel
    does not move their reminders by itself. When the wanted channel is not served by this
    process, or its account cannot be reached (the bot was blocked there), another served and
    reachable account of theirs is used, the earliest first.
    """
    if not accounts:
        return None
    wanted = preferred or accounts[0].channel
    usable = [a for a in accounts if a.channel in channels and a.reachable and a.chat_id]
    for account in usable:
        if account.channel == wanted:
            return account
    return usable[0] if usable else None


async def delivery_targets(
    session: AsyncSession, person_ids: Iterable[int], channels: str | Iterable[str]
) -> dict[int, ChatTarget]:
    """Where each of these people gets scheduled messages: one account per person (never two
    messages to one person), on a channel this process serves. Revoked people are left out."""
    wanted_ids = sorted(set(person_ids))
    channel_list = served(channels)
    if not wanted_ids or not channel_list:
        return {}
    rows = await session.execute(
        select(
            ChannelAccount.person_id,
            ChannelAccount.channel,
            ChannelAccount.chat_id,
            ChannelAccount.reachable,
            Person.language,
            Person.preferred_channel,
        )
        .join(Person, Person.id == ChannelAccount.person_id)
        .where(ChannelAccount.person_id.in_(wanted_ids), Person.revoked_at.is_(None))
        .order_by(ChannelAccount.person_id, ChannelAccount.id)
    )
    accounts: dict[int, list[AccountChoice]] = {}
    people: dict[int, tuple[str, str | None]] = {}
    for person_id, channel, chat_id, reachable, language, preferred in rows.all():
        accounts.setdefault(person_id, []).append(
            AccountChoice(channel, None if chat_id is None else str(chat_id), bool(reachable))
        )
        people[person_id] = (language, preferred)
    targets: dict[int, ChatTarget] = {}
    for person_id, choices in accounts.items():
        language, preferred = people[person_id]
        chosen = pick_account(choices, preferred, channel_list)
        if chosen is not None and chosen.chat_id is not None:
            targets[person_id] = ChatTarget(person_id, chosen.chat_id, language, chosen.channel)
    return targets


async def chat_targets(
    session: AsyncSession, person_ids: list[int], channels: str | Sequence[str]
) -> list[ChatTarget]:
    """Where to reach these people (reachable accounts of people not revoked), one account per
    person on the channels this process serves: see ``pick_account``."""
    targets = await delivery_targets(session, person_ids, channels)
    return [targets[pid] for pid in dict.fromkeys(person_ids) if pid in targets]


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


async def admin_targets(session: AsyncSession, channels: Sequence[str]) -> list[ChatTarget]:
    """Where to reach every admin whose role stands, each on their own chosen account."""
    admin_ids = await session.scalars(
        select(RoleAssignment.person_id).where(
            RoleAssignment.role == Role.ADMIN, RoleAssignment.revoked_at.is_(None)
        )
    )
    return await chat_targets(session, sorted(set(admin_ids)), channels)


@dataclass(frozen=True)
class Blocked:
    account_id: int
    display_name: str
    admins: list[ChatTarget]  # who should be told, each on their own chosen account


async def mark_unreachable(
    session: AsyncSession,
    channel: str,
    chat_id: str,
    channels: Sequence[str] | None = None,
) -> Blocked | None:
    """The account behind this chat blocked the bot: mark it, and say which admins to tell
    (each on their own chosen account among ``channels``, by default ``channel`` only).
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
    admin_ids = await session.scalars(
        select(RoleAssignment.person_id).where(
            RoleAssignment.role == Role.ADMIN, RoleAssignment.revoked_at.is_(None)
        )
    )
    admins = await chat_targets(session, list(admin_ids), channels or [channel])
    return Blocked(account.id, person.display_name if person else "?", admins)
