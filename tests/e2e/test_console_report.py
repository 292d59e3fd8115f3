"""The console channel in process, on the demo province, with the test's clock: a report is
answered by typing numbers and shortcut words, and buttons are chosen by number."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import load_reporting_setup
from bot.channels.console import make_console
from infra.settings import Settings
from models import Person, Report, ReportValue, UnitKind
from models.db import UnitOfWork
from services import demo
from services.indicators import IndicatorKind
from testkit.chat import Clock


@pytest.mark.parametrize(
    ("day", "period", "label"),
    [
        ((2026, 11, 20), "2026-11", "tháng 11/2026"),
        # After October's lock day and before November opens: the demo reopened October.
        ((2026, 11, 12), "2026-10", "tháng 10/2026"),
        ((2026, 12, 3), "2026-11", "tháng 11/2026"),  # November overdue, December not open
    ],
)
async def test_a_report_in_the_console(
    settings: Settings,
    uow: UnitOfWork,
    session: AsyncSession,
    clock: Clock,
    day: tuple[int, int, int],
    period: str,
    label: str,
) -> None:
    clock.set_local(*day)
    setup = load_reporting_setup(settings)
    await demo.seed(session, settings.secret, setup, clock.now)
    out = io.StringIO()
    console = make_console(settings, uow, setup, clock=clock, out=out)
    application = console.application
    cell_set = setup.indicators.for_kind(UnitKind.PARTY_CELL)
    assert cell_set is not None
    async with application:
        await application.start()
        for line in ["/as officer", "/baocao"]:
            await console.handle_line(line)
        units_menu = out.getvalue()
        # Two units: a numbered menu; the party cell is chosen by its number.
        cell_line = next(line for line in units_menu.splitlines() if "Chi bộ" in line)
        await console.handle_line(cell_line.strip().split(".")[0])
        for indicator in cell_set.indicators:
            # Stocks: keep last month's value by typing the shortcut's first word; flows: a
            # typed number, which is an answer, never a button.
            await console.handle_line("giữ" if indicator.kind is IndicatorKind.STOCK else "0")
        await console.handle_line("1")  # the review's first numbered button: send
        await application.stop()
    text = out.getvalue()
    assert "  • Giữ như tháng trước:" in text
    assert "Kiểm tra báo cáo" in text and "  1. ✅ Gửi báo cáo" in text
    assert f"Đã nhận báo cáo: {label} — Chi bộ" in text
    lan = await session.scalar(select(Person.id).where(Person.display_name == "Nguyễn Thị Lan"))
    report = await session.scalar(
        select(Report).where(Report.submitted_by_person_id == lan, Report.period == period)
    )
    assert report is not None
    values = (
        await session.scalars(select(ReportValue.value).where(ReportValue.report_id == report.id))
    ).all()
    flows = [i for i in cell_set.indicators if i.kind is not IndicatorKind.STOCK]
    assert sorted(values)[: len(flows)] == [0] * len(flows)
    assert len(values) == len(cell_set.indicators)
