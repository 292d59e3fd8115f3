"""The monthly report through the real Application: answers, rules, review, submit, amend,
restart, stale and foreign buttons, two officers, locks. The clock is the test's."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.reports import conversation as report_conversation
from infra.channel_updates import ChannelUser
from infra.settings import Settings
from models import (
    ConversationState,
    Person,
    Report,
    ReportChange,
    ReportDraft,
    ReportValue,
    RoleAssignment,
    utcnow,
)
from models.db import UnitOfWork
from services import reporting
from services.indicators import IndicatorKind, IndicatorSet
from services.periods import Period
from testkit.chat import Chat, Clock, answer_through, plausible, start_app, stop_app
from testkit.org import Tree, make_person, make_tree

NOVEMBER = Period(2026, 11)
ANSWERING = int(report_conversation.Report.ANSWERING)


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


@pytest.fixture
async def lan_id(session: AsyncSession, tree: Tree, lan: ChannelUser) -> int:
    return await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))


async def test_a_whole_report_from_first_question_to_receipt(
    chat: Chat, session: AsyncSession, lan: ChannelUser, lan_id: int, union_set: IndicatorSet
) -> None:
    first = await chat.send(lan, "/baocao")
    total = len(union_set.indicators)
    assert f"Câu 1/{total}" in first and union_set.indicators[0].label.vi in first
    assert "Tháng trước: chưa có số liệu" in first
    said = await answer_through(chat, lan, union_set, plausible(union_set))
    assert "Kiểm tra báo cáo" in said and "1.200 người" in said
    receipt = await chat.press(lan, "Gửi báo cáo")
    assert "Đã nhận báo cáo: tháng 11/2026" in receipt and "đúng hạn" in receipt
    assert "BC-" in receipt and "Nguyễn Thị Lan" in receipt

    report = await session.scalar(select(Report))
    assert report is not None and report.period == "2026-11" and not report.late
    values = {v.indicator_code: v.value for v in await session.scalars(select(ReportValue))}
    assert values["workers"] == Decimal(1200) and values["union_members"] == Decimal(1000)
    assert len(values) == total
    assert await session.scalar(select(func.count()).select_from(ReportDraft)) == 0


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1,5", "số nguyên"),
        ("abc", "không phải là số"),
        ("-3", "là số âm"),
        ("1.50", "không phải số hợp lệ"),
    ],
)
async def test_bad_numbers_are_refused_with_a_reason_and_the_question_asked_again(
    chat: Chat,
    session: AsyncSession,
    lan: ChannelUser,
    lan_id: int,
    typed: str,
    expected: str,
    union_set: IndicatorSet,
) -> None:
    await chat.send(lan, "/baocao")
    said = await chat.send(lan, typed)
    assert expected in said.lower()
    assert "Câu 1/" in said  # asked again, with its buttons
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None and draft.step == 0 and draft.answers == {}


async def test_cross_field_rules_refuse_members_above_workers(
    chat: Chat, session: AsyncSession, lan: ChannelUser, lan_id: int, union_set: IndicatorSet
) -> None:
    await chat.send(lan, "/baocao")
    await chat.send(lan, "100")  # workers
    said = await chat.send(lan, "150")  # union members
    assert "không được lớn hơn" in said and "Câu 2/" in said
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None and draft.step == 1 and "union_members" not in draft.answers


async def test_vietnamese_number_forms_are_all_1500(
    chat: Chat, session: AsyncSession, lan: ChannelUser, lan_id: int
) -> None:
    for typed in ("1.500", "1 500", "1500"):
        await chat.send(lan, "/baocao")
        await chat.send(lan, typed)
        draft = await session.scalar(select(ReportDraft))
        assert draft is not None and draft.answers["workers"]["v"] == "1500"
        await session.delete(draft)
        await session.commit()


async def test_big_jump_asks_are_you_sure_and_keeps_the_reason(
    chat: Chat,
    session: AsyncSession,
    uow: UnitOfWork,
    lan: ChannelUser,
    lan_id: int,
    tree: Tree,
    clock: Clock,
    union_set: IndicatorSet,
) -> None:
    # October was reported with 1.000 workers.
    clock.set_local(2026, 10, 20)
    await chat.send(lan, "/baocao")
    october = plausible(union_set) | {"workers": "1000", "union_members": "800"}
    await answer_through(chat, lan, union_set, october)
    await chat.press(lan, "Gửi báo cáo")
    clock.set_local(2026, 11, 20)

    question = await chat.send(lan, "/baocao")
    assert "Tháng trước: 1.000 người" in question
    labels = [b["text"] for b in chat.last_with_buttons(lan).buttons]
    assert "Giữ như tháng trước: 1.000 người" in labels
    said = await chat.send(lan, "2.000")
    assert "thay đổi nhiều" in said and "1.000 người → 2.000 người" in said
    assert "lý do" in (await chat.press(lan, "Đúng")).lower()
    next_question = await chat.send(lan, "Mở thêm dây chuyền mới")
    assert "Câu 2/" in next_question
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None
    assert draft.answers["workers"] == {"v": "2000", "note": "Mở thêm dây chuyền mới"}

    # "Type it again" drops the pending value.
    await chat.send(lan, "5000")  # union members: 800 → 5000 is a jump, and ≤ 2000 fails first
    said = await chat.send(lan, "1900")
    assert "thay đổi nhiều" in said
    again = await chat.press(lan, "Nhập lại")
    assert "Câu 2/" in again
    # A number typed at "is that right?" is a corrected answer.
    assert "thay đổi nhiều" in await chat.send(lan, "1800")
    corrected = await chat.send(lan, "810")
    assert "Câu 3/" in corrected
    await chat.press(lan, "Quay lại")
    # Keep last month's value of a stock with its button.
    kept = await chat.press(lan, "Giữ như tháng trước")
    assert "Câu 3/" in kept
    session.expire_all()
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None and draft.answers["union_members"]["v"] == "800"


async def test_restart_in_the_middle_resumes_at_the_same_question(
    settings: Settings,
    uow: UnitOfWork,
    clock: Clock,
    session: AsyncSession,
    lan: ChannelUser,
    lan_id: int,
    union_set: IndicatorSet,
) -> None:
    first = await start_app(settings, uow, clock)
    await first.send(lan, "/baocao")
    await answer_through(first, lan, union_set, plausible(union_set), upto=3)
    await stop_app(first)

    second = await start_app(settings, uow, clock)
    try:
        said = await second.send(lan, plausible(union_set)[union_set.indicators[3].code])
        assert "Câu 5/" in said  # the 4th answer was taken: the conversation went on
        draft = await session.scalar(select(ReportDraft))
        assert draft is not None and draft.step == 4
        assert [c for c in union_set.indicators[:4] if c.code not in draft.answers] == []
    finally:
        await stop_app(second)


async def test_a_typed_answer_delivered_again_after_a_crash_answers_nothing_more(
    settings: Settings,
    uow: UnitOfWork,
    clock: Clock,
    session: AsyncSession,
    lan: ChannelUser,
    lan_id: int,
    union_set: IndicatorSet,
) -> None:
    """The process handled an answer, then died before Telegram learnt it (the offset was not
    yet confirmed): the same message arrives again and must not answer the next question."""
    first = await start_app(settings, uow, clock)
    await first.send(lan, "/baocao")
    answers = plausible(union_set)
    await answer_through(first, lan, union_set, answers, upto=2)
    third = first.updates.message(lan, answers[union_set.indicators[2].code])
    await first.feed(third)
    await stop_app(first)  # as if killed: what was committed stays

    second = await start_app(settings, uow, clock)
    try:
        said = second._to(await second.feed(third), lan.user_id)
        assert "Câu 4/" in said  # the current question again, nothing answered
        draft = await session.scalar(select(ReportDraft))
        assert draft is not None and draft.step == 3
        assert union_set.indicators[3].code not in draft.answers
        # A new message with the same words is a new answer, of course.
        said = await second.send(lan, answers[union_set.indicators[3].code])
        assert "Câu 5/" in said
    finally:
        await stop_app(second)


async def test_double_tap_on_send_makes_one_report(
    chat: Chat, session: AsyncSession, lan: ChannelUser, lan_id: int, union_set: IndicatorSet
) -> None:
    await chat.send(lan, "/baocao")
    await answer_through(chat, lan, union_set, plausible(union_set))
    send = next(b for b in chat.last_with_buttons(lan).buttons if "Gửi" in b["text"])
    first = await chat.callback(lan, send["callback_data"])
    second = await chat.callback(lan, send["callback_data"])
    assert "Đã nhận báo cáo" in first
    assert "Đã nhận báo cáo" not in second
    assert await session.scalar(select(func.count()).select_from(Report)) == 1


async def test_a_button_from_an_earlier_step_changes_nothing(
    chat: Chat, session: AsyncSession, lan: ChannelUser, lan_id: int, union_set: IndicatorSet
) -> None:
    await chat.send(lan, "/baocao")
    await chat.send(lan, "1200")
    back_at_step_1 = next(b for b in chat.last_with_buttons(lan).buttons if "Quay lại" in b["text"])
    await chat.send(lan, "1000")
    said = await chat.callback(lan, back_at_step_1["callback_data"])
    assert "bước trước" in said
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None and draft.step == 2


async def test_another_users_button_is_refused(
    chat: Chat,
    session: AsyncSession,
    lan: ChannelUser,
    hung: ChannelUser,
    lan_id: int,
    tree: Tree,
) -> None:
    await make_person(session, hung.user_id, "Trần Văn Hùng", units=(tree.other_union.id,))
    await chat.send(lan, "/baocao")
    await chat.send(lan, "1200")
    lans_back = next(b for b in chat.last_with_buttons(lan).buttons if "Quay lại" in b["text"])
    # Outside any conversation it is just an expired button…
    assert "hết hiệu lực" in await chat.callback(hung, lans_back["callback_data"])
    # …and inside his own report the server refuses it: he does not serve Lan's unit.
    await chat.send(hung, "/baocao")
    said = await chat.callback(hung, lans_back["callback_data"])
    assert "không còn là) cán bộ của đơn vị này" in said
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None and draft.step == 1 and draft.owner_person_id == lan_id


async def test_a_unit_no_longer_served_is_refused(
    chat: Chat, session: AsyncSession, uow: UnitOfWork, lan: ChannelUser, lan_id: int
) -> None:
    await chat.send(lan, "/baocao")
    await chat.send(lan, "1200")
    async with uow() as other:
        role = await other.scalar(select(RoleAssignment).where(RoleAssignment.person_id == lan_id))
        assert role is not None
        role.revoked_at = utcnow()
        await other.commit()
    said = await chat.send(lan, "1000")
    assert "không còn là) cán bộ của đơn vị này" in said
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None and draft.step == 1


async def test_non_text_where_a_number_is_expected_gets_a_hint(
    chat: Chat, session: AsyncSession, lan: ChannelUser, lan_id: int
) -> None:
    await chat.send(lan, "/baocao")
    for make in (
        chat.updates.sticker,
        chat.updates.photo,
        chat.updates.voice,
        chat.updates.location,
    ):
        said = "\n".join(c.text for c in await chat.feed(make(lan)))
        assert "trả lời bằng chữ" in said and "Câu 1/" in said
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None and draft.step == 0


async def test_cancel_keeps_the_draft_unless_deleted(
    chat: Chat, session: AsyncSession, lan: ChannelUser, lan_id: int
) -> None:
    await chat.send(lan, "/baocao")
    await chat.send(lan, "1200")
    assert "Giữ bản nháp" in await chat.send(lan, "/cancel")
    assert "/baocao để tiếp tục" in await chat.press(lan, "Giữ bản nháp")
    resumed = await chat.send(lan, "/baocao")
    assert "Câu 2/" in resumed
    await chat.press(lan, "Tạm dừng")
    assert "đã được xóa" in await chat.press(lan, "Xóa bản nháp")
    assert await session.scalar(select(func.count()).select_from(ReportDraft)) == 0
    assert "Câu 1/" in await chat.send(lan, "/baocao")


async def test_two_officers_one_draft_and_a_takeover(
    chat: Chat,
    session: AsyncSession,
    lan: ChannelUser,
    hung: ChannelUser,
    lan_id: int,
    tree: Tree,
    union_set: IndicatorSet,
) -> None:
    hung_id = await make_person(session, hung.user_id, "Trần Văn Hùng", units=(tree.union.id,))
    await chat.send(lan, "/baocao")
    await chat.send(lan, "1200")
    held = await chat.send(hung, "/baocao")
    assert "Nguyễn Thị Lan" in held and "Bạn có muốn làm tiếp báo cáo này không?" in held
    assert "Tiếp quản" not in held  # an office word: the button says what the officer does
    taken = await chat.press(hung, "Tôi làm tiếp")
    assert "Câu 2/" in taken  # Lan's answer is kept
    refused = await chat.send(lan, "1000")
    assert "Trần Văn Hùng đã nhận làm tiếp báo cáo này" in refused
    answers = plausible(union_set)
    said = ""
    for indicator in union_set.indicators[1:]:
        said = await chat.send(hung, answers[indicator.code])
    assert "Kiểm tra báo cáo" in said and "1.200 người" in said  # Lan's first answer kept
    await chat.press(hung, "Gửi báo cáo")
    report = await session.scalar(select(Report))
    assert report is not None and report.submitted_by_person_id == hung_id
    assert await session.scalar(select(func.count()).select_from(Report)) == 1
    # Lan now finds the month submitted: she is told so and offered the amendment, not a
    # second report.
    told = await chat.send(lan, "/baocao")
    assert "đã được gửi" in told and "Trần Văn Hùng" in told and f"BC-{report.id:06d}" in told
    assert "Kiểm tra báo cáo đã sửa" in await chat.press(lan, "Sửa báo cáo")


async def test_amending_until_the_lock_day_keeps_an_audit_trail(
    chat: Chat, session: AsyncSession, lan: ChannelUser, lan_id: int, union_set: IndicatorSet
) -> None:
    await chat.send(lan, "/baocao")
    await answer_through(chat, lan, union_set, plausible(union_set))
    await chat.press(lan, "Gửi báo cáo")

    assert "đã được gửi" in await chat.send(lan, "/baocao")
    review = await chat.press(lan, "Sửa báo cáo")
    assert "Kiểm tra báo cáo đã sửa" in review
    await chat.press(lan, "Sửa một mục")
    question = await chat.press(lan, "1. ")
    assert "Câu 1/" in question and "Đã nhập: 1.200 người" in question
    back_to_review = await chat.send(lan, "1.250")
    assert "Kiểm tra báo cáo đã sửa" in back_to_review and "1.250 người" in back_to_review
    assert "lý do" in (await chat.press(lan, "Gửi bản sửa")).lower()
    saved = await chat.send(lan, "Số liệu nhân sự cập nhật")
    # People count amendments, not versions: the first change is "sửa lần 1".
    assert "Đã lưu bản sửa" in saved and "(sửa lần 1, 1 mục thay đổi)" in saved

    change = await session.scalar(select(ReportChange))
    assert change is not None
    assert (change.indicator_code, change.old_value, change.new_value) == (
        "workers",
        Decimal(1200),
        Decimal(1250),
    )
    assert change.reason == "Số liệu nhân sự cập nhật" and change.person_id == lan_id
    report = await session.scalar(select(Report))
    assert report is not None and report.revision == 2


async def test_after_the_lock_day_only_an_admin_unlock_reopens(
    chat: Chat,
    session: AsyncSession,
    uow: UnitOfWork,
    lan: ChannelUser,
    lan_id: int,
    tree: Tree,
    clock: Clock,
    settings: Settings,
) -> None:
    clock.set_local(2026, 12, 20)  # November locked (lock day in December has passed)
    # Only December is open: it is asked straight away, November is not offered.
    said = await chat.send(lan, "/baocao")
    assert "Báo cáo tháng 12/2026" in said and "Câu 1/" in said
    async with uow() as other:
        await reporting.unlock(
            other,
            unit_code=tree.union.code,
            period=NOVEMBER,
            until=clock.now + timedelta(days=3),
            actor="cli:test",
        )
    await chat.send(lan, "/baocao")
    offered = [b["text"] for b in chat.last_with_buttons(lan).buttons]
    assert any("Tháng 11/2026 — được cơ quan thường trực mở lại" in label for label in offered)


async def test_late_report_is_accepted_and_marked_late(
    chat: Chat,
    session: AsyncSession,
    lan: ChannelUser,
    lan_id: int,
    clock: Clock,
    union_set: IndicatorSet,
) -> None:
    clock.set_local(2026, 11, 27)  # after the 25th (a Wednesday): overdue, not locked
    await chat.send(lan, "/baocao")
    await answer_through(chat, lan, union_set, plausible(union_set))
    receipt = await chat.press(lan, "Gửi báo cáo")
    assert "nộp muộn" in receipt
    report = await session.scalar(select(Report))
    assert report is not None and report.late


async def test_status_lists_due_submitted_and_missing(
    chat: Chat,
    session: AsyncSession,
    lan: ChannelUser,
    lan_id: int,
    clock: Clock,
    union_set: IndicatorSet,
) -> None:
    status = await chat.send(lan, "/trangthai")
    assert "CĐCS Công ty May Hà Phong" in status
    assert "Tháng 11/2026: chưa nộp — hạn nộp 25/11/2026; khóa từ ngày 10/12/2026" in status
    assert "Tháng 10/2026: chưa nộp — đã khóa từ ngày 10/11/2026" in status
    await chat.send(lan, "/baocao")
    await answer_through(chat, lan, union_set, plausible(union_set))
    await chat.press(lan, "Gửi báo cáo")
    assert "Tháng 11/2026: đã nộp ngày 20/11/2026; sửa được trước ngày 10/12/2026" in (
        await chat.send(lan, "/trangthai")
    )


async def test_people_who_are_not_officers_are_told(
    chat: Chat, session: AsyncSession, hung: ChannelUser, tree: Tree
) -> None:
    assert "đăng ký" in (await chat.send(hung, "/baocao")).lower()
    await make_person(session, hung.user_id, "Trần Văn Hùng")
    assert "không phải là cán bộ" in await chat.send(hung, "/baocao")
    person = await session.scalar(select(Person))
    assert person is not None


async def test_the_conversation_timeout_keeps_the_draft(
    settings: Settings,
    uow: UnitOfWork,
    clock: Clock,
    session: AsyncSession,
    lan: ChannelUser,
    lan_id: int,
) -> None:
    quick = settings.model_copy(update={"report_timeout_minutes": 0.01})  # 0,6 s
    chat = await start_app(quick, uow, clock)
    try:
        await chat.send(lan, "/baocao")
        await chat.send(lan, "1200")
        await asyncio.sleep(1.5)
        assert "Đã tạm dừng vì chờ lâu" in chat.api.sent(lan.user_id)[-1].text
        # The next number is not taken as an answer: the conversation has ended…
        assert "Câu 3/" not in await chat.send(lan, "1000")
        # …and /baocao resumes the kept draft at question 2.
        assert "Câu 2/" in await chat.send(lan, "/baocao")
    finally:
        await stop_app(chat)
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None and draft.answers["workers"]["v"] == "1200"


async def test_editing_an_earlier_answer_changes_nothing(
    chat: Chat, session: AsyncSession, lan: ChannelUser, lan_id: int
) -> None:
    await chat.send(lan, "/baocao")
    await chat.send(lan, "1200")
    said = "\n".join(c.text for c in await chat.feed(chat.updates.edited(lan, "1300")))
    assert "Sửa tin nhắn đã gửi không thay đổi gì" in said
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None and draft.step == 1 and draft.answers["workers"]["v"] == "1200"
    assert "union_members" not in draft.answers


async def test_an_old_button_is_answered_once_and_the_question_asked_again(
    chat: Chat, lan: ChannelUser, lan_id: int, union_set: IndicatorSet
) -> None:
    """Found by faults/fuzz.py: the refusal and the question asked again both answered the
    press, and Telegram refuses a second answer."""
    await chat.send(lan, "/baocao")
    await chat.send(lan, "1.200")
    back = next(b for b in chat.last_with_buttons(lan).buttons if "Quay lại" in b["text"])
    await chat.send(lan, "1.000")  # question 3 now: the back button of question 2 is old
    chat.api.clear()
    said = await chat.callback(lan, back["callback_data"])
    assert "Câu 3/" in said and "sự cố" not in said
    assert len([c for c in chat.api.calls if c.method == "answerCallbackQuery"]) == 1


@pytest.mark.parametrize(
    "data",
    [
        "rpt:v1:open:x",
        "rpt:v1:open:1:2026-13",
        "rpt:v1:open:99999999999999999999:2026-11",
        "rpt:v1:unit:1:2",
        "!rpt:v1:keep:1",
        "!rpt:v1:jumpok:x:1",
        "rpt:v1:submit:1",
        "rpt:v1:item:1:x",
        "rpt:v1:discard:",
    ],
)
async def test_malformed_button_data_is_an_expired_button(
    chat: Chat, lan: ChannelUser, lan_id: int, data: str
) -> None:
    """Found by faults/fuzz.py: data in no shape the bot sends failed with ValueError."""
    await chat.send(lan, "/baocao")
    said = await chat.callback(lan, data)
    assert "hết hiệu lực" in said and "sự cố" not in said


# --- found by faults/bot_api_storm.py and faults/sigkill.py ------------------------------------


@pytest.mark.parametrize(
    "failures",
    [
        [(502, "Bad Gateway", {})],
        [(500, "Internal Server Error", {}), (502, "Bad Gateway", {}), (502, "Bad Gateway", {})],
        [(429, "Too Many Requests: retry after 1", {"retry_after": 0})] * 2,
    ],
    ids=["502", "500-then-502s", "429s"],
)
async def test_the_receipt_is_shown_after_a_failed_send(
    chat: Chat,
    session: AsyncSession,
    lan: ChannelUser,
    lan_id: int,
    union_set: IndicatorSet,
    monkeypatch: pytest.MonkeyPatch,
    failures: list[tuple[int, str, dict[str, object]]],
) -> None:
    """The report is stored before its receipt is shown: a Bot API failure at that moment left
    an officer who never saw it (and whose next /baocao opened an amendment)."""
    monkeypatch.setattr(report_conversation, "RECEIPT_RETRY_DELAYS", (0.01,) * 5)
    await chat.send(lan, "/baocao")
    await answer_through(chat, lan, union_set, plausible(union_set))
    chat.api.failures[str(lan.user_id)] = list(failures)
    await chat.press(lan, "Gửi báo cáo")
    shown: list[str] = []
    for _ in range(200):
        shown = [c.text for c in chat.api.sent(lan.user_id) if "Đã nhận báo cáo" in c.text]
        if shown:
            break
        await asyncio.sleep(0.01)
    report = await session.scalar(select(Report))
    assert report is not None
    assert len(shown) == 1 and f"BC-{report.id:06d}" in shown[0], shown


async def test_a_month_already_sent_is_said_so_before_any_amendment(
    chat: Chat, session: AsyncSession, lan: ChannelUser, lan_id: int, union_set: IndicatorSet
) -> None:
    """Coming back after a receipt that never arrived: told the report went in (number, when,
    who); an amendment draft only when asked for."""
    await chat.send(lan, "/baocao")
    await answer_through(chat, lan, union_set, plausible(union_set))
    await chat.press(lan, "Gửi báo cáo")
    report = await session.scalar(select(Report))
    assert report is not None

    told = await chat.send(lan, "/baocao")
    assert "Báo cáo tháng 11/2026 — CĐCS Công ty May Hà Phong đã được gửi lúc" in told
    assert f"BC-{report.id:06d}" in told and "Nguyễn Thị Lan" in told
    assert "Kiểm tra báo cáo đã sửa" not in told and "sửa lần" not in told
    assert await session.scalar(select(func.count()).select_from(ReportDraft)) == 0
    assert "không có gì thay đổi" in await chat.press(lan, "Không, giữ nguyên")
    assert await session.scalar(select(func.count()).select_from(ReportDraft)) == 0

    await chat.send(lan, "/baocao")
    assert "Kiểm tra báo cáo đã sửa" in await chat.press(lan, "Sửa báo cáo")
    draft = await session.scalar(select(ReportDraft))
    assert draft is not None and draft.amending_report_id == report.id
    # Sent again unchanged: refused before any reason is asked, and nothing is stored.
    refused = await chat.press(lan, "Gửi bản sửa")
    assert "Không có số liệu nào khác với báo cáo đã gửi, nên không lưu gì" in refused
    assert "lý do" not in refused.lower()
    assert await session.scalar(select(func.count()).select_from(ReportDraft)) == 0
    assert await session.scalar(select(func.count()).select_from(ReportChange)) == 0
    session.expire_all()
    assert (await session.scalar(select(Report.revision))) == 1
    assert "đã được sửa" not in await chat.send(lan, "/baocao")


async def _restart_losing_the_state(
    chat: Chat, settings: Settings, uow: UnitOfWork, clock: Clock, state: int | None
) -> Chat:
    """Stop the bot, put the report conversation's stored state back to ``state`` (None: never
    written), as if the last write (up to a second late) had been lost, and start again."""
    await stop_app(chat)
    async with uow() as session:
        if state is None:
            await session.execute(delete(ConversationState))
        else:
            await session.execute(update(ConversationState).values(state=state))
        await session.commit()
    return await start_app(settings, uow, clock)


async def test_after_a_restart_that_lost_the_state_the_current_button_works(
    settings: Settings,
    uow: UnitOfWork,
    clock: Clock,
    session: AsyncSession,
    lan: ChannelUser,
    lan_id: int,
    union_set: IndicatorSet,
) -> None:
    yes_no = next(
        i for i, ind in enumerate(union_set.indicators) if ind.kind is IndicatorKind.YES_NO
    )
    first = await start_app(settings, uow, clock)
    await first.send(lan, "/baocao")
    asked = await answer_through(first, lan, union_set, plausible(union_set), upto=yes_no)
    assert f"Câu {yes_no + 1}/" in asked
    yes = next(b for b in first.last_with_buttons(lan).buttons if b["text"] == "Có")
    second = await _restart_losing_the_state(first, settings, uow, clock, None)
    try:
        said = await second.callback(lan, yes["callback_data"])
        assert "hết hiệu lực" not in said and f"Câu {yes_no + 2}/" in said
        draft = await session.scalar(select(ReportDraft))
        assert draft is not None and draft.step == yes_no + 1
        assert draft.answers[union_set.indicators[yes_no].code]["v"] == "1"
        # The conversation is back in its state: the next typed answer is taken.
        assert f"Câu {yes_no + 3}/" in await second.send(lan, "3")
    finally:
        await stop_app(second)


async def test_send_pressed_after_a_restart_rolled_the_state_back_sends(
    settings: Settings,
    uow: UnitOfWork,
    clock: Clock,
    session: AsyncSession,
    lan: ChannelUser,
    lan_id: int,
    union_set: IndicatorSet,
) -> None:
    first = await start_app(settings, uow, clock)
    await first.send(lan, "/baocao")
    assert "Kiểm tra báo cáo" in await answer_through(first, lan, union_set, plausible(union_set))
    send = next(b for b in first.last_with_buttons(lan).buttons if "Gửi" in b["text"])
    # The review's state was not written: the stored state is still "answering".
    second = await _restart_losing_the_state(first, settings, uow, clock, ANSWERING)
    try:
        receipt = await second.callback(lan, send["callback_data"])
        assert "Đã nhận báo cáo" in receipt and "hết hiệu lực" not in receipt
        assert await session.scalar(select(func.count()).select_from(Report)) == 1
    finally:
        await stop_app(second)


async def test_an_earlier_steps_button_after_a_restart_shows_where_the_draft_is(
    settings: Settings,
    uow: UnitOfWork,
    clock: Clock,
    session: AsyncSession,
    lan: ChannelUser,
    lan_id: int,
) -> None:
    first = await start_app(settings, uow, clock)
    await first.send(lan, "/baocao")
    await first.send(lan, "1200")
    back = next(b for b in first.last_with_buttons(lan).buttons if "Quay lại" in b["text"])
    await first.send(lan, "1000")  # question 3 now: the back button of question 2 is old
    second = await _restart_losing_the_state(first, settings, uow, clock, None)
    try:
        said = await second.callback(lan, back["callback_data"])
        assert "bước trước" in said and "Câu 3/" in said and "hết hiệu lực" not in said
        draft = await session.scalar(select(ReportDraft))
        assert draft is not None and draft.step == 2
        assert "Câu 4/" in await second.send(lan, "3")
    finally:
        await stop_app(second)
