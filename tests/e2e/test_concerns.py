"""Workers' concerns through the real Application: QR entry, promise, category, text, preview,
send, receipt, /kiemtra, the officers' inbox, replies, push, escalation, notices, abuse."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import build_application
from bot.channels.local_bot_api import LocalBotApi
from handlers.concerns import jobs as concern_jobs
from infra.channel_updates import ChannelUser
from infra.settings import Settings
from models import Concern, ConcernReply, ConcernStatus, ReportingUnit, UnitKind
from models.db import UnitOfWork
from services.concerns import load_concern_config
from testkit.chat import Chat, Clock, raise_concern, release
from testkit.org import Tree, make_person, make_tree

RECEIPT = re.compile(r"\d{4} \d{4} \d{4}")


@pytest.fixture
def worker() -> ChannelUser:
    return ChannelUser(4440001, "Công", "Nhân", language_code="vi")


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    tree = await make_tree(session)
    session.add(
        ReportingUnit(
            code="CD-KCN-QC",
            kind=UnitKind.ZONE_UNION,
            name="Công đoàn KCN Quang Châu",
            org_node_id=tree.zone.id,
        )
    )
    await session.commit()
    return tree


@pytest.fixture
async def lan_id(session: AsyncSession, tree: Tree, lan: ChannelUser) -> int:
    return await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))


async def test_worker_sends_and_follows_up_officer_answers(
    chat: Chat, session: AsyncSession, worker: ChannelUser, lan: ChannelUser, lan_id: int
) -> None:
    receipt = await raise_concern(chat, worker, "Tiền tăng ca tháng 10 chưa được trả.")
    status = await chat.send(worker, f"/kiemtra {receipt}")
    assert "Trạng thái: Đã tiếp nhận" in status and "Chưa có trả lời" in status
    assert "Tiền tăng ca" not in status  # the receipt shows answers, not the worker's own text

    await release(chat)
    inbox = await chat.send(lan, "/hopthu")
    assert "Tiền tăng ca tháng 10 chưa được trả." in inbox and "Tiền lương" in inbox
    assert re.search(r"\d{2}:\d{2}", inbox) is None  # the day, never the time
    assert "Viết trả lời" in await chat.press(lan, "Trả lời")
    done = await chat.send(lan, "Công đoàn đã làm việc với phòng nhân sự, sẽ trả trong tuần.")
    assert "ký tên “CĐCS Công ty May Hà Phong”" in done

    answer = await chat.send(worker, f"/kiemtra {receipt.replace(' ', '')}")
    assert "Công đoàn đã làm việc với phòng nhân sự" in answer
    assert "CĐCS Công ty May Hà Phong" in answer and "Nguyễn Thị Lan" not in answer
    assert "Đã trả lời" in answer


async def push_batch(chat: Chat) -> None:
    """The pushed-answers job (every ``push_every_minutes``), without its random extra wait."""
    setup = chat.app.bot_data.concerns
    setup.config = setup.config.model_copy(update={"push_jitter_minutes": 0})
    context = SimpleNamespace(bot_data=chat.app.bot_data, bot=chat.app.bot)
    await concern_jobs.push_answers(context)  # type: ignore[arg-type]


def pushed(chat: Chat, user: ChannelUser) -> list[str]:
    return [c.text for c in chat.api.sent(user.user_id) if "Công đoàn đã trả lời" in c.text]


async def answer_both(
    chat: Chat, lan: ChannelUser, markers: tuple[str, ...], text: str
) -> dict[str, list[str]]:
    """The officer answers the case with each marker; per case, every Bot API call the
    officer's answer caused (its case code masked)."""
    await chat.send(lan, "/hopthu")
    cases = [c for c in chat.api.sent(lan.user_id) if c.buttons]
    seen = {}
    for marker in markers:
        case = next(c for c in cases if marker in c.text)
        found = re.search(r"TT-\w+", case.text)
        assert found is not None
        answer = next(b for b in case.buttons if "Trả lời" in b["text"])
        await chat.callback(lan, answer["callback_data"])
        calls = await chat.feed(chat.updates.message(lan, text))
        seen[marker] = [
            json.dumps(
                {"method": c.method, **c.params}, sort_keys=True, default=str, ensure_ascii=False
            ).replace(found.group(0), "TT-?")
            for c in calls
        ]
    return seen


