"""Officers' reports as ordinary users make them (issue 12): figures asked again when they are
implausible, the words that answer "is that right?", changing one item from the review, keeping
what was entered, "nothing changed since last month", amendments that change nothing, the dates
/trangthai gives, a late report said before its first question, and the wording of buttons."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import load_reporting_setup
from bot.channels.console import make_console
from infra.channel_updates import ChannelUser
from infra.settings import Settings
from models import Concern, Report, ReportDraft, ReportingUnit, ReportValue, UnitKind
from models.db import UnitOfWork
from services import demo, reporting
from services.indicators import IndicatorKind, IndicatorSet
from services.periods import Period
from testkit.chat import Chat, Clock, raise_concern, release
from testkit.org import Tree, make_person, make_tree


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


@pytest.fixture
async def lan_id(session: AsyncSession, tree: Tree, lan: ChannelUser) -> int:
    return await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))


def answers_for(union_set: IndicatorSet, **figures: str) -> dict[str, str]:
    """A plausible answer for every indicator (members ≤ workers, flows small), overridden."""
    answers = {
        i.code: {IndicatorKind.YES_NO: "có", IndicatorKind.PERCENT: "12,5"}.get(i.kind, "3")
        for i in union_set.indicators
    }
    return answers | {"workers": "1.200", "union_members": "1 000"} | figures


async def answer(
    chat: Chat,
    user: ChannelUser,
    union_set: IndicatorSet,
    answers: dict[str, str],
    *,
    start: int = 0,
    upto: int | None = None,
) -> str:
    said = ""
    for indicator in union_set.indicators[start:upto]:
        said = await chat.send(user, answers[indicator.code])
    return said


async def report_october(
    chat: Chat, user: ChannelUser, clock: Clock, union_set: IndicatorSet, **figures: str
) -> None:
    """October reported (on the 20th), then the clock back to 20 November."""
    clock.set_local(2026, 10, 20)
    await chat.send(user, "/baocao")
    await answer(chat, user, union_set, answers_for(union_set, **figures))
    assert "Đã nhận báo cáo" in await chat.press(user, "Gửi báo cáo")
    clock.set_local(2026, 11, 20)


def index_of(union_set: IndicatorSet, code: str) -> int:
    return union_set.codes.index(code)


# --- flows asked again ------------------------------------------------------------------------


async def test_a_flow_ten_times_last_month_is_asked_again_with_its_reason(
    chat: Chat,
    session: AsyncSession,
    lan: ChannelUser,
    lan_id: int,
    clock: Clock,
    union_set: IndicatorSet,
) -> None:
    """ "1 500" initiatives against 1 last month went straight to the committee's digest."""
    await report_october(
        chat, lan, clock, union_set, technical_initiatives="1", new_union_members="3"
    )
    await chat.send(lan, "/baocao")
    november = answers_for(union_set, new_union_members="30")  # exactly 10×: not asked
    last = index_of(union_set, "technical_initiatives")
    said = await answer(chat, lan, union_set, november, upto=last)
    assert "thay đổi nhiều" not in said and "gấp hơn" not in said
    asked = await chat.send(lan, "1 500")
    assert (
        "Số liệu “Sáng kiến, cải tiến kỹ thuật” tháng này là 1.500 sáng kiến, gấp hơn 10 lần "
        "tháng trước (1 sáng kiến). Số này có đúng không?" in asked
    )
    assert "Gõ ĐÚNG để giữ số này, hoặc gõ lại số." in asked
    assert "lý do" in (await chat.send(lan, "ok")).lower()
    review = await chat.send(lan, "Hội thi sáng kiến toàn công ty")
    assert "Kiểm tra báo cáo" in review and "lý do: Hội thi sáng kiến toàn công ty" in review
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None
    assert draft.answers["technical_initiatives"] == {
        "v": "1500",
        "note": "Hội thi sáng kiến toàn công ty",
    }
    assert draft.answers["new_union_members"] == {"v": "30", "note": None}


