"""Who may administer what from the chat (/moi, /mokhoa, /chuabaocao, /quantri), and the use
cases themselves. Every check is made here, from the database, on every step: a button's ids
or a typed code only say what is asked.

Two kinds of people administer (docs/decisions.md, "Administering from the chat"):

- **Administrators** (an active ``admin`` role): everything, the whole tree.
- **Zone-level officers**: people with an active officer role on an active reporting unit of
  kind ``zone_union`` (Công đoàn KCN, KKT; a zone union sits on an industrial zone, an economic
  zone, or a commune or ward: docs/org-import.md). Their **zone** is that unit's node and its
  whole subtree. They may invite officers for units in their zone and see who has not reported
  there; nothing else (no committee or admin invites, no reopening, no console).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import NodeKind, OrgNode, Person, ReportingUnit, Role, RoleAssignment, UnitKind
from services import invites, reporting
from services.access import Viewer
from services.digests import DigestPeriod, MissingUnit, missing_units
from services.errors import N_, DomainError, NotFound, PermissionDenied
from services.invites import CreatedInvite
from services.office.login import actor_of
from services.periods import Period, PeriodState, open_date, state_on
from services.reporting import ReportingSetup, Unlocked

PAGE_SIZE: Final = 20
UNLOCK_MONTHS_OFFERED: Final = 3
UNLOCK_LOOKBACK: Final = 12  # months back a locked month is offered (older: by the CLI)


class NotOfficeStaff(PermissionDenied):
    message = N_(
        "This command is for the standing office's administrators and the zone unions' officers."
    )


class AdminsOnly(PermissionDenied):
    message = N_("Only the standing office's administrators can do this.")


class OutsideYourZone(PermissionDenied):
    message = N_("{name} is not in your zone: you can only invite officers of units in {zones}.")


class UnknownCode(NotFound):
    message = N_("No unit or level has the code “{code}”.")


class NotLocked(DomainError):
    message = N_("{period} is not locked for {unit}: it can still be sent without reopening.")


class NotOpenYet(DomainError):
    message = N_("{period} has not opened yet.")


class Mode(enum.StrEnum):
    """What a walk down the tree is choosing: a unit to invite an officer for, a level to
    invite a committee member for, a unit to reopen a month for."""

    OFFICER = "o"
    COMMITTEE = "c"
    UNLOCK = "u"


@dataclass(frozen=True)
class Zone:
    node_id: int
    code: str
    name: str
    path: str


@dataclass(frozen=True)
class Powers:
    person_id: int
    admin: bool
    zones: tuple[Zone, ...]  # the zones whose union this person is an officer of

    @property
    def administers(self) -> bool:
        return self.admin or bool(self.zones)

    def may(self, mode: Mode) -> bool:
        return self.admin or (mode is Mode.OFFICER and bool(self.zones))

    def reaches(self, path: str) -> bool:
        """Whether a node with this materialised path is within this person's reach."""
        return self.admin or any(path.startswith(zone.path) for zone in self.zones)

    @property
    def zone_names(self) -> str:
        return ", ".join(zone.name for zone in self.zones)


def zone_level(viewer: Viewer) -> bool:
    """From a viewer already read from the database (for menus only; the use cases below ask
    the database again): an officer of a zone union."""
    return not viewer.revoked and any(
        r.role is Role.OFFICER and r.unit_kind is UnitKind.ZONE_UNION for r in viewer.roles
    )


def may_administer(viewer: Viewer) -> bool:
    """Whether /moi and /chuabaocao are offered to this viewer (menus only)."""
    return viewer.has(Role.ADMIN) or zone_level(viewer)


async def powers_of(session: AsyncSession, person_id: int) -> Powers:
    person = await session.get(Person, person_id)
    if person is None or person.revoked_at is not None:
        return Powers(person_id, False, ())
    admin = await session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.person_id == person_id,
            RoleAssignment.role == Role.ADMIN,
            RoleAssignment.revoked_at.is_(None),
        )
    )
    rows = await session.execute(
        select(OrgNode.id, OrgNode.code, OrgNode.name, OrgNode.path)
        .join(ReportingUnit, ReportingUnit.org_node_id == OrgNode.id)
        .join(RoleAssignment, RoleAssignment.reporting_unit_id == ReportingUnit.id)
        .where(
            RoleAssignment.person_id == person_id,
            RoleAssignment.role == Role.OFFICER,
            RoleAssignment.revoked_at.is_(None),
            ReportingUnit.kind == UnitKind.ZONE_UNION,
            ReportingUnit.active.is_(True),
            OrgNode.active.is_(True),
        )
        .order_by(OrgNode.name, OrgNode.id)
    )
    zones = tuple(dict.fromkeys(Zone(*row) for row in rows.all()))
    return Powers(person_id, admin is not None, zones)