async def test_the_officers_answer_is_the_same_whether_or_not_the_worker_asked_for_pushes(
    chat: Chat, tree: Tree, worker: ChannelUser, lan: ChannelUser, lan_id: int
) -> None:
    other = ChannelUser(4440002, "Người", "Khác")
    await raise_concern(chat, worker, "Nhà vệ sinh xưởng 2 hỏng.", push=True)
    await raise_concern(chat, other, "Không có nước uống ca đêm.")
    await release(chat)
    seen = await answer_both(chat, lan, ("Nhà vệ sinh", "nước uống"), "Đã báo ban giám đốc.")
    # The officer's request calls the Bot API for the officer's chat only: a push sent (or
    # failing) there would make "sent" slower for workers who opted in.
    assert seen["Nhà vệ sinh"] and all(str(lan.user_id) in call for call in seen["Nhà vệ sinh"])
    assert all(f'"chat_id": "{worker.user_id}"' not in call for call in seen["Nhà vệ sinh"])
    # The same calls with the same words either way: whether the worker opted in is theirs.
    assert seen["Nhà vệ sinh"] == seen["nước uống"]
    said = json.loads(seen["Nhà vệ sinh"][-1])["text"]
    assert re.fullmatch(r"Đã gửi trả lời cho TT-\?, ký tên “CĐCS Công ty May Hà Phong”\.", said)
    assert pushed(chat, worker) == []


async def test_pushed_answers_go_out_later_in_a_batch_exactly_once(
    chat: Chat,
    session: AsyncSession,
    tree: Tree,
    worker: ChannelUser,
    lan: ChannelUser,
    lan_id: int,
) -> None:
    other = ChannelUser(4440002, "Người", "Khác")
    await raise_concern(chat, worker, "Nhà vệ sinh xưởng 2 hỏng.", push=True)
    await raise_concern(chat, other, "Không có nước uống ca đêm.")
    await release(chat)
    await answer_both(chat, lan, ("Nhà vệ sinh", "nước uống"), "Đã báo ban giám đốc.")
    assert pushed(chat, worker) == []  # not when the officer pressed send
    await push_batch(chat)
    (answer,) = pushed(chat, worker)
    assert "Đã báo ban giám đốc." in answer and "Nguyễn Thị Lan" not in answer
    await push_batch(chat)  # the next batch does not send it again
    assert len(pushed(chat, worker)) == 1
    assert pushed(chat, other) == []  # only to workers who asked
    assert not await session.scalar(select(func.count()).where(ConcernReply.push_pending))


async def test_small_enterprise_warning_and_entry_without_link(
    chat: Chat, tree: Tree, worker: ChannelUser
) -> None:
    assert "ít người lao động" in await chat.send(worker, "/start c_DN-02")
    assert "Nhập mã doanh nghiệp" in await chat.send(worker, "/tamtu")
    assert "Không có doanh nghiệp nào mang mã này" in await chat.send(worker, "DN-99")
    promise = await chat.send(worker, "dn-01")
    assert "CĐCS Công ty May Hà Phong" in promise and "ít người lao động" not in promise


async def test_long_text_is_asked_to_be_shortened_never_cut(
    chat: Chat, session: AsyncSession, tree: Tree, worker: ChannelUser
) -> None:
    await chat.send(worker, "/start c_DN-01")
    await chat.press(worker, "Tiếp tục")
    await chat.press(worker, "Tiền lương")
    said = await chat.send(worker, "a" * 2001)
    assert "2.001" in said or "2001" in said
    assert "Vui lòng kiểm tra trước khi gửi" not in said
    assert "Vui lòng kiểm tra trước khi gửi" in await chat.send(worker, "a" * 2000)
    assert await session.scalar(select(func.count()).select_from(Concern)) == 0