async def test_a_flow_above_the_workers_is_asked_again_and_a_number_typed_corrects_it(
    chat: Chat, session: AsyncSession, lan: ChannelUser, lan_id: int, union_set: IndicatorSet
) -> None:
    """No last month at all: the workers typed first in the same report are the yardstick."""
    await chat.send(lan, "/baocao")
    disputes = index_of(union_set, "labour_disputes")
    await answer(chat, lan, union_set, answers_for(union_set), upto=disputes)
    asked = await chat.send(lan, "1300")
    assert "Số liệu “Tranh chấp lao động, ngừng việc tập thể” là 1.300 vụ" in asked
    assert "nhiều hơn cả tổng số lao động của đơn vị (1.200 người)" in asked
    # "1" is the corrected figure, not "the first option": the prompt said to type a number.
    corrected = await chat.send(lan, "1")
    assert f"Câu {disputes + 2}/" in corrected
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None and draft.answers["labour_disputes"] == {"v": "1", "note": None}


async def test_a_party_cells_flow_is_held_against_the_enterprises_workers(
    chat: Chat, session: AsyncSession, hung: ChannelUser, tree: Tree
) -> None:
    """A party cell reports no workers: the organisation file's count of its enterprise (1.200)
    is used."""
    await make_person(session, hung.user_id, "Trần Văn Hùng", units=(tree.cell.id,))
    await chat.send(hung, "/baocao")
    await chat.send(hung, "40")  # party members
    await chat.send(hung, "2")  # new party members
    asked = await chat.send(hung, "5000")  # attendees of awareness classes
    assert "nhiều hơn cả tổng số lao động của đơn vị (1.200 người)" in asked


@pytest.mark.parametrize("typed", ["ĐÚNG", "đúng", "dung", "Đúng rồi", "OK", "ok."])
async def test_is_that_right_is_answered_with_words(
    chat: Chat,
    lan: ChannelUser,
    lan_id: int,
    clock: Clock,
    union_set: IndicatorSet,
    typed: str,
) -> None:
    await report_october(chat, lan, clock, union_set, workers="1000", union_members="800")
    await chat.send(lan, "/baocao")
    assert "thay đổi nhiều" in await chat.send(lan, "2.000")
    said = await chat.send(lan, typed)
    assert "Vui lòng ghi ngắn gọn lý do" in said and "không phải là số" not in said
    assert "Câu 2/" in await chat.send(lan, "Mở thêm dây chuyền")


async def test_the_console_says_what_to_type_at_is_that_right(
    settings: Settings, uow: UnitOfWork, session: AsyncSession, clock: Clock
) -> None:
    """On a text channel the two answers are bullets, not numbered: typing 1 is a new figure,
    and the prompt says so; "ok" keeps the figure."""
    setup = load_reporting_setup(settings)
    await demo.seed(session, settings.secret, setup, clock.now)
    out = io.StringIO()
    console = make_console(settings, uow, setup, clock=clock, out=out)
    async with console.application:
        await console.application.start()
        await console.handle_line("/as officer")
        await console.handle_line("/baocao")
        union_line = next(line for line in out.getvalue().splitlines() if "CĐCS" in line)
        await console.handle_line(union_line.strip().split(".")[0])
        await console.handle_line("1")  # workers: 1, a huge drop from last month
        await console.handle_line("ok")
        await console.handle_line("Số liệu thử")
        await console.application.stop()
    text = out.getvalue()
    assert "  • ✅ Đúng, giữ số này" in text and "Gõ ĐÚNG để giữ số này, hoặc gõ lại số." in text
    assert "→ 1 người" in text and "Vui lòng ghi ngắn gọn lý do" in text
    assert "Câu 2/" in text


# --- changing one item from the review --------------------------------------------------------


