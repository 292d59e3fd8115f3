"""The committee digest on a small tree with known reports and concerns, on both databases.

Tree (codes): province BG → industrial zone KCN-A (enterprises DN-1, DN-2, and the zone union
CDKCN-A on the zone itself) and commune X-B (enterprise DN-3), plus another province XX whose
figures must never leak in. Digest of October 2026, as of 20 November 2026.
"""

from __future__ import annotations

import dataclasses
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PIL import Image
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.digests.chart import has_chart, render_chart
from handlers.digests.excel import render_excel
from handlers.digests.text import render_text
from models import (
    ChannelAccount,
    Person,
    Report,
    ReportingUnit,
    ReportValue,
    UnitKind,
)
from services.digests import (
    Contact,
    DigestPeriod,
    MissingUnit,
    ScopeNotFound,
    SuppressedCount,
    unit_table,
)
from services.periods import Period
from services.reporting import ReportingSetup, current_version_id
from services.targets import MeasureKind, TargetConfig, TargetStatus
from testkit.digest_world import (
    OCTOBER,
    TODAY,
    build_world,
    digest_of,
)
from testkit.org import make_person


@pytest.fixture
def statements(session: AsyncSession) -> Iterator[list[str]]:
    """Every SQL statement the session runs while the test is on."""
    seen: list[str] = []
    engine = session.bind.sync_engine  # type: ignore[union-attr]

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


# --- the province's digest ------------------------------------------------------------------