async def test_media_forwards_and_edits_are_refused_with_reasons(
    chat: Chat, session: AsyncSession, tree: Tree, worker: ChannelUser
) -> None:
    await chat.send(worker, "/start c_DN-01")
    await chat.press(worker, "Tiếp tục")
    await chat.press(worker, "An toàn")
    photo = "\n".join(c.text for c in await chat.feed(chat.updates.photo(worker)))
    assert "Không nhận ảnh" in photo
    voice = "\n".join(c.text for c in await chat.feed(chat.updates.voice(worker)))
    assert "Không nhận tin nhắn thoại" in voice
    document = chat.updates.message(worker, None, document={"file_id": "d", "file_unique_id": "d"})
    assert "Không nhận ảnh, video hay tệp" in "\n".join(c.text for c in await chat.feed(document))
    forwarded = await chat.feed(chat.updates.forwarded(worker, "Chuyển tiếp từ nhóm"))
    assert "Không nhận tin nhắn chuyển tiếp" in forwarded[-1].text
    await chat.send(worker, "Máy dập không có che chắn.")
    await chat.press(worker, "✅ Gửi")
    edited = await chat.feed(chat.updates.edited(worker, "Máy dập ĐÃ có che chắn."))
    assert "Sửa tin nhắn đã gửi không thay đổi gì" in edited[-1].text
    assert await session.scalar(select(func.count()).select_from(Concern)) == 1


async def test_officer_text_is_cleaned_and_never_markup(
    chat: Chat, tree: Tree, worker: ChannelUser, lan: ChannelUser, lan_id: int
) -> None:
    await raise_concern(chat, worker, "<b>Gấp</b> *quản đốc*\u200b la\u202e mắng")
    await release(chat)
    await chat.send(lan, "/hopthu")
    case = next(c for c in chat.api.sent(lan.user_id) if "Gấp" in c.text)
    assert "<b>Gấp</b> *quản đốc* la mắng" in case.text
    assert "parse_mode" not in case.params


async def test_limits_without_identity(
    chat: Chat, session: AsyncSession, tree: Tree, worker: ChannelUser
) -> None:
    for number in range(3):
        await raise_concern(chat, worker, f"Tâm tư số {number}")
    # Refused when starting the fourth, before any writing (test_worker_path.py has the rest).
    refused = await chat.send(worker, "/start c_DN-01")
    assert "Hôm nay bạn đã gửi 3 tâm tư" in refused and "KHÔNG biết" not in refused
    assert await session.scalar(select(func.count()).select_from(Concern)) == 3

    # Receipt guessing: a wrong and an unknown receipt get the same answer, then a limit.
    wrong = await chat.send(worker, "/kiemtra 1111 2222 3333")
    unknown = await chat.send(worker, "/kiemtra 9999 8888 7777")
    assert wrong == unknown
    answers = [await chat.send(worker, f"/kiemtra 1234 5678 90{n:02d}") for n in range(12)]
    assert answers[-1] != wrong


async def test_flooding_is_slowed(chat: Chat, tree: Tree, worker: ChannelUser) -> None:
    said = [await chat.send(worker, "/tamtu") for _ in range(25)]
    assert any("quá nhanh" in s for s in said)
    assert "quá nhanh" not in said[0]
    # Another account is not slowed by it.
    assert "Nhập mã doanh nghiệp" in await chat.send(ChannelUser(4449999, "Khác"), "/tamtu")


async def test_officers_see_only_their_enterprises(
    chat: Chat,
    session: AsyncSession,
    tree: Tree,
    worker: ChannelUser,
    hung: ChannelUser,
    lan_id: int,
    lan: ChannelUser,
) -> None:
    await make_person(session, hung.user_id, "Trần Văn Hùng", units=(tree.other_union.id,))
    await raise_concern(chat, worker, "Bữa ăn ca thiếu rau.")
    await release(chat)
    assert "Không có tâm tư nào đang chờ" in await chat.send(hung, "/hopthu")
    await release(chat)
    await chat.send(lan, "/hopthu")
    reply_button = next(b for b in chat.last_with_buttons(lan).buttons if "Trả lời" in b["text"])
    refused = await chat.callback(hung, reply_button["callback_data"])
    assert "Viết trả lời" not in refused