async def _powers_for(
    session: AsyncSession, person_id: int, mode: Mode, *, admin_only: bool = False
) -> Powers:
    powers = await powers_of(session, person_id)
    if not powers.administers:
        raise NotOfficeStaff()
    if not powers.may(mode) or (admin_only and not powers.admin):
        raise AdminsOnly()
    return powers


# --- walking down the tree ---------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Level:
    """One step of the walk: the node (None: the top, the person's roots), its children and
    (choosing a unit) the units on it, one page of them; where "back" goes."""

    node: Place | None
    nodes: tuple[Place, ...]
    units: tuple[Place, ...]
    page: int
    pages: int
    up: int | None  # the node "back" opens; TOP: the top list; None: no way back
    may_choose_node: bool  # committee invites: this node itself can be chosen


TOP: Final = 0  # "the top of the tree", as a node id (real ids start at 1)


async def _roots(session: AsyncSession, powers: Powers) -> list[OrgNode]:
    if powers.admin:
        return list(
            await session.scalars(
                select(OrgNode)
                .where(OrgNode.parent_id.is_(None), OrgNode.active.is_(True))
                .order_by(OrgNode.name, OrgNode.id)
            )
        )
    ids = [zone.node_id for zone in powers.zones]
    return list(
        await session.scalars(select(OrgNode).where(OrgNode.id.in_(ids)).order_by(OrgNode.name))
    )


async def _reachable_node(session: AsyncSession, powers: Powers, node_id: int) -> OrgNode:
    node = await session.get(OrgNode, node_id)
    if node is None or not node.active:
        raise NotFound()
    if not powers.reaches(node.path):
        raise OutsideYourZone(name=node.name, zones=powers.zone_names)
    return node


async def browse(
    session: AsyncSession, person_id: int, mode: Mode, node_id: int = TOP, page: int = 0
) -> Level:
    """One level of the tree for choosing, within the person's reach (checked here)."""
    powers = await _powers_for(session, person_id, mode)
    roots = await _roots(session, powers)
    if node_id == TOP and len(roots) == 1:
        node_id = roots[0].id
    if node_id == TOP:
        nodes = [Place(n.id, n.code, n.name) for n in roots]
        return _page(None, nodes, [], page, None, False)
    node = await _reachable_node(session, powers, node_id)
    children = select(OrgNode).where(OrgNode.parent_id == node.id, OrgNode.active.is_(True))
    if mode is Mode.COMMITTEE:
        # A steering committee is for a province, a zone or a commune, not an enterprise.
        children = children.where(OrgNode.kind != NodeKind.ENTERPRISE)
    nodes = [
        Place(n.id, n.code, n.name)
        for n in await session.scalars(children.order_by(OrgNode.name, OrgNode.id))
    ]
    units: list[Place] = []
    if mode is not Mode.COMMITTEE:
        units = [
            Place(u.id, u.code, u.name)
            for u in await session.scalars(
                select(ReportingUnit)
                .where(ReportingUnit.org_node_id == node.id, ReportingUnit.active.is_(True))
                .order_by(ReportingUnit.name, ReportingUnit.id)
            )
        ]
    up: int | None = None
    parent = await session.get(OrgNode, node.parent_id) if node.parent_id else None
    if parent is not None and parent.active and powers.reaches(parent.path):
        up = parent.id
    elif len(roots) > 1:
        up = TOP
    here = Place(node.id, node.code, node.name)
    return _page(here, nodes, units, page, up, mode is Mode.COMMITTEE)


def _page(
    node: Place | None,
    nodes: list[Place],
    units: list[Place],
    page: int,
    up: int | None,
    may_choose_node: bool,
) -> Level:
    total = len(nodes) + len(units)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    start, end = page * PAGE_SIZE, (page + 1) * PAGE_SIZE
    shown_nodes = nodes[start:end]
    unit_start = max(0, start - len(nodes))
    shown_units = units[unit_start : max(0, end - len(nodes))]
    return Level(node, tuple(shown_nodes), tuple(shown_units), page, pages, up, may_choose_node)


@dataclass(frozen=True)
class Found:
    """What a typed code names: a unit or a level of the tree, within reach."""

    unit: Place | None = None
    node: Place | None = None


async def find_code(session: AsyncSession, person_id: int, mode: Mode, code: str) -> Found:
    """A typed unit or node code (any case, spaces ignored), if the person may reach it."""
    powers = await _powers_for(session, person_id, mode)
    wanted = "".join(code.split()).upper()
    if not wanted or len(wanted) > 64:
        raise UnknownCode(code=code.strip()[:64])
    unit = await session.scalar(
        select(ReportingUnit).where(
            func.upper(ReportingUnit.code) == wanted, ReportingUnit.active.is_(True)
        )
    )
    if unit is not None and mode is not Mode.COMMITTEE:
        await _reachable_unit(session, powers, unit.id)
        return Found(unit=Place(unit.id, unit.code, unit.name))
    node = await session.scalar(
        select(OrgNode).where(func.upper(OrgNode.code) == wanted, OrgNode.active.is_(True))
    )
    if node is None:
        raise UnknownCode(code=code.strip())
    await _reachable_node(session, powers, node.id)
    return Found(node=Place(node.id, node.code, node.name))