async def test_back_while_changing_an_item_returns_to_the_review(
    chat: Chat, session: AsyncSession, lan: ChannelUser, lan_id: int, union_set: IndicatorSet
) -> None:
    await chat.send(lan, "/baocao")
    assert "Kiểm tra báo cáo" in await answer(chat, lan, union_set, answers_for(union_set))
    await chat.press(lan, "Sửa một mục")
    question = await chat.press(lan, "3. ")
    assert "Câu 3/" in question and "Đã nhập: 3 người" in question
    labels = [b["text"] for b in chat.last_with_buttons(lan).buttons]
    assert "Giữ nguyên số đã nhập: 3 người" in labels
    assert "◀ Quay lại trang kiểm tra" in labels
    review = await chat.press(lan, "Quay lại trang kiểm tra")
    assert "Kiểm tra báo cáo" in review and "Câu 4/" not in review and "Câu 1/" not in review

    # The first item too has the way back (there is no item before it).
    await chat.press(lan, "Sửa một mục")
    await chat.press(lan, "1. ")
    assert "Kiểm tra báo cáo" in await chat.press(lan, "Quay lại trang kiểm tra")

    # Keeping what was entered returns to the review with nothing changed.
    await chat.press(lan, "Sửa một mục")
    await chat.press(lan, "2. ")
    kept = await chat.press(lan, "Giữ nguyên số đã nhập")
    assert "Kiểm tra báo cáo" in kept and "2. Tổng số đoàn viên công đoàn: 1.000 người" in kept
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None and draft.step == len(union_set.indicators)
    assert draft.answers["union_members"] == {"v": "1000", "note": None}


async def test_after_going_back_the_answer_given_can_be_kept(
    chat: Chat, session: AsyncSession, lan: ChannelUser, lan_id: int
) -> None:
    await chat.send(lan, "/baocao")
    await chat.send(lan, "1.200")
    await chat.send(lan, "1.000")
    back = await chat.press(lan, "Quay lại")
    assert "Câu 2/" in back and "Đã nhập: 1.000 người" in back
    assert "Câu 3/" in await chat.press(lan, "Giữ nguyên số đã nhập: 1.000 người")
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None and draft.step == 2 and draft.answers["union_members"]["v"] == "1000"


# --- nothing changed since last month ---------------------------------------------------------


async def test_nothing_changed_since_last_month_copies_the_totals_and_asks_the_flows(
    chat: Chat,
    session: AsyncSession,
    lan: ChannelUser,
    lan_id: int,
    clock: Clock,
    union_set: IndicatorSet,
) -> None:
    await report_october(chat, lan, clock, union_set, workers="1.150", union_members="900")
    first = await chat.send(lan, "/baocao")
    assert "Chọn “Không thay đổi so với tháng trước”" in first
    flows_from = index_of(union_set, "new_union_members")
    asked = await chat.press(lan, "Không thay đổi so với tháng trước")
    assert f"Câu {flows_from + 1}/" in asked  # the totals are filled: the month's counts follow
    # Back to a copied total: one way to keep it, not two buttons saying the same.
    assert "Đã nhập: 900 người" in await chat.press(lan, "Quay lại")
    labels = [b["text"] for b in chat.last_with_buttons(lan).buttons]
    assert "Giữ như tháng trước: 900 người" in labels
    assert not any(label.startswith("Giữ nguyên số đã nhập") for label in labels)
    assert f"Câu {flows_from + 1}/" in await chat.press(lan, "Giữ như tháng trước")
    review = await answer(chat, lan, union_set, answers_for(union_set), start=flows_from)
    assert "Kiểm tra báo cáo" in review
    assert "1. Tổng số lao động: 1.150 người (như tháng trước)" in review
    assert "2. Tổng số đoàn viên công đoàn: 900 người\n" in review  # kept by its own button
    assert "Đã nhận báo cáo" in await chat.press(lan, "Gửi báo cáo")
    november = await session.scalar(select(Report.id).where(Report.period == "2026-11"))
    values = {
        v.indicator_code: v.value
        for v in await session.scalars(select(ReportValue).where(ReportValue.report_id == november))
    }
    assert values["workers"] == Decimal(1150) and values["union_members"] == Decimal(900)
    assert values["new_union_members"] == Decimal(3)
    assert len(values) == len(union_set.indicators)


