"""The level above reviews its units' reports (config/reporting.yaml ``review``): the reports
waiting, each with its figures, last month's and the reasons given for big jumps; approve, or
return with a comment; reopen one approved. Every decision goes to audit_log with who, when and
the comment.

Two ways in: a reviewer by the configuration (the chat's /duyet), and the standing office
(``office=True``: an administrator in the office console), who may decide for any level that
reviews; the administrator's role is read again from the database at every call.

Scope is checked here, from the database, at every decision: a reviewer decides only reports
whose review node is one where they hold the configured role now (a committee membership of
that node, or an officer role of a unit of the configured kind placed on it), and only for the
unit kinds the configuration gives that role. A button's report id is only a hint.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    OrgNode,
    Person,
    Report,
    ReportingUnit,
    ReportReview,
    ReportValue,
    Role,
    RoleAssignment,
    UnitKind,
)
from services import audit
from services.errors import DomainError, PermissionDenied
from services.indicators import Label
from services.periods import Period
from services.reporting import ReportingSetup, indicator_set_of
from services.reporting.reviewing import APPROVED, PENDING, RETURNED

MAX_COMMENT: Final = 500


class NotReviewer(PermissionDenied):
    message = "You do not review this report."


class NotWaiting(DomainError):
    message = "This report is not waiting for your review any more."


class NotApproved(DomainError):
    message = "Only an approved report can be reopened."


class NotOffice(PermissionDenied):
    message = "Only the standing office's administrators can do this."


class CommentRequired(DomainError):
    message = "Please write why the report goes back (at most {limit} characters)."


@dataclass(frozen=True)
class Figure:
    label: Label
    value: Decimal | None
    last_month: Decimal | None  # absent or skipped: None
    note: str | None  # the officer's reason for a big jump
    present: bool = True  # False: not answered (an optional item skipped)


@dataclass(frozen=True)
class Waiting:
    report_id: int
    unit_name: str
    unit_kind: UnitKind
    period: Period
    revision: int
    late: bool
    figures: tuple[Figure, ...]
    last_comment: str | None  # what the reviewer asked when returning it before
    place: str = ""  # the level that reviews it (its zone, commune or the province)


@dataclass(frozen=True)
class Approved:
    """An approved report, for reopening."""

    report_id: int
    unit_name: str
    period: Period
    revision: int
    place: str
    decided_at: datetime | None
    decided_by: str | None


@dataclass(frozen=True)
class Decision:
    report_id: int
    unit_id: int
    unit_name: str
    period: Period
    status: str
    comment: str | None
    officers: tuple[int, ...]  # whom to tell (a return, a reopening)


async def _scopes(
    session: AsyncSession, person_id: int, setup: ReportingSetup
) -> list[tuple[int, UnitKind]]:
    """(review node, unit kind reviewed) pairs the person decides for, from their roles now."""
    rules = setup.calendar.review
    if not rules:
        return []
    person = await session.get(Person, person_id)
    if person is None or person.revoked_at is not None:
        return []
    roles = (
        await session.execute(
            select(
                RoleAssignment.role,
                RoleAssignment.org_node_id,
                ReportingUnit.kind,
                ReportingUnit.org_node_id,
            )
            .outerjoin(
                ReportingUnit,
                and_(
                    ReportingUnit.id == RoleAssignment.reporting_unit_id,
                    ReportingUnit.active.is_(True),
                ),
            )
            .where(RoleAssignment.person_id == person_id, RoleAssignment.revoked_at.is_(None))
        )
    ).all()
    scopes: list[tuple[int, UnitKind]] = []
    for kind, rule in rules.items():
        for role, node_id, unit_kind, unit_node_id in roles:
            if rule.by == "committee" and role is Role.COMMITTEE and node_id is not None:
                scopes.append((node_id, kind))
            elif role is Role.OFFICER and unit_kind is not None and unit_kind == rule.by:
                scopes.append((unit_node_id, kind))
    return list(dict.fromkeys(scopes))


def _in_scope(scopes: Iterable[tuple[int, UnitKind]]) -> ColumnElement[bool]:
    return or_(
        *(
            and_(ReportReview.reviewer_node_id == node_id, ReportingUnit.kind == kind)
            for node_id, kind in scopes
        )
    )


async def is_reviewer(session: AsyncSession, person_id: int, setup: ReportingSetup) -> bool:
    """The one answer to "does this person review reports?": reviewers by the configuration
    (with roles now), for /duyet, /help, the menu and the per-role command lists. Administrators
    decide in the office console and are not reviewers by this answer unless configured so."""
    return bool(await _scopes(session, person_id, setup))


async def _office_kinds(
    session: AsyncSession, person_id: int, setup: ReportingSetup
) -> frozenset[UnitKind]:
    """The standing office decides for every reviewed unit kind at every level: the reviewed
    kinds, if the person is an administrator now; NotOffice otherwise."""
    admin = await session.scalar(
        select(RoleAssignment.id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(
            RoleAssignment.person_id == person_id,
            RoleAssignment.role == Role.ADMIN,
            RoleAssignment.revoked_at.is_(None),
            Person.revoked_at.is_(None),
        )
        .limit(1)
    )
    if admin is None:
        raise NotOffice()
    return frozenset(setup.calendar.review)


async def _filter(
    session: AsyncSession, person_id: int, setup: ReportingSetup, office: bool
) -> ColumnElement[bool]:
    """What this person may decide, as a WHERE clause over ReportReview and ReportingUnit."""
    if office:
        kinds = await _office_kinds(session, person_id, setup)
        return ReportingUnit.kind.in_(sorted(kinds))
    scopes = await _scopes(session, person_id, setup)
    if not scopes:
        raise NotReviewer()
    return _in_scope(scopes)


def _allowed(
    allowed: set[tuple[int, UnitKind]] | frozenset[UnitKind], node_id: int, kind: UnitKind
) -> bool:
    if isinstance(allowed, frozenset):
        return kind in allowed
    return (node_id, kind) in allowed


async def _values(session: AsyncSession, report_id: int) -> dict[str, ReportValue]:
    rows = await session.scalars(select(ReportValue).where(ReportValue.report_id == report_id))
    return {row.indicator_code: row for row in rows}


async def waiting(
    session: AsyncSession, person_id: int, setup: ReportingSetup, *, office: bool = False
) -> list[Waiting]:
    """The reports waiting for this reviewer (``office``: for any reviewer, the person being an
    administrator), oldest month first, each with its figures."""
    where = await _filter(session, person_id, setup, office)
    rows = (
        await session.execute(
            select(Report, ReportingUnit, ReportReview, OrgNode.name)
            .join(ReportReview, ReportReview.report_id == Report.id)
            .join(ReportingUnit, ReportingUnit.id == Report.reporting_unit_id)
            .join(OrgNode, OrgNode.id == ReportReview.reviewer_node_id)
            .where(ReportReview.status == PENDING, where)
            .order_by(Report.period, ReportingUnit.code)
        )
    ).all()
    result = []
    for report, unit, review, place in rows:
        indicator_set = await indicator_set_of(session, report.indicator_set_version_id)
        values = await _values(session, report.id)
        before_id = await session.scalar(
            select(Report.id).where(
                Report.reporting_unit_id == unit.id,
                Report.period == Period.from_key(report.period).previous().key,
            )
        )
        before = await _values(session, before_id) if before_id is not None else {}
        figures = tuple(
            Figure(
                label=i.label,
                value=values[i.code].value if i.code in values else None,
                last_month=before[i.code].value if i.code in before else None,
                note=values[i.code].note if i.code in values else None,
                present=i.code in values,
            )
            for i in indicator_set.indicators
        )
        result.append(
            Waiting(
                report_id=report.id,
                unit_name=unit.name,
                unit_kind=unit.kind,
                period=Period.from_key(report.period),
                revision=report.revision,
                late=report.late,
                figures=figures,
                last_comment=review.comment,
                place=place,
            )
        )
    return result


async def approved(
    session: AsyncSession,
    person_id: int,
    setup: ReportingSetup,
    *,
    office: bool = False,
    limit: int = 50,
) -> list[Approved]:
    """The approved reports this person may reopen, most recently decided first."""
    where = await _filter(session, person_id, setup, office)
    rows = (
        await session.execute(
            select(Report, ReportingUnit.name, ReportReview, OrgNode.name, Person.display_name)
            .join(ReportReview, ReportReview.report_id == Report.id)
            .join(ReportingUnit, ReportingUnit.id == Report.reporting_unit_id)
            .join(OrgNode, OrgNode.id == ReportReview.reviewer_node_id)
            .outerjoin(Person, Person.id == ReportReview.decided_by_person_id)
            .where(ReportReview.status == APPROVED, where)
            .order_by(ReportReview.decided_at.desc(), Report.id.desc())
            .limit(limit)
        )
    ).all()
    return [
        Approved(
            report_id=report.id,
            unit_name=unit_name,
            period=Period.from_key(report.period),
            revision=report.revision,
            place=place,
            decided_at=row.decided_at,
            decided_by=who,
        )
        for report, unit_name, row, place, who in rows
    ]


async def waiting_counts(session: AsyncSession, setup: ReportingSetup) -> dict[int, int]:
    """For the daily notice: person id → how many reports wait for them."""
    if not setup.calendar.review:
        return {}
    pending = (
        await session.execute(
            select(ReportReview.reviewer_node_id, ReportingUnit.kind)
            .join(Report, Report.id == ReportReview.report_id)
            .join(ReportingUnit, ReportingUnit.id == Report.reporting_unit_id)
            .where(ReportReview.status == PENDING)
        )
    ).all()
    if not pending:
        return {}
    waiting_at = Counter((node_id, kind) for node_id, kind in pending)
    people = await session.scalars(
        select(RoleAssignment.person_id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(RoleAssignment.revoked_at.is_(None), Person.revoked_at.is_(None))
        .distinct()
    )
    counts: dict[int, int] = {}
    for person_id in people:
        total = sum(waiting_at.get(scope, 0) for scope in await _scopes(session, person_id, setup))
        if total:
            counts[person_id] = total
    return counts


async def _decidable(
    session: AsyncSession, person_id: int, report_id: int, setup: ReportingSetup, office: bool
) -> tuple[Report, ReportingUnit, ReportReview]:
    """The report, its unit and its review row, if this person reviews it now."""
    if office:
        allowed: set[tuple[int, UnitKind]] | frozenset[UnitKind] = await _office_kinds(
            session, person_id, setup
        )
    else:
        allowed = set(await _scopes(session, person_id, setup))
    row = (
        await session.execute(
            select(Report, ReportingUnit, ReportReview)
            .join(ReportReview, ReportReview.report_id == Report.id)
            .join(ReportingUnit, ReportingUnit.id == Report.reporting_unit_id)
            .where(Report.id == report_id)
        )
    ).first()
    if row is None or not _allowed(allowed, row[2].reviewer_node_id, row[1].kind):
        raise NotReviewer()
    return row[0], row[1], row[2]


async def _officers(session: AsyncSession, unit_id: int) -> tuple[int, ...]:
    found = await session.scalars(
        select(RoleAssignment.person_id)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(
            RoleAssignment.reporting_unit_id == unit_id,
            RoleAssignment.role == Role.OFFICER,
            RoleAssignment.revoked_at.is_(None),
            Person.revoked_at.is_(None),
        )
        .order_by(RoleAssignment.person_id)
    )
    return tuple(dict.fromkeys(found))


def _comment(text: str | None, *, required: bool) -> str | None:
    cleaned = " ".join((text or "").split())
    if len(cleaned) > MAX_COMMENT or (required and not cleaned):
        raise CommentRequired(limit=MAX_COMMENT)
    return cleaned or None


async def _decide(
    session: AsyncSession,
    *,
    person_id: int,
    report_id: int,
    setup: ReportingSetup,
    now: datetime,
    was: str,
    becomes: str,
    comment: str | None,
    action: str,
    office: bool,
) -> Decision:
    report, unit, review = await _decidable(session, person_id, report_id, setup, office)
    if review.status != was:
        raise NotApproved() if was == APPROVED else NotWaiting()
    review.status, review.comment = becomes, comment
    review.decided_by_person_id, review.decided_at = person_id, now
    audit.record(
        session,
        actor=f"person:{person_id}",
        action=action,
        entity="report",
        entity_id=report.id,
        period=report.period,
        revision=report.revision,
        comment=comment,
    )
    await session.commit()
    officers = await _officers(session, unit.id) if becomes == RETURNED else ()
    return Decision(
        report.id, unit.id, unit.name, Period.from_key(report.period), becomes, comment, officers
    )


async def approve(
    session: AsyncSession,
    *,
    person_id: int,
    report_id: int,
    setup: ReportingSetup,
    now: datetime,
    office: bool = False,
) -> Decision:
    return await _decide(
        session,
        person_id=person_id,
        report_id=report_id,
        setup=setup,
        now=now,
        was=PENDING,
        becomes=APPROVED,
        comment=None,
        action="report.review.approve",
        office=office,
    )


async def return_report(
    session: AsyncSession,
    *,
    person_id: int,
    report_id: int,
    comment: str,
    setup: ReportingSetup,
    now: datetime,
    office: bool = False,
) -> Decision:
    """Back to its officers with the comment; their amendment comes back to the reviewer."""
    return await _decide(
        session,
        person_id=person_id,
        report_id=report_id,
        setup=setup,
        now=now,
        was=PENDING,
        becomes=RETURNED,
        comment=_comment(comment, required=True),
        action="report.review.return",
        office=office,
    )


async def reopen(
    session: AsyncSession,
    *,
    person_id: int,
    report_id: int,
    comment: str | None,
    setup: ReportingSetup,
    now: datetime,
    office: bool = False,
) -> Decision:
    """An approved report open again for its officers' amendment (as if returned)."""
    return await _decide(
        session,
        person_id=person_id,
        report_id=report_id,
        setup=setup,
        now=now,
        was=APPROVED,
        becomes=RETURNED,
        comment=_comment(comment, required=False),
        action="report.review.reopen",
        office=office,
    )