async def test_escalation_by_hand_and_when_overdue(
    chat: Chat,
    session: AsyncSession,
    tree: Tree,
    worker: ChannelUser,
    lan: ChannelUser,
    lan_id: int,
    hung: ChannelUser,
    clock: Clock,
) -> None:
    zone_union = await session.scalar(
        select(ReportingUnit.id).where(ReportingUnit.kind == UnitKind.ZONE_UNION)
    )
    assert zone_union is not None
    await make_person(session, hung.user_id, "Trần Văn Hùng", units=(zone_union,))
    await raise_concern(chat, worker, "Không được ký hợp đồng.")
    await release(chat)
    assert "Không có tâm tư nào đang chờ" in await chat.send(hung, "/hopthu")
    await release(chat)
    await chat.send(lan, "/hopthu")
    asked = await chat.press(lan, "Chuyển lên")  # asked first: it cannot be taken back
    assert "Chuyển vụ việc TT-" in asked and "Đã chuyển" not in asked
    assert "Đã chuyển" in await chat.press(lan, "Có, chuyển lên")
    await release(chat)
    assert "Không được ký hợp đồng." in await chat.send(hung, "/hopthu")

    await raise_concern(chat, worker, "Nhà trẻ đóng cửa sớm.")
    clock.set_local(2026, 12, 5)  # more than 7 days unanswered
    await concern_jobs.escalate_overdue(SimpleNamespace(bot_data=chat.app.bot_data))  # type: ignore[arg-type]
    await release(chat)
    zone_inbox = await chat.send(hung, "/hopthu")
    assert "Nhà trẻ đóng cửa sớm." in zone_inbox and "QUÁ HẠN" in zone_inbox


async def test_new_case_notices_come_in_batches(
    chat: Chat,
    session: AsyncSession,
    tree: Tree,
    worker: ChannelUser,
    lan: ChannelUser,
    lan_id: int,
) -> None:
    chat.api.clear()
    await raise_concern(chat, worker, "Ca đêm không có xe đưa đón.")
    await raise_concern(chat, ChannelUser(4440003, "Ba"), "Phòng thay đồ chật.")
    assert chat.api.sent(lan.user_id) == []  # nothing right after submission
    context = SimpleNamespace(bot_data=chat.app.bot_data, bot=chat.app.bot)
    await concern_jobs.announce_new_concerns(context)  # type: ignore[arg-type]
    notices = chat.api.sent(lan.user_id)
    assert len(notices) == 1
    assert "Công ty TNHH May Hà Phong: 2 mới" in notices[0].text and "/hopthu" in notices[0].text
    await concern_jobs.announce_new_concerns(context)  # type: ignore[arg-type]
    assert len(chat.api.sent(lan.user_id)) == 1  # announced once


async def test_officers_see_new_cases_only_after_the_batch(
    chat: Chat, tree: Tree, worker: ChannelUser, lan: ChannelUser, lan_id: int
) -> None:
    await raise_concern(chat, worker, "Nước uống ca đêm không đủ.")
    assert "Không có tâm tư nào đang chờ" in await chat.send(lan, "/hopthu")
    await release(chat)
    assert "Nước uống ca đêm không đủ." in await chat.send(lan, "/hopthu")


async def test_after_escalation_only_the_zone_acts_and_it_is_not_escalated_again(
    chat: Chat,
    session: AsyncSession,
    tree: Tree,
    worker: ChannelUser,
    lan: ChannelUser,
    lan_id: int,
    hung: ChannelUser,
    clock: Clock,
) -> None:
    zone_union = await session.scalar(
        select(ReportingUnit.id).where(ReportingUnit.kind == UnitKind.ZONE_UNION)
    )
    assert zone_union is not None
    await make_person(session, hung.user_id, "Trần Văn Hùng", units=(zone_union,))
    await raise_concern(chat, worker, "Bị ép ký đơn nghỉ việc.")
    await release(chat)
    await chat.send(lan, "/hopthu")
    close = next(b for b in chat.last_with_buttons(lan).buttons if "Đóng" in b["text"])
    await chat.press(lan, "Chuyển lên")
    await chat.press(lan, "Có, chuyển lên")
    await release(chat)
    # The enterprise union can read it but not act: its old "close" button is refused…
    assert "sang trạng thái" not in await chat.callback(lan, close["callback_data"])
    # …and the zone union marks it in hand; the daily escalation does not take it back.
    await chat.send(hung, "/hopthu")
    assert "sang trạng thái: Đang xử lý" in await chat.press(hung, "Đang xử lý")
    clock.set_local(2026, 12, 5)
    await concern_jobs.escalate_overdue(SimpleNamespace(bot_data=chat.app.bot_data))  # type: ignore[arg-type]
    case = await session.scalar(select(Concern))
    assert case is not None and case.status.value == "in_progress" and not case.overdue


