"""Internal to the concerns package: the helpers several use cases share.

What each encrypted text is bound to (its row and owner) and reading it without failing the
whole view; the enterprise's trade union and the zone above it, and the names of zone unions;
the answers of cases; and the officers' permission check (``_officer_case``), made from the
database on every call. Nothing here commits.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Concern,
    ConcernReply,
    NodeKind,
    OrgNode,
    Person,
    ReportingUnit,
    Role,
    RoleAssignment,
    UnitKind,
)
from services.anonymity import ConcernKeys, UndecryptableText, decrypt_text
from services.concerns.errors import CaseNotFound, NotCaseOfficer
from services.concerns.views import ReplyView

log = logging.getLogger(__name__)

ZONE_KINDS: Final = (NodeKind.INDUSTRIAL_ZONE, NodeKind.ECONOMIC_ZONE, NodeKind.COMMUNE)


def _context(concern_id: str) -> str:
    return f"concern:{concern_id}"


# What each text is bound to (services/anonymity.encrypt_text): its row, and what the row
# belongs to. A case's text names its enterprise and a reply names its case, so a database
# writer without the key cannot hand a case to another enterprise's officers, or show an answer
# under another case.


def _case_owner(enterprise_id: int) -> str:
    return f"enterprise:{enterprise_id}"


def _reply_context(reply_id: str) -> str:
    return f"reply:{reply_id}"


def _readable(keys: ConcernKeys, blob: bytes, context: str, owner: str) -> str | None:
    """The text, or None (logged) when no key opens it for this row and owner. One altered row
    must not make the whole inbox, or a worker's status, fail."""
    try:
        return decrypt_text(keys, blob, context, owner=owner)
    except UndecryptableText:
        # The row id is random and says nothing of the worker; the operator needs it to look.
        log.warning(
            "%s cannot be decrypted: moved or altered in the database, or its key was removed",
            context,
        )
        return None


async def _trade_union(session: AsyncSession, enterprise_id: int) -> ReportingUnit | None:
    union: ReportingUnit | None = await session.scalar(
        select(ReportingUnit)
        .where(
            ReportingUnit.org_node_id == enterprise_id,
            ReportingUnit.kind == UnitKind.TRADE_UNION,
            ReportingUnit.active.is_(True),
        )
        .order_by(ReportingUnit.id)
        .limit(1)
    )
    return union


async def _zone_of(session: AsyncSession, enterprise_id: int) -> OrgNode | None:
    """The nearest ancestor that is an industrial or economic zone, or a commune or ward."""
    node = await session.get(OrgNode, enterprise_id)
    for _ in range(32):  # the tree is a handful of levels deep; a cycle must not hang a job
        if node is None or node.parent_id is None:
            return None
        node = await session.get(OrgNode, node.parent_id)
        if node is not None and node.kind in ZONE_KINDS:
            return node
    return None


async def _replies(
    session: AsyncSession, concern_ids: Sequence[str], keys: ConcernKeys
) -> dict[str, tuple[ReplyView, ...]]:
    found: dict[str, list[ReplyView]] = defaultdict(list)
    if not concern_ids:
        return {}
    rows = await session.scalars(
        select(ConcernReply)
        .where(ConcernReply.concern_id.in_(concern_ids))
        .order_by(ConcernReply.concern_id, ConcernReply.number)
    )
    for row in rows:
        found[row.concern_id].append(
            ReplyView(
                number=row.number,
                created_on=row.created_on,
                signed_as=row.signed_as,
                text=_readable(
                    keys, row.body_encrypted, _reply_context(row.id), _context(row.concern_id)
                ),
            )
        )
    return {key: tuple(value) for key, value in found.items()}


@dataclass(frozen=True)
class _Unions:
    """Where a person is an active officer: enterprise id → trade union name, zone id → zone
    union name."""

    enterprises: dict[int, str]
    zones: dict[int, str]


async def _unions_of(session: AsyncSession, person_id: int) -> _Unions:
    rows = (
        await session.execute(
            select(ReportingUnit.kind, ReportingUnit.org_node_id, ReportingUnit.name)
            .join(RoleAssignment, RoleAssignment.reporting_unit_id == ReportingUnit.id)
            .join(Person, Person.id == RoleAssignment.person_id)
            .where(
                RoleAssignment.person_id == person_id,
                RoleAssignment.role == Role.OFFICER,
                RoleAssignment.revoked_at.is_(None),
                Person.revoked_at.is_(None),
                ReportingUnit.active.is_(True),
                ReportingUnit.kind.in_([UnitKind.TRADE_UNION, UnitKind.ZONE_UNION]),
            )
            .order_by(ReportingUnit.id)
        )
    ).all()
    unions = _Unions({}, {})
    for kind, node_id, name in rows:
        target = unions.enterprises if kind is UnitKind.TRADE_UNION else unions.zones
        target.setdefault(node_id, name)
    return unions


def _signature(unions: _Unions, concern: Concern) -> str | None:
    """The organisation in whose name this person acts on this case, or None: not theirs.

    Once escalated, only the zone union acts: the enterprise's union must not be able to close
    (bury) a case that was passed above it."""
    if concern.escalated_to_node_id is not None:
        return unions.zones.get(concern.escalated_to_node_id)
    return unions.enterprises.get(concern.enterprise_id)


async def _names(session: AsyncSession, node_ids: Collection[int]) -> dict[int, str]:
    if not node_ids:
        return {}
    rows = await session.execute(select(OrgNode.id, OrgNode.name).where(OrgNode.id.in_(node_ids)))
    return {node_id: name for node_id, name in rows.all()}


async def _union_names(session: AsyncSession, zone_ids: Collection[int]) -> dict[int, str]:
    """Zone node id → the name of its zone union ("Công đoàn KCN Đình Trám"): a case goes to
    the union, not to the industrial zone. The zone's own name when it has no active union."""
    names = await _names(session, zone_ids)
    if not names:
        return {}
    rows = await session.execute(
        select(ReportingUnit.org_node_id, ReportingUnit.name)
        .where(
            ReportingUnit.org_node_id.in_(names),
            ReportingUnit.kind == UnitKind.ZONE_UNION,
            ReportingUnit.active.is_(True),
        )
        .order_by(ReportingUnit.id.desc())  # the oldest union wins below
    )
    names.update({node_id: name for node_id, name in rows.all()})
    return names


async def _officer_case(
    session: AsyncSession, person_id: int, concern_id: str, *, lock: bool = False
) -> tuple[Concern, _Unions, str]:
    statement = select(Concern).where(Concern.id == concern_id, Concern.notified.is_(True))
    concern = await session.scalar(statement.with_for_update() if lock else statement)
    if concern is None:
        raise CaseNotFound()
    unions = await _unions_of(session, person_id)
    signed_as = _signature(unions, concern)
    if signed_as is None:
        raise NotCaseOfficer()
    return concern, unions, signed_as
