"""Reporting service: versions survive config changes; concurrent submits make one report."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from grassroots_config import DEFAULT_CONFIG_DIR
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import IndicatorSetVersion, Report, ReportDraft, UnitKind
from models.db import UnitOfWork
from services import reporting
from services.indicators import load_indicator_config
from services.periods import Period, load_calendar
from services.reporting import ReportingSetup
from testkit.org import make_person, make_tree

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
NOVEMBER = Period(2026, 11)


def setup_from(folder: Path) -> ReportingSetup:
    from zoneinfo import ZoneInfo

    return ReportingSetup(
        indicators=load_indicator_config(folder / "indicators.yaml"),
        calendar=load_calendar(DEFAULT_CONFIG_DIR / "reporting.yaml"),
        zone=ZoneInfo("Asia/Ho_Chi_Minh"),
    )


async def fill(session: AsyncSession, person: int, unit_id: int, setup: ReportingSetup) -> int:
    """Answer every question of the unit's November draft with values that keep the rules."""
    while True:
        view = await reporting.open_draft(
            session, person_id=person, unit_id=unit_id, period=NOVEMBER, setup=setup, now=NOW
        )
        if view.question is None:
            return view.draft_id
        kind = view.question.indicator.kind.value
        text = {"yes_no": "có", "percent": "10"}.get(kind, "100" if view.step == 0 else "5")
        await reporting.answer(
            session,
            person_id=person,
            draft_id=view.draft_id,
            step=view.step,
            text=text,
            setup=setup,
        )


async def test_a_draft_keeps_its_version_when_the_yaml_changes(
    session: AsyncSession, tmp_path: Path
) -> None:
    tree = await make_tree(session)
    lan = await make_person(session, 1, "Lan", units=(tree.union.id, tree.other_union.id))
    original = setup_from(DEFAULT_CONFIG_DIR)
    first = await reporting.open_draft(
        session, person_id=lan, unit_id=tree.union.id, period=NOVEMBER, setup=original, now=NOW
    )
    # The office renames an indicator: a new version; the running draft keeps the old one.
    edited = (DEFAULT_CONFIG_DIR / "indicators.yaml").read_text(encoding="utf-8")
    assert "Tổng số lao động" in edited
    (tmp_path / "indicators.yaml").write_text(
        edited.replace("Tổng số lao động", "Tổng số người lao động", 1), encoding="utf-8"
    )
    changed = setup_from(tmp_path)
    resumed = await reporting.open_draft(
        session, person_id=lan, unit_id=tree.union.id, period=NOVEMBER, setup=changed, now=NOW
    )
    assert resumed.question is not None
    assert resumed.question.indicator.label.vi == "Tổng số lao động"
    other = await reporting.open_draft(
        session, person_id=lan, unit_id=tree.other_union.id, period=NOVEMBER, setup=changed, now=NOW
    )
    assert other.question is not None
    assert other.question.indicator.label.vi == "Tổng số người lao động"
    assert await session.scalar(select(func.count()).select_from(IndicatorSetVersion)) == 2

    assert await fill(session, lan, tree.union.id, changed) == first.draft_id
    receipt = await reporting.submit(
        session,
        person_id=lan,
        draft_id=first.draft_id,
        unit_id=tree.union.id,
        period=NOVEMBER,
        reason=None,
        setup=changed,
        now=NOW,
    )
    report = await session.get(Report, receipt.report_id)
    draft_versions = await session.scalars(select(ReportDraft.indicator_set_version_id))
    assert report is not None and report.indicator_set_version_id not in set(draft_versions)
    assert receipt.lines[0].indicator.label.vi == "Tổng số lao động"


async def test_concurrent_submits_of_one_draft_make_one_report(
    session: AsyncSession, uow: UnitOfWork
) -> None:
    tree = await make_tree(session)
    lan = await make_person(session, 1, "Lan", units=(tree.union.id,))
    setup = setup_from(DEFAULT_CONFIG_DIR)
    view = await reporting.open_draft(
        session, person_id=lan, unit_id=tree.union.id, period=NOVEMBER, setup=setup, now=NOW
    )
    assert await fill(session, lan, tree.union.id, setup) == view.draft_id

    async def tap() -> str:
        async with uow() as own:
            try:
                await reporting.submit(
                    own,
                    person_id=lan,
                    draft_id=view.draft_id,
                    unit_id=tree.union.id,
                    period=NOVEMBER,
                    reason=None,
                    setup=setup,
                    now=NOW,
                )
            except (reporting.AlreadySubmitted, reporting.DraftGone) as refused:
                return type(refused).__name__
            return "submitted"

    results = await asyncio.gather(*(tap() for _ in range(4)))
    assert results.count("submitted") == 1, results
    assert set(results) - {"submitted"} <= {"AlreadySubmitted", "DraftGone"}
    assert await session.scalar(select(func.count()).select_from(Report)) == 1
    assert await session.scalar(select(func.count()).select_from(ReportDraft)) == 0


async def test_only_the_owner_can_answer_after_a_takeover(session: AsyncSession) -> None:
    tree = await make_tree(session)
    lan = await make_person(session, 1, "Lan", units=(tree.union.id,))
    hung = await make_person(session, 2, "Hùng", units=(tree.union.id,))
    setup = setup_from(DEFAULT_CONFIG_DIR)
    view = await reporting.open_draft(
        session, person_id=lan, unit_id=tree.union.id, period=NOVEMBER, setup=setup, now=NOW
    )
    with pytest.raises(reporting.DraftHeldByOther):
        await reporting.open_draft(
            session, person_id=hung, unit_id=tree.union.id, period=NOVEMBER, setup=setup, now=NOW
        )
    await reporting.open_draft(
        session,
        person_id=hung,
        unit_id=tree.union.id,
        period=NOVEMBER,
        setup=setup,
        now=NOW,
        takeover=True,
    )
    with pytest.raises(reporting.DraftTakenOver):
        await reporting.answer(
            session, person_id=lan, draft_id=view.draft_id, step=0, text="10", setup=setup
        )
    with pytest.raises(reporting.DraftTakenOver):
        await reporting.require_current_draft(session, lan)


async def test_a_version_stored_by_a_transaction_that_rolled_back_is_not_remembered(
    uow: UnitOfWork,
) -> None:
    """Two officers start the month's first reports at once: the first one's transaction stores
    the set's version, the second must not be handed that id before it is committed (on
    PostgreSQL its draft then broke the foreign key) — nor ever, if it is rolled back."""
    setup = setup_from(DEFAULT_CONFIG_DIR)
    async with uow() as first:
        await make_tree(first)
        await reporting.current_version_id(first, setup, UnitKind.TRADE_UNION)
        await first.rollback()  # that use case failed after storing the version
    async with uow() as second:
        version_id = await reporting.current_version_id(second, setup, UnitKind.TRADE_UNION)
        stored = await second.get(IndicatorSetVersion, version_id)
        assert stored is not None, "an id of a row that was never committed"
