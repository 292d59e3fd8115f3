"""With review by the level above configured, each flow total of the digest carries the part
that comes from approved reports (for the dashboard's "15 (đã duyệt 10)"), summed in the flows'
own statement: no statement more than the approvals' own GROUP BY. Kinds nobody reviews, and
the default configuration, carry no approved part."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.digests.text import render_text
from services.digests import FlowTotal
from services.reporting import ReportingSetup
from services.targets import TargetConfig
from testkit.digest_world import World, build_world, digest_of
from testkit.review_world import mark_reviewed, reviewing


@pytest.fixture
def statements(session: AsyncSession) -> Iterator[list[str]]:
    seen: list[str] = []
    engine = session.bind.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def seed_reviews(session: AsyncSession, world: World) -> None:
    """October: TU1 approved (10 new members), TU2 waiting (5); September: TU1 approved (4),
    TU2 returned (6)."""
    units, zone = world.units, world.zone
    await mark_reviewed(session, units["TU1"], "2026-10", zone, "approved")
    await mark_reviewed(session, units["TU2"], "2026-10", zone, "pending")
    await mark_reviewed(session, units["TU1"], "2026-09", zone, "approved")
    await mark_reviewed(session, units["TU2"], "2026-09", zone, "returned")


def flow(flows: tuple[FlowTotal, ...], code: str) -> FlowTotal:
    return next(f for f in flows if f.code == code)


async def test_flow_totals_carry_their_approved_part(
    session: AsyncSession,
    setup: ReportingSetup,
    targets: TargetConfig,
    statements: list[str],
) -> None:
    world = await build_world(session, setup)
    await seed_reviews(session, world)
    reviewed = reviewing(setup)

    # Everything computed from the reports (nothing kept): the approvals' one GROUP BY
    # (services/digests/approvals.py) and nothing more.
    statements.clear()
    plain = await digest_of(session, world.province, setup, targets, keep_figures=False)
    without_review = len(statements)
    statements.clear()
    await digest_of(session, world.province, reviewed, targets, keep_figures=False)
    assert len(statements) == without_review + 1
    # Locked months kept by a digest without review (September here) must not stand in for
    # figures with their approved part once review is configured.
    await digest_of(session, world.province, setup, targets)
    digest = await digest_of(session, world.province, reviewed, targets)

    members = flow(digest.flows, "new_union_members")
    assert (members.current, members.approved) == (Decimal(15), Decimal(10))
    # Year to date: January (TU1 20, TU3 0), September (4 + 6), October (15); approved 4 + 10.
    assert (members.year_to_date, members.year_to_date_approved) == (Decimal(45), Decimal(14))
    assert members.previous == Decimal(10)  # the totals themselves are unchanged
    party = flow(digest.flows, "new_party_members")
    assert party.current == Decimal(5) and party.approved is None  # party cells: not reviewed
    assert (digest.overall.submitted, digest.overall.approved) == (5, 1)
    # The chat digest's flow line says it too; party cells' figures alone.
    text = "\n".join(render_text(digest, "vi"))
    assert "Kết nạp đoàn viên mới: 15 (đã duyệt 10) · tháng trước 10" in text, text
    assert "Kết nạp đảng viên mới: 5 · tháng trước 1" in text, text

    # The default configuration: the same totals, no approved part anywhere.
    assert [(f.code, f.current, f.year_to_date) for f in plain.flows] == [
        (f.code, f.current, f.year_to_date) for f in digest.flows
    ]
    assert all(f.approved is None and f.year_to_date_approved is None for f in plain.flows)
    assert "duyệt" not in "\n".join(render_text(plain, "vi"))


async def test_a_scope_without_approved_reports_says_zero_approved(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    digest = await digest_of(session, world.zone, reviewing(setup), targets)
    members = flow(digest.flows, "new_union_members")
    assert (members.current, members.approved) == (Decimal(15), Decimal(0))