async def test_the_seal_of_an_answered_case_expires_without_closing_it(
    chat: Chat,
    session: AsyncSession,
    tree: Tree,
    worker: ChannelUser,
    lan: ChannelUser,
    lan_id: int,
    clock: Clock,
) -> None:
    await raise_concern(chat, worker, "Ca 3 không có xe.", push=True)
    await release(chat)
    await chat.send(lan, "/hopthu")
    await chat.press(lan, "Trả lời")
    await chat.send(lan, "Đã đề nghị bố trí xe.")  # answered on 20 November, never closed
    await push_batch(chat)
    context = SimpleNamespace(bot_data=chat.app.bot_data)
    clock.set_local(2026, 12, 19)
    await concern_jobs.expire_push_seals(context)  # type: ignore[arg-type]
    assert await session.scalar(select(Concern.push_sealed)) is not None  # 29 days
    clock.set_local(2026, 12, 20)
    await concern_jobs.expire_push_seals(context)  # type: ignore[arg-type]
    assert await session.scalar(select(Concern.push_sealed)) is None  # 30 days
    assert await session.scalar(select(Concern.status)) is ConcernStatus.ANSWERED  # still open


async def test_a_blocked_push_changes_nothing_for_the_officer_and_is_dropped(
    chat: Chat,
    tree: Tree,
    worker: ChannelUser,
    lan: ChannelUser,
    lan_id: int,
    app_logging: pytest.LogCaptureFixture,
) -> None:
    await raise_concern(chat, worker, "Ca 3 không có xe.", push=True)
    chat.api.failures[str(worker.user_id)] = [(403, "Forbidden: bot was blocked by the user", {})]
    await release(chat)
    await chat.send(lan, "/hopthu")
    await chat.press(lan, "Trả lời")
    said = await chat.send(lan, "Đã đề nghị bố trí xe.")
    assert re.fullmatch(r"Đã gửi trả lời cho TT-\S+, ký tên “CĐCS Công ty May Hà Phong”\.", said)
    chat.api.clear()
    app_logging.clear()
    await push_batch(chat)
    await push_batch(chat)  # dropped, not tried again
    tried = [c for c in chat.api.calls if c.chat_id == str(worker.user_id)]
    assert len(tried) == 1 and chat.api.failures[str(worker.user_id)] == []
    lines = [r.getMessage() for r in app_logging.records if r.name == concern_jobs.__name__]
    assert lines == ["a pushed answer could not be delivered"]


async def test_a_long_case_with_a_long_answer_fits_in_messages(
    chat: Chat, tree: Tree, worker: ChannelUser, lan: ChannelUser, lan_id: int
) -> None:
    receipt = await raise_concern(chat, worker, "chữ " * 499)  # 1.996 characters
    await release(chat)
    await chat.send(lan, "/hopthu")
    await chat.press(lan, "Trả lời")
    await chat.send(lan, "trả lời " * 250)  # 2.000 characters
    await chat.send(lan, "/hopthu")
    await chat.send(worker, f"/kiemtra {receipt}")
    assert all(len(c.text) <= 4096 for c in chat.api.sent())


