"""The flow check in the reporting service, as configured (issue 12): the workers typed in the
report come before the organisation file's count, and the office can switch the check off."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from grassroots_config import DEFAULT_CONFIG_DIR
from sqlalchemy.ext.asyncio import AsyncSession

from services import reporting
from services.indicators import load_indicator_config
from services.periods import Period, load_calendar
from services.reporting import Check, DraftView, ReportingSetup
from testkit.org import make_person, make_tree

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
NOVEMBER = Period(2026, 11)


def setup_with(tmp_path: Path, flow_check: str | None = None) -> ReportingSetup:
    """The shipped configuration, its flow_check section replaced when one is given."""
    text = (DEFAULT_CONFIG_DIR / "indicators.yaml").read_text(encoding="utf-8")
    if flow_check is not None:
        start = text.index("\nflow_check:")
        end = text.index("\nsets:")
        text = text[:start] + "\n" + flow_check + text[end:]
    (tmp_path / "indicators.yaml").write_text(text, encoding="utf-8")
    return ReportingSetup(
        indicators=load_indicator_config(tmp_path / "indicators.yaml"),
        calendar=load_calendar(DEFAULT_CONFIG_DIR / "reporting.yaml"),
        zone=ZoneInfo("Asia/Ho_Chi_Minh"),
    )


async def dialogues(
    session: AsyncSession, setup: ReportingSetup, workers: str, count: str
) -> DraftView:
    """A trade union's answers up to "workplace dialogues", which is given ``count``."""
    tree = await make_tree(session)  # its enterprise has 1.200 workers in the organisation file
    lan = await make_person(session, 1, "Lan", units=(tree.union.id,))
    view = await reporting.open_draft(
        session, person_id=lan, unit_id=tree.union.id, period=NOVEMBER, setup=setup, now=NOW
    )
    for text in (workers, "100", "2", "1", count):
        assert view.question is not None
        view = await reporting.answer(
            session, person_id=lan, draft_id=view.draft_id, step=view.step, text=text, setup=setup
        )
    return view


async def test_the_workers_typed_in_the_report_come_before_the_files_count(
    session: AsyncSession, tmp_path: Path
) -> None:
    view = await dialogues(session, setup_with(tmp_path), "140", "141")
    assert view.pending is not None and view.pending.indicator.code == "workplace_dialogues"
    assert view.pending.check is Check.WORKERS and view.pending.limit == 140


async def test_a_flow_within_the_workers_is_not_asked(
    session: AsyncSession, tmp_path: Path
) -> None:
    view = await dialogues(session, setup_with(tmp_path), "140", "140")
    assert view.pending is None and view.question is not None and view.question.index == 6


async def test_the_office_can_switch_the_flow_check_off(
    session: AsyncSession, tmp_path: Path
) -> None:
    off = setup_with(tmp_path, "flow_check:\n  times_last_month: null\n  above_workers: false\n")
    view = await dialogues(session, off, "140", "5000")
    assert view.pending is None and view.question is not None and view.question.index == 6
