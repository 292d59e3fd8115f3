"""A worker's everyday habits (issue 12): `/kiemtra` then the receipt on the next line, a bare
receipt, `/tamtu` with the enterprise code, codes typed with spaces and small letters, the daily
limit said before any writing, and the words the worker reads. Telegram through the real
Application, and the console (which renders exactly as Zalo does) in process."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import load_reporting_setup
from bot.channels.console import make_console
from infra.channel_updates import ChannelUser
from infra.settings import Settings
from models import Concern, ReportingUnit, UnitKind
from models.db import UnitOfWork
from services import demo
from testkit.chat import Chat, Clock, raise_concern, release
from testkit.org import Tree, make_person, make_tree

RECEIPT = re.compile(r"\d{4} \d{4} \d{4}")
STATUS = "Trạng thái: Đã tiếp nhận"
ASK_RECEIPT = "Gõ mã biên nhận"


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


async def test_kiemtra_alone_asks_for_the_receipt_and_takes_it_from_the_next_line(
    chat: Chat, tree: Tree, worker: ChannelUser
) -> None:
    receipt = await raise_concern(chat, worker, "Ca đêm không có nước uống.")
    asked = await chat.send(worker, "/kiemtra")
    assert ASK_RECEIPT in asked and STATUS not in asked
    assert STATUS in await chat.send(worker, receipt)
    # Answered: the next words are not taken for a receipt.
    assert STATUS not in await chat.send(worker, "cảm ơn")


async def test_while_waiting_for_a_receipt_mistakes_get_a_hint_and_the_wait_goes_on(
    chat: Chat, tree: Tree, worker: ChannelUser
) -> None:
    receipt = await raise_concern(chat, worker, "Nhà vệ sinh xưởng 2 hỏng.")
    sent = chat.api.sent(worker.user_id)[-1].text
    case_code = re.search(r"TT-[0-9A-Z]{6}", sent)
    assert case_code is not None
    await chat.send(worker, "/kiemtra")
    # The case code is not the receipt: said so, without spending a check.
    said = await chat.send(worker, case_code.group(0))
    assert "mã vụ việc" in said and "12 chữ số" in said
    # A digit short: the receipt's shape is explained.
    assert "12 chữ số" in await chat.send(worker, receipt[:-1])
    # A photo of the receipt cannot be read.
    photo = "\n".join(c.text for c in await chat.feed(chat.updates.photo(worker)))
    assert "gõ" in photo.lower() and "12 chữ số" in photo
    assert STATUS in await chat.send(worker, receipt)


async def test_a_bare_receipt_is_a_receipt_check(
    chat: Chat, tree: Tree, worker: ChannelUser
) -> None:
    receipt = await raise_concern(chat, worker, "Bữa ăn ca thiếu rau.")
    assert STATUS in await chat.send(worker, receipt)
    assert STATUS in await chat.send(ChannelUser(4440009, "Khác"), receipt.replace(" ", ""))
    # Twelve digits that are nobody's receipt get the usual answer, not "I did not understand".
    said = await chat.send(worker, "0000 1111 2222")
    assert "Không nhận ra mã biên nhận" in said


async def test_kiemtra_with_the_receipt_keeps_a_concern_being_written(
    chat: Chat, tree: Tree, worker: ChannelUser
) -> None:
    receipt = await raise_concern(chat, worker, "Tiền tăng ca chưa trả.")
    await chat.send(worker, "/start c_DN-01")
    await chat.press(worker, "Tiếp tục")
    await chat.press(worker, "Tiền lương")
    assert STATUS in await chat.send(worker, f"/kiemtra {receipt}")
    assert "Vui lòng kiểm tra trước khi gửi" in await chat.send(worker, "Lương tháng 11 chậm.")


async def test_tamtu_takes_the_enterprise_code_as_its_argument(
    chat: Chat, tree: Tree, worker: ChannelUser
) -> None:
    promise = await chat.send(worker, "/tamtu DN-01")
    assert "KHÔNG biết" in promise and "Nhập mã doanh nghiệp" not in promise
    assert "KHÔNG biết" in await chat.send(worker, "/tamtu dn 01")
    assert "Không có doanh nghiệp nào" in await chat.send(worker, "/tamtu DN-99")


@pytest.mark.parametrize("typed", ["dn 01", "dn-01", "DN01", "Dn – 01", "ＤＮ－０１"])
async def test_enterprise_codes_typed_as_people_type_them(
    chat: Chat, tree: Tree, worker: ChannelUser, typed: str
) -> None:
    await chat.send(worker, "/tamtu")
    promise = await chat.send(worker, typed)
    assert "KHÔNG biết" in promise and "CĐCS Công ty May Hà Phong" in promise


async def test_the_daily_limit_is_said_when_tamtu_starts_not_after_writing(
    chat: Chat, session: AsyncSession, tree: Tree, worker: ChannelUser
) -> None:
    for number in range(3):
        await raise_concern(chat, worker, f"Tâm tư số {number}")
    for start in ("/tamtu", "/tamtu DN-01", "/start c_DN-01"):
        said = await chat.send(worker, start)
        assert "Hôm nay bạn đã gửi 3 tâm tư" in said, start
        assert "Nhập mã doanh nghiệp" not in said and "KHÔNG biết" not in said
    assert "Hôm nay bạn đã gửi 3 tâm tư" not in await chat.send(
        ChannelUser(4440010, "Người", "Khác"), "/tamtu"
    )
    assert await session.scalar(select(func.count()).select_from(Concern)) == 3


async def test_the_promise_does_not_speak_of_databases(
    chat: Chat, tree: Tree, worker: ChannelUser
) -> None:
    promise = await chat.send(worker, "/tamtu DN-01")
    assert "Hệ thống không lưu những thông tin này, nên không ai tra ra được." in promise
    assert "cơ sở dữ liệu" not in promise


async def test_an_enterprise_without_a_union_names_the_zone_union(
    chat: Chat, session: AsyncSession, tree: Tree, worker: ChannelUser
) -> None:
    union = await session.get(ReportingUnit, tree.union.id)
    assert union is not None
    union.active = False
    await session.commit()
    promise = await chat.send(worker, "/tamtu DN-01")
    assert (
        "Bạn đang gửi tới Công đoàn KCN Quang Châu.\nNơi làm việc: Công ty TNHH May Hà Phong."
        in (promise)
    )


async def test_the_escalation_target_is_the_zone_union_by_name(
    chat: Chat,
    session: AsyncSession,
    tree: Tree,
    worker: ChannelUser,
    lan: ChannelUser,
    hung: ChannelUser,
) -> None:
    await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))
    receipt = await raise_concern(chat, worker, "Không được ký hợp đồng.")
    await release(chat)
    await chat.send(lan, "/hopthu")
    asked = await chat.press(lan, "Chuyển lên")  # asked first (it cannot be taken back)
    assert "lên Công đoàn KCN Quang Châu?" in asked
    said = await chat.press(lan, "Có, chuyển lên")
    assert "lên Công đoàn KCN Quang Châu." in said and "lên KCN Quang Châu" not in said
    await release(chat)
    inbox = await chat.send(lan, "/hopthu")
    assert "Đã chuyển lên Công đoàn KCN Quang Châu" in inbox
    status = await chat.send(worker, f"/kiemtra {receipt}")
    assert "Trạng thái: Đã chuyển lên Công đoàn KCN Quang Châu" in status


async def test_the_worker_path_in_the_console(
    settings: Settings, uow: UnitOfWork, session: AsyncSession, clock: Clock
) -> None:
    """As on Zalo: numbered lists, `/tamtu` with the code as people type it, `/kiemtra` then
    the receipt on the next line, and a bare receipt."""
    setup = load_reporting_setup(settings)
    seeded = await demo.seed(session, settings.secret, setup, clock.now)
    typed_code = seeded.officer_enterprise.lower().replace("-", " ")  # "dn dt 01"
    out = io.StringIO()
    console = make_console(settings, uow, setup, clock=clock, out=out)
    application = console.application
    async with application:
        await application.start()
        try:
            for line in ["/as worker", f"/tamtu {typed_code}", "1", "1", "Bếp ăn ca tối thiếu."]:
                await console.handle_line(line)
            await console.handle_line("1")  # the preview's first button: send
            found = RECEIPT.search(out.getvalue())
            assert found is not None, out.getvalue()
            before_check = len(out.getvalue())
            await console.handle_line("/kiemtra")
            await console.handle_line(found.group(0))
            after_two_lines = out.getvalue()[before_check:]
            await console.handle_line(found.group(0).replace(" ", ""))
        finally:
            await application.stop()
    assert ASK_RECEIPT in after_two_lines and "Trạng thái: Đã tiếp nhận" in after_two_lines
    assert out.getvalue().count("Trạng thái: Đã tiếp nhận") == 2


async def test_a_pushed_answer_in_the_console(
    settings: Settings, uow: UnitOfWork, session: AsyncSession, clock: Clock
) -> None:
    """The officer's answer reaches the worker who asked for it with the push batch
    (``#pushes`` runs it at once), not when the officer sends it."""
    setup = load_reporting_setup(settings)
    seeded = await demo.seed(session, settings.secret, setup, clock.now)
    out = io.StringIO()
    console = make_console(settings, uow, setup, clock=clock, out=out)
    application = console.application
    pushed = "Công đoàn đã trả lời tâm tư"
    async with application:
        await application.start()
        try:
            worker = ["/as worker", f"/tamtu {seeded.officer_enterprise}", "1", "1"]
            for line in [*worker, "Bếp ăn ca tối thiếu.", "2", "#notices", "/as officer"]:
                await console.handle_line(line)
            for line in ["/hopthu", "1", "1", "Công đoàn đã làm việc với nhà bếp."]:
                await console.handle_line(line)
            answered = out.getvalue()
            await console.handle_line("#pushes")
            after = out.getvalue()[len(answered) :]
        finally:
            await application.stop()
    assert "Đã gửi trả lời cho TT-" in answered and pushed not in answered
    assert pushed in after and "Công đoàn đã làm việc với nhà bếp." in after