async def test_nothing_changed_is_not_offered_without_last_months_totals(
    chat: Chat, lan: ChannelUser, lan_id: int
) -> None:
    first = await chat.send(lan, "/baocao")
    assert "Câu 1/" in first and "Không thay đổi so với tháng trước" not in first
    labels = [b["text"] for b in chat.last_with_buttons(lan).buttons]
    assert "Không thay đổi so với tháng trước" not in labels


# --- amendments ---------------------------------------------------------------------------------


async def test_the_first_real_amendment_is_amendment_1_and_empty_ones_are_refused(
    chat: Chat, session: AsyncSession, lan: ChannelUser, lan_id: int, union_set: IndicatorSet
) -> None:
    await chat.send(lan, "/baocao")
    await answer(chat, lan, union_set, answers_for(union_set))
    await chat.press(lan, "Gửi báo cáo")
    for _ in range(2):  # opened, sent unchanged: refused each time, nothing stored
        await chat.send(lan, "/baocao")
        await chat.press(lan, "Sửa báo cáo")
        refused = await chat.press(lan, "Gửi bản sửa")
        assert "Không có số liệu nào khác với báo cáo đã gửi" in refused
    report = await session.scalar(select(Report))
    assert report is not None and report.revision == 1
    await chat.send(lan, "/baocao")
    await chat.press(lan, "Sửa báo cáo")
    await chat.press(lan, "Sửa một mục")
    await chat.press(lan, "1. ")
    await chat.send(lan, "1.210")
    await chat.press(lan, "Gửi bản sửa")
    saved = await chat.send(lan, "Thêm 10 người mới vào làm")
    assert "(sửa lần 1, 1 mục thay đổi)" in saved
    told = await chat.send(lan, "/baocao")
    assert "Báo cáo đã được sửa 1 lần sau khi gửi." in told


# --- dates --------------------------------------------------------------------------------------


async def test_status_gives_the_days_that_matter(
    chat: Chat, lan: ChannelUser, lan_id: int, clock: Clock, union_set: IndicatorSet
) -> None:
    await report_october(chat, lan, clock, union_set)
    clock.set_local(2026, 12, 3)
    status = await chat.send(lan, "/trangthai")
    # Locked since 10 November: no longer "can be changed before…".
    assert "• Tháng 10/2026: đã nộp ngày 20/10/2026\n" in status
    assert (
        "Tháng 11/2026: QUÁ HẠN từ 25/11/2026 — vẫn nhận, ghi nhận nộp muộn; khóa từ ngày "
        "10/12/2026" in status
    )
    # 10 January 2027 is a Sunday: the lock moves to Monday the 11th.
    assert (
        "Tháng 12/2026 mở nhận báo cáo từ 15/12/2026: hạn nộp 25/12/2026, khóa từ ngày "
        "11/01/2027." in status
    )


async def test_a_late_report_says_so_before_the_first_question(
    chat: Chat, lan: ChannelUser, lan_id: int, clock: Clock
) -> None:
    clock.set_local(2026, 11, 27)
    said = await chat.send(lan, "/baocao")
    notice = (
        "⚠️ Hạn nộp báo cáo tháng 11/2026 là 25/11/2026: báo cáo này sẽ được ghi nhận là nộp muộn."
    )
    assert notice in said and said.index(notice) < said.index("Câu 1/")
    clock.set_local(2026, 11, 20)
    assert "nộp muộn" not in await chat.send(lan, "/baocao")


# --- wording ------------------------------------------------------------------------------------


