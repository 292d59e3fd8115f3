"""Poll results where officers read them (issue 17): which polls the dashboard lists for a part
of the tree and a period, what the pages write (suppressed as the service says, nothing before
the close unless the poll says so, how many answered only after the close), and the workbook's
"Khảo sát" sheet (text cells stay text)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.digests.excel import render_excel
from models import Role
from services import polls
from services.digests import DigestPeriod, unit_table
from services.polls.definition import Question, Text
from services.reporting import ReportingSetup
from services.targets import TargetConfig
from testkit.digest_world import OCTOBER, TODAY, build_world, digest_of
from testkit.org import make_person
from testkit.poll_world import MEALS, add_answers, add_poll
from web.dashboard import polls as poll_section
from web.poll_results import shown


async def _paths(session: AsyncSession, *ids: int) -> list[str]:
    from models import OrgNode

    return [(await session.get(OrgNode, i)).path for i in ids]  # type: ignore[union-attr]


async def test_the_dashboard_lists_the_subtrees_polls_open_in_the_period(
    session: AsyncSession, setup: ReportingSetup
) -> None:
    world = await build_world(session, setup)
    person = await make_person(session, 81, "Văn phòng", role=Role.ADMIN, node_id=world.province)
    zone_poll = await add_poll(session, person, world.zone, date(2026, 10, 1), date(2026, 10, 10))
    commune_poll = await add_poll(
        session, person, world.commune, date(2026, 9, 25), date(2026, 10, 2)
    )
    province_poll = await add_poll(
        session, person, world.province, date(2026, 11, 1), date(2026, 11, 30)
    )
    other = await add_poll(
        session, person, world.other_province, date(2026, 10, 1), date(2026, 10, 9)
    )
    september = await add_poll(session, person, world.zone, date(2026, 9, 1), date(2026, 9, 30))
    zone_path, province_path = await _paths(session, world.zone, world.province)

    def ids(found: tuple[polls.PollInPeriod, ...]) -> list[int]:
        return [p.poll.id for p in found]

    first, last = OCTOBER.months[0].first_day, OCTOBER.months[-1].last_day
    in_province = await polls.polls_overlapping(session, province_path, first, last, TODAY)
    assert ids(in_province) == [zone_poll, commune_poll]  # newest closing first
    assert other not in ids(in_province) and september not in ids(in_province)
    # A zone's member: the zone's polls only, never its sibling's or the province's own.
    assert ids(await polls.polls_overlapping(session, zone_path, first, last, TODAY)) == [zone_poll]
    # November: the province's poll, still open, listed without results or answer count.
    november = DigestPeriod.of_month(2026, 11)
    listed = await poll_section.load(session, world.province, november, TODAY)
    assert ids(listed) == [province_poll]
    assert listed[0].results is None and listed[0].respondents is None
    page = poll_section.section(listed, TODAY, "vi")[0]
    assert page.status == "đang mở" and page.answers is None
    assert page.note == "Kết quả được hiển thị khi khảo sát kết thúc."


async def test_the_pages_show_the_services_suppressed_figures(
    session: AsyncSession, setup: ReportingSetup
) -> None:
    world = await build_world(session, setup)
    person = await make_person(session, 81, "Văn phòng", role=Role.ADMIN, node_id=world.province)
    poll_id = await add_poll(session, person, world.zone, date(2026, 10, 1), date(2026, 10, 10))
    big, small = world.enterprises["DN-1"], world.enterprises["DN-2"]
    await add_answers(session, poll_id, big, [[12, 3, 0]])  # 3 is <5, so 12 is hidden too
    await add_answers(session, poll_id, small, [[2, 1, 0]])  # 3 respondents: too few

    listed = await polls.poll_listed(session, poll_id, TODAY)
    assert listed is not None and listed.results is not None
    assert listed.respondents == polls.respondents_of(listed.results)
    page = shown(listed, TODAY, "vi")
    assert page.status == "đã kết thúc"
    assert page.answers == "≥ 16"  # 15 shown + at least one in the enterprise with too few
    assert page.area is not None
    area_rows = page.area.blocks[0].rows
    # 12 was hidden beside a lone "<5" (not because it is small): the area says "≥ 5", never
    # "<5", of it; 3 is "<5"; 0 is exact but without a share, as the other totals are bounds.
    assert [r.figure for r in area_rows] == ["≥ 5", "<5", "0"]
    assert area_rows[0].bound and area_rows[1].bound and not area_rows[2].bound
    by_name = {e.name: e for e in page.enterprises}
    ha_phong = by_name["Công ty May Hà Phong"]
    assert ha_phong.summary == "15 người trả lời"
    assert [r.figure for r in ha_phong.blocks[0].rows] == ["ẩn", "<5", "0 (0%)"]
    assert [r.width for r in ha_phong.blocks[0].rows] == [None, None, 0.0]
    nhat_minh = by_name["Công ty Bao bì Nhật Minh"]
    assert nhat_minh.too_few and nhat_minh.blocks == ()
    assert nhat_minh.summary == "quá ít câu trả lời để hiển thị"


async def test_before_the_close_only_when_the_poll_says_and_never_the_count(
    session: AsyncSession, setup: ReportingSetup
) -> None:
    world = await build_world(session, setup)
    person = await make_person(session, 81, "Văn phòng", role=Role.ADMIN, node_id=world.province)
    big = world.enterprises["DN-1"]
    hidden = await add_poll(session, person, world.zone, date(2026, 11, 1), date(2026, 11, 30))
    early = await add_poll(
        session,
        person,
        world.zone,
        date(2026, 11, 1),
        date(2026, 11, 30),
        results_before_close=True,
    )
    for poll_id in (hidden, early):
        await add_answers(session, poll_id, big, [[6, 0, 5]])
        await add_answers(session, poll_id, big, [[1, 0, 0]], released=False)
    not_yet = await polls.poll_listed(session, hidden, TODAY)
    assert not_yet is not None and not_yet.results is None and not_yet.respondents is None
    so_far = await polls.poll_listed(session, early, TODAY)
    assert so_far is not None and so_far.results is not None and so_far.respondents is None
    page = shown(so_far, TODAY, "vi")
    assert page.answers is None and not page.final
    assert page.area is not None
    # The released answers only (the unreleased one waits for the next shuffled batch).
    assert page.area.blocks[0].rows[0].figure == "6 (55%)"


async def test_the_workbook_has_a_polls_sheet_with_text_that_stays_text(
    session: AsyncSession, setup: ReportingSetup, targets: TargetConfig, tmp_path: Path
) -> None:
    world = await build_world(session, setup)
    person = await make_person(session, 81, "Văn phòng", role=Role.ADMIN, node_id=world.province)
    tricky = Question(Text('=HYPERLINK("http://evil.example","x")'), (Text("=1+1"), Text("Không")))
    poll_id = await add_poll(
        session,
        person,
        world.zone,
        date(2026, 10, 1),
        date(2026, 10, 10),
        questions=(MEALS, tricky),
    )
    await add_answers(session, poll_id, world.enterprises["DN-1"], [[12, 3, 0], [7, 8]])
    await add_answers(session, poll_id, world.enterprises["DN-2"], [[2, 1, 0], [3, 0]])
    digest = await digest_of(session, world.province, setup, targets)
    assert [r.poll.id for r in digest.polls] == [poll_id]  # the chat's digest has it too
    table = await unit_table(
        session, node_id=world.province, period=OCTOBER, setup=setup, today=TODAY
    )
    book = openpyxl.load_workbook(render_excel(digest, table, tmp_path / "d.xlsx", "vi"))
    assert book.sheetnames[-1] == "Khảo sát"
    sheet = book["Khảo sát"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert sheet["A2"].value == "Khảo sát" and sheet["D2"].value == "Số người trả lời"
    ha_phong = [r for r in rows if r[2] == "Công ty May Hà Phong"]
    assert [r[6] for r in ha_phong] == ["ẩn", "<5", 0, 7, 8]
    assert ha_phong[3][7] == 7 / 15
    (nhat_minh,) = [r for r in rows if r[2] == "Công ty Bao bì Nhật Minh"]
    assert nhat_minh[3] == "quá ít câu trả lời để hiển thị" and nhat_minh[6] is None
    area = [r for r in rows if str(r[2]).startswith("KCN An Phú")]
    assert [r[6] for r in area[:3]] == ["≥ 5", "<5", 0]
    # A question or option that starts with "=" is text, never a formula.
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            assert cell.data_type != "f"
    assert any(r[4] == '=HYPERLINK("http://evil.example","x")' for r in rows)
    # Without a poll in the period the workbook is unchanged.
    september = await digest_of(
        session, world.province, setup, targets, period=DigestPeriod.of_month(2026, 9)
    )
    plain = openpyxl.load_workbook(render_excel(september, table, tmp_path / "s.xlsx", "vi"))
    assert "Khảo sát" not in plain.sheetnames
