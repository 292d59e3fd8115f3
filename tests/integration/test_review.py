"""Review by the level above: a unit reports, its zone union returns it with a comment, the
officer amends, the zone union approves; an approved report is locked until reopened; another
zone's reviewer is refused; every decision is in audit_log; without review configured nothing
changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import AuditEntry, ReportReview, Role, UnitKind
from services import review
from services.indicators import load_indicator_config
from services.periods import ReviewRule, load_calendar
from services.reporting import ReportingSetup
from services.reporting.reviewing import ReportApproved
from testkit.org import make_person, make_tree
from testkit.review_world import LATER, NOVEMBER, amend_first_item, file_report, zone_unions


def setup_with(**rules: ReviewRule) -> ReportingSetup:
    calendar = load_calendar()
    return ReportingSetup(
        indicators=load_indicator_config(),
        calendar=calendar.model_copy(update={"review": {UnitKind(k): r for k, r in rules.items()}}),
        zone=ZoneInfo("Asia/Ho_Chi_Minh"),
    )


REVIEWED = setup_with(trade_union=ReviewRule(level="zone", by=UnitKind.ZONE_UNION))


async def test_returned_amended_then_approved_and_locked_until_reopened(
    session: AsyncSession,
) -> None:
    tree = await make_tree(session)
    ours, theirs = await zone_unions(session, tree)
    lan = await make_person(session, 1, "Nguyễn Thị Lan", units=(tree.union.id,))
    hung = await make_person(session, 2, "Trần Văn Hùng", units=(ours,))
    minh = await make_person(session, 3, "Lê Văn Minh", units=(theirs,))

    report_id = await file_report(session, lan, tree.union.id, REVIEWED)
    waiting = await review.waiting(session, hung, REVIEWED)
    assert [w.report_id for w in waiting] == [report_id]
    assert waiting[0].figures[0].value == 100
    assert await review.waiting(session, minh, REVIEWED) == []
    assert await review.waiting_counts(session, REVIEWED) == {hung: 1}

    # Another zone's reviewer, with a forged report id, is refused and nothing changes.
    with pytest.raises(review.NotReviewer):
        await review.approve(
            session, person_id=minh, report_id=report_id, setup=REVIEWED, now=LATER
        )
    with pytest.raises(review.NotReviewer):
        await review.return_report(
            session, person_id=lan, report_id=report_id, comment="x", setup=REVIEWED, now=LATER
        )

    with pytest.raises(review.CommentRequired):
        await review.return_report(
            session, person_id=hung, report_id=report_id, comment="  ", setup=REVIEWED, now=LATER
        )
    returned = await review.return_report(
        session,
        person_id=hung,
        report_id=report_id,
        comment="Số lao động chưa khớp",
        setup=REVIEWED,
        now=LATER,
    )
    assert returned.officers == (lan,)
    assert await review.waiting(session, hung, REVIEWED) == []

    await amend_first_item(session, lan, tree.union.id, REVIEWED, "120")
    again = await review.waiting(session, hung, REVIEWED)
    assert [(w.report_id, w.revision) for w in again] == [(report_id, 2)]
    assert again[0].figures[0].value == 120
    assert again[0].last_comment == "Số lao động chưa khớp"

    approved = await review.approve(
        session, person_id=hung, report_id=report_id, setup=REVIEWED, now=LATER
    )
    assert approved.status == "approved"
    with pytest.raises(ReportApproved):
        await amend_first_item(session, lan, tree.union.id, REVIEWED, "130")

    await review.reopen(
        session, person_id=hung, report_id=report_id, comment=None, setup=REVIEWED, now=LATER
    )
    await amend_first_item(session, lan, tree.union.id, REVIEWED, "130")
    assert (await session.get(ReportReview, report_id)).status == "pending"  # type: ignore[union-attr]

    decisions = (
        await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action.like("report.review.%"))
            .order_by(AuditEntry.id)
        )
    ).all()
    assert [(d.action, d.actor, d.details.get("comment")) for d in decisions] == [
        ("report.review.return", f"person:{hung}", "Số lao động chưa khớp"),
        ("report.review.approve", f"person:{hung}", None),
        ("report.review.reopen", f"person:{hung}", None),
    ]
    assert all(d.at is not None for d in decisions)


async def test_a_committee_reviews_party_cells_of_its_zone(session: AsyncSession) -> None:
    setup = setup_with(party_cell=ReviewRule(level="zone", by="committee"))
    tree = await make_tree(session)
    lan = await make_person(session, 1, "Lan", units=(tree.cell.id,))
    member = await make_person(session, 2, "Tuấn", role=Role.COMMITTEE, node_id=tree.zone.id)
    province = await make_person(session, 3, "Hà", role=Role.COMMITTEE, node_id=tree.province.id)
    report_id = await file_report(session, lan, tree.cell.id, setup, first="10")
    assert [w.report_id for w in await review.waiting(session, member, setup)] == [report_id]
    with pytest.raises(review.NotReviewer):  # the province is not the configured level
        await review.approve(
            session, person_id=province, report_id=report_id, setup=setup, now=LATER
        )


async def test_without_review_configured_nothing_is_written_or_locked(
    session: AsyncSession,
) -> None:
    default = ReportingSetup(
        indicators=load_indicator_config(),
        calendar=load_calendar(),
        zone=ZoneInfo("Asia/Ho_Chi_Minh"),
    )
    assert default.calendar.review == {}
    tree = await make_tree(session)
    ours, _ = await zone_unions(session, tree)
    lan = await make_person(session, 1, "Lan", units=(tree.union.id,))
    hung = await make_person(session, 2, "Hùng", units=(ours,))
    await file_report(session, lan, tree.union.id, default)
    assert (await session.scalars(select(ReportReview))).all() == []
    await amend_first_item(session, lan, tree.union.id, default, "120")
    await amend_first_item(session, lan, tree.union.id, default, "130")
    with pytest.raises(review.NotReviewer):
        await review.waiting(session, hung, default)


async def test_reviewers_get_one_notice_a_day_through_the_outbox(session: AsyncSession) -> None:
    from handlers.review.notices import plan_daily_notice
    from models import OutboxMessage

    tree = await make_tree(session)
    ours, theirs = await zone_unions(session, tree)
    lan = await make_person(session, 1, "Lan", units=(tree.union.id,))
    hung = await make_person(session, 2, "Hùng", units=(ours,))
    await make_person(session, 3, "Minh", units=(theirs,))
    await file_report(session, lan, tree.union.id, REVIEWED)
    early = datetime(2026, 11, 21, 0, 30, tzinfo=UTC)  # 07:30 in Vietnam
    assert await plan_daily_notice(session, REVIEWED, ["telegram"], early) == 0
    morning = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 09:00
    assert await plan_daily_notice(session, REVIEWED, ["telegram"], morning) == 1
    assert await plan_daily_notice(session, REVIEWED, ["telegram"], LATER) == 0  # same day
    notice = await session.scalar(select(OutboxMessage))
    assert notice is not None and notice.person_id == hung and "/duyet" in notice.text


async def _digest_and_table(session: AsyncSession, node_id: int, setup: ReportingSetup):  # type: ignore[no-untyped-def]
    from services.concerns import load_concern_config
    from services.digests import DigestPeriod, build_digest, unit_table
    from services.targets import load_targets

    today = datetime(2026, 11, 21).date()
    period = DigestPeriod.from_month(NOVEMBER)
    digest = await build_digest(
        session,
        node_id=node_id,
        period=period,
        setup=setup,
        targets=load_targets(indicators=setup.indicators),
        concern_config=load_concern_config(),
        today=today,
    )
    table = await unit_table(session, node_id=node_id, period=period, setup=setup, today=today)
    return digest, table


async def test_the_digest_and_the_excel_show_submitted_and_approved_side_by_side(
    session: AsyncSession, tmp_path: object
) -> None:
    from pathlib import Path

    from openpyxl import load_workbook

    from handlers.digests.excel import render_excel
    from handlers.digests.text import render_text

    tree = await make_tree(session)
    ours, _ = await zone_unions(session, tree)
    lan = await make_person(session, 1, "Lan", units=(tree.union.id,))
    hung = await make_person(session, 2, "Hùng", units=(ours,))
    report_id = await file_report(session, lan, tree.union.id, REVIEWED)

    digest, _ = await _digest_and_table(session, tree.zone.id, REVIEWED)
    assert digest.reviewed and (digest.overall.submitted, digest.overall.approved) == (1, 0)
    await review.approve(session, person_id=hung, report_id=report_id, setup=REVIEWED, now=LATER)

    digest, table = await _digest_and_table(session, tree.zone.id, REVIEWED)
    assert (digest.overall.submitted, digest.overall.approved) == (1, 1)
    text = "\n".join(render_text(digest, "vi"))
    assert "Đã duyệt: " in text
    row = next(r for r in table.rows if r.unit_id == tree.union.id)
    assert row.months_approved == 1
    book = load_workbook(render_excel(digest, table, Path(str(tmp_path)) / "t.xlsx", "vi"))
    cells = [str(c.value) for r in book.worksheets[0].iter_rows() for c in r if c.value]
    assert any("đã duyệt 1/1" in cell for cell in cells), cells

    # Without review configured the same data read as before: no approval anywhere.
    default = ReportingSetup(
        indicators=load_indicator_config(),
        calendar=load_calendar(),
        zone=ZoneInfo("Asia/Ho_Chi_Minh"),
    )
    digest, table = await _digest_and_table(session, tree.zone.id, default)
    assert not digest.reviewed and digest.overall.approved == 0
    assert "Đã duyệt" not in "\n".join(render_text(digest, "vi"))
    assert all(r.months_approved is None for r in table.rows)