async def test_hints_buttons_and_months_read_as_people_speak(
    chat: Chat,
    uow: UnitOfWork,
    session: AsyncSession,
    lan: ChannelUser,
    hung: ChannelUser,
    lan_id: int,
    tree: Tree,
    clock: Clock,
) -> None:
    workers = await chat.send(lan, "/baocao")
    assert "Gõ số, ví dụ 1.500." in workers  # a headcount
    await chat.send(lan, "1.200")
    await chat.send(lan, "1.000")
    flow = await chat.send(lan, "3")
    assert "Gõ số, ví dụ 2." in flow and "1.500" not in flow  # a count of events
    async with uow() as other:  # October reopened: two months to choose from
        await reporting.unlock(
            other,
            unit_code=tree.union.code,
            period=Period(2026, 10),
            until=clock.now + timedelta(days=3),
            actor="cli:test",
        )
    await make_person(session, hung.user_id, "Trần Văn Hùng", units=(tree.union.id,))
    await chat.send(hung, "/baocao")
    labels = [b["text"] for b in chat.last_with_buttons(hung).buttons]
    assert labels == [
        "Tháng 11/2026 — đang soạn, đã trả lời 3/9 câu",
        "Tháng 10/2026 — được cơ quan thường trực mở lại",
    ]
    held = await chat.press(hung, "Tháng 11/2026")
    assert "Bạn có muốn làm tiếp báo cáo này không?" in held
    assert chat.last_with_buttons(hung).buttons[0]["text"] == "Tôi làm tiếp"


# --- escalating a concern -------------------------------------------------------------------------


async def test_passing_a_concern_on_is_asked_first_and_can_be_declined(
    chat: Chat, session: AsyncSession, tree: Tree, lan: ChannelUser, lan_id: int
) -> None:
    session.add(
        ReportingUnit(
            code="CD-KCN-QC",
            kind=UnitKind.ZONE_UNION,
            name="Công đoàn KCN Quang Châu",
            org_node_id=tree.zone.id,
        )
    )
    await session.commit()
    await raise_concern(chat, ChannelUser(4440009, "Công", "Nhân"), "Ca đêm không có nước uống.")
    await release(chat)
    await chat.send(lan, "/hopthu")
    asked = await chat.press(lan, "Chuyển lên")
    assert "Chuyển vụ việc TT-" in asked and "Công đoàn KCN Quang Châu" in asked
    assert "công đoàn cơ sở vẫn đọc được" in asked
    case = await session.scalar(select(Concern))
    assert case is not None and case.escalated_to_node_id is None  # nothing done yet
    kept = await chat.press(lan, "Không, để lại")
    assert "Chưa chuyển" in kept and "Ca đêm không có nước uống." in kept
    session.expire_all()
    assert (await session.scalar(select(Concern.escalated_to_node_id))) is None
    # The case is shown again with its buttons: passing it on still works, after the question.
    await chat.press(lan, "Chuyển lên")
    assert "Đã chuyển" in await chat.press(lan, "Có, chuyển lên")
    session.expire_all()
    assert (await session.scalar(select(Concern.escalated_to_node_id))) == tree.zone.id
    assert await session.scalar(select(func.count()).select_from(Concern)) == 1


# --- a unit added today -------------------------------------------------------------------------


async def test_a_unit_added_this_month_is_not_asked_for_earlier_months(
    chat: Chat, session: AsyncSession, lan: ChannelUser, lan_id: int, tree: Tree, clock: Clock
) -> None:
    await session.execute(
        update(ReportingUnit)
        .where(ReportingUnit.id == tree.union.id)
        .values(first_period="2026-12")
    )
    await session.commit()
    clock.set_local(2026, 12, 3)  # November still open for others (locks on the 10th)
    assert "Hiện không có tháng nào đang mở để báo cáo" in await chat.send(lan, "/baocao")
    status = await chat.send(lan, "/trangthai")
    assert "• Đơn vị báo cáo từ tháng 12/2026." in status and "Tháng 11/2026" not in status
    # An old reminder's button for November: refused, saying from when the unit reports.
    said = await chat.callback(lan, f"rpt:v1:open:{tree.union.id}:2026-11")
    assert "Đơn vị này báo cáo từ tháng 12/2026; không phải báo cáo các tháng trước đó." in said
    assert await session.scalar(select(func.count()).select_from(ReportDraft)) == 0