async def _reachable_unit(session: AsyncSession, powers: Powers, unit_id: int) -> ReportingUnit:
    unit = await session.get(ReportingUnit, unit_id)
    node = await session.get(OrgNode, unit.org_node_id) if unit is not None else None
    if unit is None or node is None or not unit.active:
        raise NotFound()
    if not powers.reaches(node.path):
        raise OutsideYourZone(name=unit.name, zones=powers.zone_names)
    return unit


# --- /moi ------------------------------------------------------------------------------------


async def invite(
    session: AsyncSession,
    secret: bytes,
    *,
    person_id: int,
    role: Role,
    target_id: int | None,
    valid_days: int,
    now: datetime,
) -> CreatedInvite:
    """An invite made from the chat: an officer of a unit (``target_id``: the unit; admins
    anywhere, zone-level officers in their zone), a committee member of a level (the node;
    admins only) or an administrator (admins only). Audited under the person. Commits."""
    mode = Mode.OFFICER if role is Role.OFFICER else Mode.COMMITTEE
    powers = await _powers_for(session, person_id, mode, admin_only=role is Role.ADMIN)
    unit_code = node_code = None
    if role is Role.OFFICER:
        unit_code = (await _reachable_unit(session, powers, target_id or 0)).code
    elif role is Role.COMMITTEE:
        node = await _reachable_node(session, powers, target_id or 0)
        if node.kind is NodeKind.ENTERPRISE:
            raise NotFound()
        node_code = node.code
    created = await invites.add_invite(
        session,
        secret,
        role=role,
        actor=actor_of(person_id),
        valid_days=valid_days,
        unit_code=unit_code,
        node_code=node_code,
        now=now,
    )
    await session.commit()
    return created


# --- /chuabaocao -----------------------------------------------------------------------------


def collecting_month(today: date, setup: ReportingSetup) -> Period:
    """The month being collected: the newest one already open (before the 15th, last month)."""
    month = Period.of(today)
    return month if open_date(month, setup.calendar) <= today else month.previous()


@dataclass(frozen=True)
class MissingSection:
    scope_name: str
    units: tuple[MissingUnit, ...]


@dataclass(frozen=True)
class MissingReports:
    month: Period
    sections: tuple[MissingSection, ...]  # one per root: the province(s), or each zone


async def missing_reports(
    session: AsyncSession, person_id: int, *, setup: ReportingSetup, today: date
) -> MissingReports:
    """Units that have not reported the month being collected, in the person's reach: the
    whole tree for an administrator, their zone for a zone-level officer. The digest's own list
    (services/digests/missing.py), with each unit's registered officers."""
    powers = await _powers_for(session, person_id, Mode.OFFICER)
    month = collecting_month(today, setup)
    sections = []
    for root in await _roots(session, powers):
        found = await missing_units(
            session,
            node_id=root.id,
            period=DigestPeriod.from_month(month),
            setup=setup,
            today=today,
        )
        sections.append(MissingSection(found.scope.name, found.units))
    return MissingReports(month, tuple(sections))


# --- /mokhoa ---------------------------------------------------------------------------------


def locked_months(today: date, setup: ReportingSetup) -> list[Period]:
    """The months offered for reopening: the latest locked ones, newest first."""
    month = Period.of(today)
    found = []
    for back in range(UNLOCK_LOOKBACK):
        candidate = month.shift(-back)
        if state_on(candidate, today, setup.calendar) is PeriodState.LOCKED:
            found.append(candidate)
        if len(found) == UNLOCK_MONTHS_OFFERED:
            break
    return found


async def unit_for_unlock(session: AsyncSession, person_id: int, unit_id: int) -> Place:
    powers = await _powers_for(session, person_id, Mode.UNLOCK)
    unit = await _reachable_unit(session, powers, unit_id)
    return Place(unit.id, unit.code, unit.name)


async def reopen(
    session: AsyncSession,
    *,
    person_id: int,
    unit_id: int,
    period: Period,
    days: int,
    now: datetime,
    setup: ReportingSetup,
) -> Unlocked:
    """An administrator reopens a locked month of a unit for ``days`` days, as ``admin unlock``
    does (the same service, audited under the person). Commits."""
    unit = await unit_for_unlock(session, person_id, unit_id)  # administrators only
    today = now.astimezone(setup.zone).date()
    state = state_on(period, today, setup.calendar)
    if state is PeriodState.NOT_OPEN:
        raise NotOpenYet(period=period)
    if state is not PeriodState.LOCKED:
        raise NotLocked(period=period, unit=unit.name)
    return await reporting.unlock(
        session,
        unit_code=unit.code,
        period=period,
        until=now + timedelta(days=days),
        actor=actor_of(person_id),
    )