async def test_rates_ranking_and_missing_units(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    digest = await digest_of(session, world.province, setup, targets)

    assert digest.scope.code == "BG"
    assert digest.months_open == (Period(2026, 10),)
    assert digest.elapsed_months == 10
    # 6 active units expected (the dissolved one is not); 5 reported, 3 of them on time.
    assert (digest.overall.expected, digest.overall.submitted, digest.overall.on_time) == (6, 5, 3)
    assert digest.overall.reporting_rate == pytest.approx(5 / 6)
    assert digest.overall.on_time_rate == pytest.approx(0.5)
    assert [(a.rank, a.code) for a in digest.areas] == [(1, "KCN-A"), (2, "X-B")]
    zone, commune = digest.areas
    assert (zone.rate.expected, zone.rate.submitted, zone.rate.on_time) == (4, 4, 2)
    assert (zone.rate.reporting_rate, zone.rate.on_time_rate) == (1.0, 0.5)
    assert (commune.rate.reporting_rate, commune.rate.on_time_rate) == (0.5, 0.5)
    assert digest.missing == (
        MissingUnit(
            world.units["TU3"],
            "CDCS-3",
            "CĐCS Giày Bình Sơn",
            UnitKind.TRADE_UNION,
            "X-B",
            "Xã Bình Sơn",
            (Period(2026, 10),),
        ),
    )


async def test_flow_totals_against_previous_month_last_year_and_year_to_date(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    digest = await digest_of(session, world.province, setup, targets)
    flows = {(f.unit_kind, f.code): f for f in digest.flows}

    union = flows[(UnitKind.TRADE_UNION, "new_union_members")]
    assert union.label.vi == "Kết nạp đoàn viên mới"
    assert (union.current, union.previous, union.last_year) == (15, 10, 7)
    assert (union.year_to_date, union.year_to_date_last_year) == (45, 7)
    party = flows[(UnitKind.PARTY_CELL, "new_party_members")]
    assert (party.current, party.previous, party.last_year) == (5, 1, 2)
    assert (party.year_to_date, party.year_to_date_last_year) == (36, 2)
    # The zone union reported only in October: nothing to compare with is None, not 0.
    founded = flows[(UnitKind.ZONE_UNION, "new_grassroots_unions")]
    assert (founded.current, founded.previous, founded.last_year) == (1, None, None)
    # Stocks and yes/no are not flows; youth branches have no unit here at all.
    assert (UnitKind.TRADE_UNION, "workers") not in flows
    assert (UnitKind.TRADE_UNION, "cla_in_force") not in flows
    assert flows[(UnitKind.YOUTH_UNION, "new_members")].current is None


async def test_the_headline_stocks_carry_each_units_latest_figure(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    digest = await digest_of(session, world.province, setup, targets)
    stocks = {(s.unit_kind, s.code): s for s in digest.headline.stocks}

    assert list(stocks) == [
        (UnitKind.TRADE_UNION, "workers"),
        (UnitKind.TRADE_UNION, "union_members"),
        (UnitKind.PARTY_CELL, "party_members"),
    ]
    # October: CDCS-1 500, CDCS-2 80, and CDCS-3, which missed October, with its January 300
    # (its latest figure); the other province's union never counts. September: 490 + 300.
    workers = stocks[(UnitKind.TRADE_UNION, "workers")]
    assert (workers.value, workers.previous) == (880, 790)
    assert workers.label.vi == "Tổng số lao động"
    members = stocks[(UnitKind.TRADE_UNION, "union_members")]
    assert (members.value, members.previous) == (630, 550)
    party = stocks[(UnitKind.PARTY_CELL, "party_members")]
    assert (party.value, party.previous) == (20, 11)
    assert digest.headline.density == pytest.approx(630 / 880)
    assert digest.headline.density_previous == pytest.approx(550 / 790)

    # A period with no open month has nothing to lead with.
    december = await digest_of(
        session, world.province, setup, targets, period=DigestPeriod.of_month(2026, 12)
    )
    assert december.headline.stocks == () and december.headline.density is None


async def test_one_year_to_date_span_for_flows_and_targets(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    """The fourth quarter, seen on 20 November: the year to date runs to November, and so does
    last year's, which must not take in December 2025."""
    world = await build_world(session, setup)
    officer = await make_person(session, 2, "Cán bộ khác")
    session.add(
        report := Report(
            reporting_unit_id=world.units["TU1"],
            period="2025-12",
            indicator_set_version_id=await current_version_id(session, setup, UnitKind.TRADE_UNION),
            submitted_at=datetime(2026, 1, 1, tzinfo=UTC),
            submitted_by_person_id=officer,
            late=False,
        )
    )
    await session.flush()
    session.add(
        ReportValue(report_id=report.id, indicator_code="new_union_members", value=Decimal(50))
    )
    await session.commit()

    quarter = await digest_of(
        session, world.province, setup, targets, period=DigestPeriod.of_quarter(2026, 4)
    )
    assert quarter.year_to_date == tuple(Period(2026, m) for m in range(1, 12))
    union = next(f for f in quarter.flows if f.code == "new_union_members")
    assert union.year_to_date == 45
    assert union.year_to_date_last_year == 907  # October and November 2025, not December
    target = next(t for t in quarter.targets if t.code == "union")
    assert target.value == union.year_to_date


async def test_missing_units_name_the_officers_to_call(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    binh = await make_person(session, 71, "Đỗ Văn Bình", units=(world.units["TU3"],))
    session.add(ChannelAccount(person_id=binh, channel="zalo", external_id="z71", chat_id="z71"))
    person = await session.get(Person, binh)
    assert person is not None
    person.preferred_channel = "zalo"
    await make_person(session, 72, "An Thị Mai", units=(world.units["TU3"],), channel="zalo")
    gone = await make_person(session, 73, "Người Đã Nghỉ", units=(world.units["TU3"],))
    revoked = await session.get(Person, gone)
    assert revoked is not None
    revoked.revoked_at = datetime(2026, 11, 1, tzinfo=UTC)
    await make_person(session, 74, "Cán bộ đơn vị khác", units=(world.units["TU1"],))
    await session.commit()

    digest = await digest_of(session, world.province, setup, targets)
    (missing,) = digest.missing
    assert missing.officers == (
        Contact("An Thị Mai", ("zalo",)),
        Contact("Đỗ Văn Bình", ("zalo", "telegram")),
    )


async def test_targets_by_the_pace_of_the_year(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    digest = await digest_of(session, world.province, setup, targets)
    progress = {t.code: t for t in digest.targets}

    # Province: the "all" targets of 2026 only (not the zone's, not 2025's).
    assert list(progress) == ["party", "union", "cla"]
    party = progress["party"]
    assert (party.value, party.target) == (36, 40)
    assert party.achieved == pytest.approx(0.9)
    assert party.expected == pytest.approx(10 / 12)
    assert party.status is TargetStatus.ON_TRACK and not party.reached
    union = progress["union"]
    assert (union.value, union.target, union.status) == (45, 1500, TargetStatus.BEHIND)
    # DN-1 yes (October), DN-2 no (October), DN-3 yes (January, its latest): 2 of 3.
    cla = progress["cla"]
    assert cla.measure is MeasureKind.SHARE
    assert (cla.numerator, cla.denominator) == (2, 3)
    assert cla.value == Decimal("66.7")
    assert cla.expected == 1.0
    assert cla.status is TargetStatus.BEHIND

    # The zone: its own targets, the node-specific one replacing the "all" one.
    zone = await digest_of(session, world.zone, setup, targets)
    assert [(t.code, t.target, t.value) for t in zone.targets] == [
        ("union", 30, 45),
        ("zone_unions", 1, 1),
    ]
    assert all(t.reached and t.status is TargetStatus.ON_TRACK for t in zone.targets)
    # The commune has none.
    commune = await digest_of(session, world.commune, setup, targets)
    assert commune.targets == ()


async def test_concerns_are_suppressed_per_enterprise_and_never_read_as_text(
    session: AsyncSession,
    setup: ReportingSetup,
    targets: TargetConfig,
    statements: list[str],
) -> None:
    world = await build_world(session, setup)
    statements.clear()
    digest = await digest_of(session, world.province, setup, targets)

    assert statements and not any("text_encrypted" in s for s in statements)
    lines = {line.category: line for line in digest.concerns}
    assert [line.category for line in digest.concerns][:3] == ["wages", "overtime", "safety"]
    wages = lines["wages"]
    # DN-1's 6 new are shown; DN-2's 2 are hidden: at least 7.
    assert wages.new == SuppressedCount(visible=6, hidden=1)
    assert wages.answered == SuppressedCount(visible=5, hidden=0)
    # DN-1's 1 and DN-2's 2 overdue are both hidden.
    assert wages.overdue == SuppressedCount(visible=0, hidden=2)
    assert lines["safety"].new == SuppressedCount(0, 1)
    assert lines["safety"].answered == SuppressedCount(0, 1)
    assert lines["overtime"].new == SuppressedCount(0, 0)
    assert lines["overtime"].answered == SuppressedCount(0, 1)
    # Raised two days ago: neither new in October nor overdue.
    meals = lines["meals"]
    assert (meals.new, meals.answered, meals.overdue) == (SuppressedCount(),) * 3
    total = digest.concerns_total
    assert total.new == SuppressedCount(6, 2)  # DN-1 6 shown; DN-2 2 and DN-3 1 hidden
    assert total.answered == SuppressedCount(5, 1)  # DN-1 5 shown; DN-3 2 hidden
    assert total.overdue == SuppressedCount(0, 2)

    text = "\n".join(render_text(digest, "vi"))
    assert "• Tiền lương, thu nhập: ≥ 7 / 5 / ≥ 2" in text
    assert "• An toàn, điều kiện làm việc: <5 / <5 / 0" in text
    assert "• Tăng ca, làm thêm giờ, thời giờ làm việc: 0 / <5 / 0" in text
    assert "Tổng: ≥ 8 / ≥ 6 / ≥ 2" in text
    assert "Bữa ăn" not in text  # nothing to show for meals
    assert "CANARY" not in text and "CANARY" not in "\n".join(render_text(digest, "en"))


async def test_the_text_in_vietnamese_and_english(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    digest = await digest_of(session, world.province, setup, targets)

    headline, details = render_text(digest, "vi")
    assert headline.split("\n") == [
        "BÁO CÁO TỔNG HỢP: Tỉnh Bắc Giang, tháng 10/2026",
        "Số liệu tính đến ngày 20/11/2026.",
        "",
        "• Tổng số lao động: 880 (tháng trước 790)",
        "• Tổng số đoàn viên công đoàn: 630 (tháng trước 550)",
        "• Tổng số đảng viên: 20 (tháng trước 11)",
        "• Tỷ lệ đoàn viên trên tổng số lao động: 71,6% (tháng trước 69,6%)",
        "• Đã báo cáo: 83,3% (5/6); đúng hạn: 50,0% (3); nộp muộn: 2; chưa báo cáo: 1.",
        "• Chỉ tiêu năm 2026: 1/3 đúng tiến độ hoặc đã hoàn thành.",
    ]
    assert "1. KCN An Phú: 100,0%, đúng hạn 50,0% (4/4)" in details
    assert "2. Xã Bình Sơn: 50,0%, đúng hạn 50,0% (1/2)" in details
    assert "• CDCS-3 CĐCS Giày Bình Sơn — Xã Bình Sơn" in details
    assert (
        "• Kết nạp đoàn viên mới: 15 · tháng trước 10 (+50,0%) · cùng kỳ năm trước 7 "
        "(+114,3%) · lũy kế năm 45 (cùng kỳ 7)"
    ) in details
    assert "• Kết nạp đoàn viên công đoàn mới: 45/1.500 (3,0%; tiến độ cần đạt 83,3%): " in details
    assert "chậm tiến độ" in details and "đúng tiến độ" in details
    assert "(chỉ tiêu 80,0%; 2/3 doanh nghiệp)" in details
    assert "CDCS-X" not in details and "Tỉnh khác" not in details

    en_headline, en_details = render_text(digest, "en")
    assert en_headline.startswith("DIGEST: Tỉnh Bắc Giang, October 2026\n")
    assert "• Total workers: 880 (previous month 790)" in en_headline
    assert "• Union density (members / workers): 71.6% (previous month 69.6%)" in en_headline
    assert "Reported: 83.3% (5 of 6); on time: 50.0% (3)" in en_headline
    assert "45 of 1,500 (3.0%; 83.3% due by now): behind" in en_details


async def test_comparisons_without_data_are_left_out(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    digest = await digest_of(session, world.province, setup, targets)
    text = "\n".join(render_text(digest, "vi"))

    # The zone union reported only in October: its line has no "—" comparisons.
    assert "• Thành lập mới công đoàn cơ sở: 1 · lũy kế năm 1\n" in text
    # Nothing happened in any span: one figure, not four zeros.
    assert "• Đối thoại tại nơi làm việc: 0\n" in text
    assert "—\n" not in text and "— ·" not in text and "(cùng kỳ —)" not in text
    # Party cells reported a year ago as well, and keep every comparison.
    assert (
        "• Kết nạp đảng viên mới: 5 · tháng trước 1 (+400,0%) · cùng kỳ năm trước 2 (+150,0%)"
        " · lũy kế năm 36 (cùng kỳ 2)"
    ) in text


async def test_the_headline_fits_one_phone_screen(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    """Whatever the size of the subtree: 400 missing units and a long scope name change the
    details, never the first message."""
    world = await build_world(session, setup)
    digest = await digest_of(session, world.province, setup, targets)
    many = tuple(
        MissingUnit(
            1000 + n,
            f"CDCS-{n:04d}",
            f"Công đoàn cơ sở Công ty TNHH Sản xuất Thương mại số {n}",
            UnitKind.TRADE_UNION,
            "KCN-A",
            "Khu công nghiệp An Phú mở rộng giai đoạn hai",
            (Period(2026, 10),),
        )
        for n in range(400)
    )
    scope = dataclasses.replace(
        digest.scope, name="Liên đoàn Lao động tỉnh Bắc Ninh — Công đoàn các Khu công nghiệp"
    )
    big = dataclasses.replace(digest, missing=many, scope=scope)
    for language in ("vi", "en"):
        headline = render_text(big, language)[0]
        assert len(headline.split("\n")) <= 15, headline
        assert len(headline) <= 700, headline
        assert "CDCS-0001" not in headline


async def test_a_zone_ranks_its_enterprises_and_its_own_units(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    digest = await digest_of(session, world.zone, setup, targets)

    # DN-1: 2/2 on time; DN-2 and the zone union itself: 1/1, late: a shared second rank.
    assert [(a.rank, a.code, a.direct) for a in digest.areas] == [
        (1, "DN-1", False),
        (2, "DN-2", False),
        (2, "KCN-A", True),
    ]
    assert digest.missing == ()
    assert (digest.overall.expected, digest.overall.submitted) == (4, 4)
    text = "\n".join(render_text(digest, "vi"))
    assert "2. KCN An Phú (trực thuộc): 100,0%, đúng hạn 0,0% (1/1)" in text
    assert "Tất cả đơn vị đã báo cáo." in text


async def test_quarter_and_year_add_up_months(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    quarter = await digest_of(
        session, world.province, setup, targets, period=DigestPeriod.of_quarter(2026, 4)
    )
    # October and November are open (November opened on the 15th); nobody reported November.
    assert quarter.months_open == (Period(2026, 10), Period(2026, 11))
    assert quarter.elapsed_months == 11
    assert (quarter.overall.expected, quarter.overall.submitted) == (12, 5)
    assert len(quarter.missing) == 6
    tu3 = next(unit for unit in quarter.missing if unit.code == "CDCS-3")
    assert tu3.months == (Period(2026, 10), Period(2026, 11))
    union = next(f for f in quarter.flows if f.code == "new_union_members")
    # Q4 2026 vs Q3 2026 (September) and Q4 2025 (October + November 2025).
    assert (union.current, union.previous, union.last_year) == (15, 10, 907)
    assert union.year_to_date == 45

    year = await digest_of(session, world.province, setup, targets, DigestPeriod.of_year(2026))
    assert year.elapsed_months == 11
    assert year.overall.expected == 6 * 11
    assert year.overall.submitted == 5 + 3 + 3
    union = next(f for f in year.flows if f.code == "new_union_members")
    assert (union.current, union.previous, union.year_to_date) == (45, 907, 45)
    assert "\n".join(render_text(year, "vi")).count("năm 2026") >= 1


async def test_a_period_not_yet_open_expects_nothing(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    digest = await digest_of(
        session, world.province, setup, targets, period=DigestPeriod.of_month(2026, 12)
    )
    assert digest.months_open == ()
    assert digest.overall.expected == 0 and digest.overall.reporting_rate is None
    assert digest.areas == () and digest.missing == ()
    assert digest.elapsed_months == 11  # the months before December
    text = render_text(digest, "vi")[0]
    assert len(render_text(digest, "vi")) == 2
    assert "Trong kỳ này chưa có tháng nào mở nhận báo cáo." in text


async def test_unknown_scope(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    with pytest.raises(ScopeNotFound):
        await digest_of(session, 987654, setup, targets)


# --- long texts, the chart and the spreadsheet ----------------------------------------------


async def test_a_long_digest_is_split_between_lines(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    digest = await digest_of(session, world.province, setup, targets)
    many = tuple(
        MissingUnit(
            1000 + n,
            f"CDCS-{n:04d}",
            f"Công đoàn cơ sở Công ty TNHH Sản xuất Thương mại số {n}",
            UnitKind.TRADE_UNION,
            "KCN-A",
            "Khu công nghiệp An Phú mở rộng giai đoạn hai",
            (Period(2026, 10),),
        )
        for n in range(400)
    )
    long = dataclasses.replace(digest, missing=many)

    parts = render_text(long, "vi", max_missing_lines=10_000)
    whole = render_text(long, "vi", limit=10**9, max_missing_lines=10_000)
    assert len(whole) == 2 and len(whole[1]) > 3 * 4096
    assert len(parts) >= 5
    assert all(len(part) <= 4000 for part in parts)
    # Every line survives whole, in order: no line was cut.
    kept = [line for part in parts for line in part.split("\n") if line]
    assert kept == [line for text in whole for line in text.split("\n") if line]
    # The first part starts with the header; no part starts or ends with a blank line.
    assert parts[0].startswith("BÁO CÁO TỔNG HỢP")
    assert all(part == part.strip("\n") for part in parts)

    # By default the text lists the first 40 and points to the spreadsheet.
    short = "\n".join(render_text(long, "vi"))
    assert "… và 360 đơn vị khác (xem tệp Excel)." in short


async def test_the_chart_is_a_png_of_sensible_size(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig, tmp_path: Path
) -> None:
    world = await build_world(session, setup)
    digest = await digest_of(session, world.province, setup, targets)
    path = render_chart(digest, tmp_path / "chart.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert 800 <= image.width <= 2000 and 600 <= image.height <= 4000
    # An empty digest (nothing due, no targets) still draws, but is not worth sending.
    empty = await digest_of(
        session, world.commune, setup, targets, period=DigestPeriod.of_month(2026, 12)
    )
    assert not has_chart(empty)
    assert render_chart(empty, tmp_path / "empty.png").stat().st_size > 1000


async def test_charts_with_nothing_to_compare_are_skipped(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig, tmp_path: Path
) -> None:
    world = await build_world(session, setup)
    province = await digest_of(session, world.province, setup, targets)
    assert has_chart(province)
    # The commune: one enterprise (a single bar) and no target: nothing to compare.
    commune = await digest_of(session, world.commune, setup, targets)
    assert len(commune.areas) == 1 and commune.targets == ()
    assert not has_chart(commune)
    # Without targets only the areas are drawn: the empty targets panel is gone.
    with Image.open(render_chart(province, tmp_path / "both.png")) as both:
        full_height = both.height
    areas_only = dataclasses.replace(province, targets=())
    assert has_chart(areas_only)
    with Image.open(render_chart(areas_only, tmp_path / "areas.png")) as image:
        assert image.height < full_height - 100


async def test_the_excel_file(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig, tmp_path: Path
) -> None:
    world = await build_world(session, setup)
    await make_person(session, 71, "Đỗ Văn Bình", units=(world.units["TU3"],), channel="zalo")
    digest = await digest_of(session, world.province, setup, targets)
    table = await unit_table(
        session, node_id=world.province, period=OCTOBER, setup=setup, today=TODAY
    )
    path = render_excel(digest, table, tmp_path / "digest.xlsx")

    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Số liệu", "Chỉ tiêu năm", "Đơn vị chưa báo cáo"]
    title = "Tỉnh Bắc Giang — tháng 10/2026 — số liệu tính đến ngày 20/11/2026"
    for sheet in workbook.worksheets:
        # A title row says what the file is, for which period and as of when.
        assert sheet["A1"].value == title and sheet["A1"].font.bold
    # The headers and the name columns stay in view while scrolling.
    assert workbook["Số liệu"].freeze_panes == "C3"
    assert workbook["Chỉ tiêu năm"].freeze_panes == "B3"
    assert workbook["Đơn vị chưa báo cáo"].freeze_panes == "C3"

    figures = workbook["Số liệu"]
    headers = [cell.value for cell in figures[2]]
    assert headers[:6] == [
        "Mã đơn vị",
        "Tên đơn vị",
        "Loại đơn vị",
        "Khu vực",
        "Doanh nghiệp / nơi sinh hoạt",
        "Tình trạng",
    ]
    body = list(figures.iter_rows(min_row=3, values_only=True))
    *unit_rows, totals = body
    rows = {row[0]: row for row in unit_rows}
    assert set(rows) == {"CDCS-1", "CB-1", "CDCS-2", "CDKCN-A", "CDCS-3", "CB-3"}
    new_members = headers.index("Kết nạp đoàn viên mới (Công đoàn cơ sở)")
    workers = headers.index("Tổng số lao động (Công đoàn cơ sở)")
    cla = headers.index("Thỏa ước lao động tập thể (TƯLĐTT) đang có hiệu lực (Công đoàn cơ sở)")
    assert rows["CDCS-1"][new_members] == 10 and rows["CDCS-1"][workers] == 500
    assert rows["CDCS-1"][5] == "Đúng hạn" and rows["CDCS-2"][5] == "Nộp muộn"
    assert rows["CDCS-3"][5] == "Chưa báo cáo" and rows["CDCS-3"][new_members] is None
    tu1 = next(r for r in figures.iter_rows(min_row=3) if r[0].value == "CDCS-1")
    assert tu1[new_members].data_type == "n" and tu1[new_members].number_format == "#,##0"
    assert tu1[cla].value == 1 and "Có" in tu1[cla].number_format
    assert tu1[6].data_type == "n"  # months reported
    # The totals row: counts add up, a yes/no column counts its "yes".
    assert totals[0] == "Tổng cộng" and totals[1] == "6 đơn vị"
    assert totals[new_members] == 15 and totals[workers] == 580 and totals[cla] == 1
    assert totals[6] == 5 and totals[7] == 2  # months reported, months late
    assert figures.auto_filter.ref == f"A2:{figures.cell(2, figures.max_column).column_letter}8"

    target_sheet = workbook["Chỉ tiêu năm"]
    assert [c.value for c in target_sheet[2]][:5] == [
        "Chỉ tiêu",
        "Loại đơn vị",
        "Cách tính",
        "Kết quả",
        "Chỉ tiêu năm",
    ]
    party, union, cla_row = list(target_sheet.iter_rows(min_row=3))
    assert (union[3].value, union[4].value) == (45, 1500)
    assert (party[3].value, party[4].value) == (36, 40)
    assert party[3].number_format == "#,##0"
    assert party[5].value == pytest.approx(0.9) and party[5].number_format == "0.0%"
    assert cla_row[3].value == pytest.approx(0.667) and cla_row[3].number_format == "0.0%"
    assert cla_row[4].value == pytest.approx(0.8)

    missing = workbook["Đơn vị chưa báo cáo"]
    assert [c.value for c in missing[2]] == [
        "Mã đơn vị",
        "Tên đơn vị",
        "Loại đơn vị",
        "Khu vực",
        "Tháng chưa báo cáo",
        "Cán bộ cần liên hệ (kênh)",
    ]
    assert [c.value for c in missing[3]] == [
        "CDCS-3",
        "CĐCS Giày Bình Sơn",
        "Công đoàn cơ sở",
        "Xã Bình Sơn",
        "10/2026",
        "Đỗ Văn Bình (Zalo)",
    ]
    # No concern text anywhere in the file.
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and "CANARY" in v for v in row)


async def test_a_missing_unit_without_officers_says_so_in_english_too(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig, tmp_path: Path
) -> None:
    world = await build_world(session, setup)
    digest = await digest_of(
        session, world.province, setup, targets, period=DigestPeriod.of_quarter(2026, 4)
    )
    table = await unit_table(
        session,
        node_id=world.province,
        period=DigestPeriod.of_quarter(2026, 4),
        setup=setup,
        today=TODAY,
    )
    workbook = openpyxl.load_workbook(render_excel(digest, table, tmp_path / "en.xlsx", "en"))
    missing = workbook["Units not reported"]
    assert missing["F2"].value == "Officers to call (app)"
    assert {row[5] for row in missing.iter_rows(min_row=3, values_only=True)} == {
        "No officer registered yet"
    }
    statuses = {
        row[0]: row[5] for row in workbook["Figures"].iter_rows(min_row=3, values_only=True)
    }
    assert statuses["CDCS-1"] == "Missing 1 month"  # October in, November not
    assert statuses["CDCS-3"] == "Not reported"
    assert workbook["Figures"]["A1"].value == (
        "Tỉnh Bắc Giang — Q4 2026 — figures as of 20/11/2026"
    )


async def test_unit_table_over_a_quarter_adds_flows_and_keeps_the_latest_stock(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig
) -> None:
    world = await build_world(session, setup)
    table = await unit_table(
        session,
        node_id=world.province,
        period=DigestPeriod.of_quarter(2026, 3),
        setup=setup,
        today=TODAY,
    )
    by_code = {row.code: row for row in table.rows}
    assert by_code["CDCS-1"].values["new_union_members"] == 4
    assert by_code["CDCS-1"].months_open == 3 and by_code["CDCS-1"].months_reported == 1
    quarter4 = await unit_table(
        session,
        node_id=world.province,
        period=DigestPeriod.of_quarter(2026, 4),
        setup=setup,
        today=TODAY,
    )
    tu1 = next(row for row in quarter4.rows if row.code == "CDCS-1")
    assert tu1.values["workers"] == 500 and tu1.values["cla_in_force"] == 1
    assert tu1.area_name == "KCN An Phú" and tu1.place_name == "Công ty May Hà Phong"


async def test_a_name_that_looks_like_a_formula_is_text_in_every_sheet(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig, tmp_path: Path
) -> None:
    """Issue #13: a unit named "=HYPERLINK(…)" (from an import before names were checked, or
    typed in the database) is written as text, never as a live formula."""
    world = await build_world(session, setup)
    formula = '=HYPERLINK("http://example.invalid","Bấm vào đây")'
    unit = await session.get(ReportingUnit, world.units["TU3"])
    assert unit is not None
    unit.name = formula
    await session.commit()
    digest = await digest_of(session, world.province, setup, targets)
    table = await unit_table(
        session, node_id=world.province, period=OCTOBER, setup=setup, today=TODAY
    )
    path = render_excel(digest, table, tmp_path / "digest.xlsx")
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in archive.read(name) for name in sheets)
    workbook = openpyxl.load_workbook(path)
    found = [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value == formula
    ]
    assert found and all(cell.data_type == "s" for cell in found)
