"""A tree whose trade unions are reviewed by their zone union, and the officer's side of a report
(filed, amended), shared by the review tests."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import NodeKind, OrgNode, Report, ReportingUnit, ReportReview, UnitKind
from services import reporting
from services.periods import Period, ReviewRule
from services.reporting import ReportingSetup
from testkit.org import Tree

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


LATER = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


NOVEMBER = Period(2026, 11)


async def file_report(
    session: AsyncSession, person: int, unit_id: int, setup: ReportingSetup, first: str = "100"
) -> int:
    """Answer every question of the unit's November report and send it."""
    while True:
        view = await reporting.open_draft(
            session, person_id=person, unit_id=unit_id, period=NOVEMBER, setup=setup, now=NOW
        )
        if view.question is None:
            break
        kind = view.question.indicator.kind.value
        text = {"yes_no": "có", "percent": "10"}.get(kind, first if view.step == 0 else "5")
        await reporting.answer(
            session,
            person_id=person,
            draft_id=view.draft_id,
            step=view.step,
            text=text,
            setup=setup,
        )
    receipt = await reporting.submit(
        session,
        person_id=person,
        draft_id=view.draft_id,
        unit_id=unit_id,
        period=NOVEMBER,
        reason=None,
        setup=setup,
        now=NOW,
    )
    return receipt.report_id


async def amend_first_item(
    session: AsyncSession, person: int, unit_id: int, setup: ReportingSetup, value: str
) -> None:
    view = await reporting.open_draft(
        session,
        person_id=person,
        unit_id=unit_id,
        period=NOVEMBER,
        setup=setup,
        now=LATER,
        amend=True,
    )
    await reporting.edit_item(session, person_id=person, draft_id=view.draft_id, index=1)
    await reporting.answer(
        session, person_id=person, draft_id=view.draft_id, step=0, text=value, setup=setup
    )
    await reporting.submit(
        session,
        person_id=person,
        draft_id=view.draft_id,
        unit_id=unit_id,
        period=NOVEMBER,
        reason="sửa theo nhận xét",
        setup=setup,
        now=LATER,
    )


async def zone_unions(session: AsyncSession, tree: Tree) -> tuple[int, int]:
    """The zone union of the tree's zone, and another zone with its own zone union."""
    other_zone = OrgNode(
        code="KCN-VT",
        kind=NodeKind.INDUSTRIAL_ZONE,
        name="KCN Vân Trung",
        parent_id=tree.province.id,
    )
    session.add(other_zone)
    await session.flush()
    other_zone.path = f"/{tree.province.id}/{other_zone.id}/"
    ours = ReportingUnit(
        code="CDKCN-QC",
        kind=UnitKind.ZONE_UNION,
        name="Công đoàn KCN Quang Châu",
        org_node_id=tree.zone.id,
    )
    theirs = ReportingUnit(
        code="CDKCN-VT",
        kind=UnitKind.ZONE_UNION,
        name="Công đoàn KCN Vân Trung",
        org_node_id=other_zone.id,
    )
    session.add_all([ours, theirs])
    await session.commit()
    return ours.id, theirs.id


async def mark_reviewed(
    session: AsyncSession, unit_id: int, period: str, reviewer_node_id: int, status: str
) -> int:
    """Give an existing report a review row (as if sent with review on and decided); returns
    the report's id. For worlds whose reports were written directly (testkit.digest_world)."""
    report_id = await session.scalar(
        select(Report.id).where(Report.reporting_unit_id == unit_id, Report.period == period)
    )
    assert report_id is not None, (unit_id, period)
    session.add(
        ReportReview(
            report_id=report_id,
            reviewer_node_id=reviewer_node_id,
            status=status,
            revision=1,
            decided_at=NOW if status != "pending" else None,
        )
    )
    await session.commit()
    return report_id


def reviewing(setup: ReportingSetup) -> ReportingSetup:
    """The same setup with trade unions reviewed by their zone union."""
    rule = ReviewRule(level="zone", by=UnitKind.ZONE_UNION)
    return ReportingSetup(
        indicators=setup.indicators,
        calendar=setup.calendar.model_copy(update={"review": {UnitKind.TRADE_UNION: rule}}),
        zone=setup.zone,
    )
