"""Notice batches (the scheduler calls these): per officer, how many cases are new since the last
batch; then the batch's cases are released to the inbox and the digests, their rows rewritten in
a random order so that neither the order nor the transaction of a row tells when it arrived.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Collection
from typing import Final, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from models import Concern, ConcernStatus, Person, ReportingUnit, Role, RoleAssignment, UnitKind
from services.concerns._shared import _names
from services.concerns.views import NoticeLine, PendingNotice

# Draws the order in which a notice batch rewrites its cases (``_release``): from the operating
# system, so that nobody can reproduce the order from a seed.
_SHUFFLE: Final = random.SystemRandom()


async def pending_notices(session: AsyncSession) -> list[PendingNotice]:
    """Per officer to notify: how many cases per enterprise are new (or newly escalated to
    their zone) since the last batch. Reads only; ``mark_notified`` after sending."""
    cases = (
        await session.execute(
            select(Concern.id, Concern.enterprise_id, Concern.escalated_to_node_id, Concern.status)
            .where(Concern.notified.is_(False), Concern.status != ConcernStatus.CLOSED)
            .order_by(Concern.id)
        )
    ).all()
    if not cases:
        return []
    nodes = {c.enterprise_id for c in cases} | {
        c.escalated_to_node_id for c in cases if c.escalated_to_node_id is not None
    }
    officers = (
        await session.execute(
            select(RoleAssignment.person_id, ReportingUnit.org_node_id, ReportingUnit.kind)
            .join(ReportingUnit, ReportingUnit.id == RoleAssignment.reporting_unit_id)
            .join(Person, Person.id == RoleAssignment.person_id)
            .where(
                RoleAssignment.role == Role.OFFICER,
                RoleAssignment.revoked_at.is_(None),
                Person.revoked_at.is_(None),
                ReportingUnit.active.is_(True),
                ReportingUnit.org_node_id.in_(nodes),
                ReportingUnit.kind.in_([UnitKind.TRADE_UNION, UnitKind.ZONE_UNION]),
            )
        )
    ).all()
    at_enterprise: dict[int, set[int]] = defaultdict(set)
    at_zone: dict[int, set[int]] = defaultdict(set)
    for person_id, node_id, kind in officers:
        (at_enterprise if kind is UnitKind.TRADE_UNION else at_zone)[node_id].add(person_id)

    counts: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    ids: dict[int, list[str]] = defaultdict(list)
    for concern_id, enterprise_id, zone_id, status in cases:
        recipients = set(at_enterprise.get(enterprise_id, ()))
        if zone_id is not None:
            recipients |= at_zone.get(zone_id, set())
        for person_id in recipients:
            counts[person_id][enterprise_id][status is ConcernStatus.ESCALATED] += 1
            ids[person_id].append(concern_id)
    names = await _names(session, {c.enterprise_id for c in cases})
    return [
        PendingNotice(
            person_id=person_id,
            lines=tuple(
                NoticeLine(enterprise_id, names.get(enterprise_id, ""), new, escalated)
                for enterprise_id, (new, escalated) in sorted(
                    per_enterprise.items(), key=lambda item: names.get(item[0], "")
                )
            ),
            concern_ids=tuple(ids[person_id]),
        )
        for person_id, per_enterprise in sorted(counts.items())
    ]


# Rows per statement when a batch looks up the cases it was given (bound-parameter limits).
_CHUNK: Final = 500


async def _release(session: AsyncSession, concern_ids: Collection[str] | None) -> int:
    """Mark the given cases (None: every case not yet notified) notified and released, and
    rewrite their rows in a random order, in one transaction. Commits.

    On PostgreSQL an UPDATE writes a new version of the row: it gets the updating transaction's
    id (``xmin``) and the next free place in the table (``ctid``, the order ``SELECT *`` and
    pg_dump follow). Cases are inserted one at a time as workers send them, so in arrival
    order; one UPDATE statement over them all would rewrite them in that same order. Updating
    them one by one in a shuffled order gives every row of the batch the same ``xmin`` and a
    physical order drawn at random. An UPDATE, not a DELETE and a re-INSERT: the row keeps its
    identity, so its replies (a foreign key with ON DELETE CASCADE) are never touched, and a
    worker's concurrent /kiemtra write (push opt-in) waits for the batch and then applies to
    the new version instead of finding its row gone. The old versions stay in the data files
    until autovacuum reclaims them.

    SQLite keeps ``concerns`` WITHOUT ROWID, a B-tree ordered by the random id: its order says
    nothing of arrival already, and the shuffle costs nothing there.
    """
    pending = select(Concern.id).where(Concern.notified.is_(False))
    if concern_ids is None:
        chunks: list[list[str] | None] = [None]
    else:
        wanted = sorted(set(concern_ids))
        chunks = [wanted[start : start + _CHUNK] for start in range(0, len(wanted), _CHUNK)]
    ids: list[str] = []
    for chunk in chunks:
        statement = pending if chunk is None else pending.where(Concern.id.in_(chunk))
        # Locked in id order, as escalate_overdue locks: two jobs never wait on each other in a
        # cycle, however the updates below are ordered.
        ids += (await session.scalars(statement.order_by(Concern.id).with_for_update())).all()
    _SHUFFLE.shuffle(ids)
    if ids:
        table = cast(Table, Concern.__table__)
        # One statement executed once per row, in the shuffled order (an executemany keeps it).
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("concern_id"))
            .values(notified=True, released=True),
            [{"concern_id": concern_id} for concern_id in ids],
        )
        # Core statements do not touch the session's objects: keep loaded cases in step.
        for concern_id in ids:
            loaded = session.identity_map.get(session.identity_key(Concern, (concern_id,)))
            if loaded is not None:
                set_committed_value(loaded, "notified", True)
                set_committed_value(loaded, "released", True)
    await session.commit()
    return len(ids)


async def release_pending(session: AsyncSession) -> int:
    """Release every case not yet notified to its officers (run by each notice batch, whether
    or not a notice reached anyone): it appears in /hopthu and in the committee's digests now,
    not before. The batch's rows are rewritten in a random order (``_release``). Returns how
    many. Commits."""
    return await _release(session, None)


async def mark_notified(session: AsyncSession, concern_ids: Collection[str]) -> None:
    """The batch notice about these cases went out: they are notified and released. Commits."""
    await _release(session, concern_ids)