async def test_inbox_buttons_are_answered_exactly_once(
    chat: Chat, tree: Tree, worker: ChannelUser, lan: ChannelUser, lan_id: int
) -> None:
    """Telegram refuses a second answer to one button press (found by faults/fuzz.py)."""
    await raise_concern(chat, worker, "Ca đêm không có nước uống.")
    await release(chat)
    await chat.send(lan, "/hopthu")
    buttons = {b["text"]: b["callback_data"] for b in chat.last_with_buttons(lan).buttons}
    for label in ("Trả lời", "Đang xử lý", "Chuyển lên"):
        data = next(d for text, d in buttons.items() if label in text)
        for pressed in (data, data + "0"):  # as sent, then with an id that names no case
            chat.api.clear()
            await chat.callback(lan, pressed)
            answers = [c for c in chat.api.calls if c.method == "answerCallbackQuery"]
            assert len(answers) == 1, (label, pressed)
            assert "sự cố" not in "\n".join(c.text for c in chat.api.sent(lan.user_id))
        await chat.send(lan, "/cancel")


async def test_push_batches_are_scheduled_with_a_random_phase_and_wait(
    settings: Settings, uow: UnitOfWork, clock: Clock
) -> None:
    config = load_concern_config()
    waits = [concern_jobs.batch_delay(config) for _ in range(200)]
    assert all(0 <= wait < config.push_jitter_minutes * 60 for wait in waits)
    assert len(set(waits)) > 100  # random, not one fixed delay
    scheduled = build_application(
        settings.model_copy(update={"scheduler_enabled": True}),
        uow,
        request=LocalBotApi(username="test_bot"),
        clock=clock,
    )
    assert scheduled.job_queue is not None
    jobs = {job.name: job for job in scheduled.job_queue.jobs()}
    pushes = jobs["concern-pushes"].job.trigger
    assert pushes.interval.total_seconds() == config.push_every_minutes * 60
    assert "concern-push-seals" in jobs
    # Tests (scheduler off) run the batch by hand: it never fires on its own there.
    manual = build_application(settings, uow, request=LocalBotApi(username="test_bot"), clock=clock)
    assert manual.job_queue is not None
    assert "concern-pushes" not in {job.name for job in manual.job_queue.jobs()}


# --- texts bound to their row (issue 13) -------------------------------------------------------
# A case moved to another enterprise, or an answer moved onto another case, by someone writing
# to the database: the officers and the worker read "cannot be read" in Vietnamese, the rest of
# the inbox and the status still work.


async def test_moved_texts_read_as_unreadable_and_nothing_breaks(
    chat: Chat,
    session: AsyncSession,
    tree: Tree,
    worker: ChannelUser,
    lan: ChannelUser,
    lan_id: int,
    hung: ChannelUser,
) -> None:
    await make_person(session, hung.user_id, "Trần Văn Hùng", units=(tree.other_union.id,))
    await raise_concern(chat, worker, "Tổ trưởng tổ 5 ép làm thêm giờ.")
    await release(chat)
    await chat.send(lan, "/hopthu")
    await chat.press(lan, "Trả lời")
    await chat.send(lan, "Công đoàn sẽ làm việc với tổ trưởng.")
    first = await session.scalar(select(Concern.id))
    other = ChannelUser(4440002, "Người", "Khác")
    receipt = await raise_concern(chat, other, "Phòng thay đồ không có khóa.")
    await release(chat)
    second = await session.scalar(select(Concern.id).where(Concern.id != first))

    # Someone with write access to the database: the answer under the other case, and the
    # first case handed to the other enterprise's union.
    await session.execute(
        update(ConcernReply).where(ConcernReply.concern_id == first).values(concern_id=second)
    )
    await session.execute(
        update(Concern).where(Concern.id == first).values(enterprise_id=tree.small_enterprise.id)
    )
    await session.commit()

    status = await chat.send(other, f"/kiemtra {receipt}")
    assert "Không đọc được câu trả lời này." in status
    assert "Công đoàn sẽ làm việc" not in status

    elsewhere = await chat.send(hung, "/hopthu")
    assert "Không đọc được nội dung này" in elsewhere and "Hãy báo quản trị viên" in elsewhere
    assert "Tổ trưởng tổ 5" not in elsewhere

    own = await chat.send(lan, "/hopthu")
    assert "Phòng thay đồ không có khóa." in own  # the other case still reads
    assert "Không đọc được nội dung này" in own  # its moved answer does not
    assert "Công đoàn sẽ làm việc" not in own
