"""What people type in the console (which renders exactly as Zalo does), issue 12: a worker who
pressed Start and writes words, a wrong number then a valid one in a numbered list, and an
officer with two open cases in /hopthu."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.settings import Settings
from models import CodeAttempt, Concern, ConcernStatus, OrgNode
from models.db import UnitOfWork
from services import concerns
from testkit.chat import Clock
from testkit.console import Console, demo_console


@pytest.fixture
async def console(
    settings: Settings, uow: UnitOfWork, session: AsyncSession, clock: Clock
) -> AsyncIterator[Console]:
    async with demo_console(settings, uow, session, clock) as running:
        yield running


async def test_a_worker_presses_start_then_writes_words(
    console: Console, session: AsyncSession
) -> None:
    await console.say("/as new")
    assert "nhập mã mời" in await console.say("/start")
    for words in ("xin chào", "lương", "alo", "alo", "Tôi muốn hỏi về tiền tăng ca", "ok"):
        said = await console.say(words)
        assert "Đây không phải là mã mời" in said and "/tamtu" in said, said
        assert "Mã này không đúng" not in said and "quá nhiều lần" not in said
    assert (await session.scalars(select(CodeAttempt))).all() == []
    # The way out it was shown works, and registration no longer waits for a code after it.
    assert "mã doanh nghiệp" in (await console.say("/tamtu")).lower()
    await console.say("/cancel")
    assert "mã mời" not in await console.say("cảm ơn")


async def test_as_new_is_a_new_person_each_time(console: Console) -> None:
    await console.say("/as new")
    await console.say("/start")
    said = [await console.say(f"WXYZ-234{n}") for n in range(2, 7)]
    assert "quá nhiều lần" in said[4]
    await console.say("/as new")  # somebody else: neither the lock-out nor the wait carries over
    assert "nhập mã mời" in await console.say("/start")
    code = console.seed.invites[0][0]
    assert "Mã này cấp cho bạn vai trò" in await console.say(code)
    assert "Bạn có xác nhận đăng ký không?" in console.out.getvalue()


async def test_a_wrong_number_then_a_valid_one_in_a_numbered_list(console: Console) -> None:
    await console.say("/as officer")
    menu = await console.say("/baocao")  # the demo officer serves two units: a numbered menu
    assert "  1. " in menu and "  2. " in menu and "  3. " not in menu
    for wrong in ("7", "CĐCS"):
        hint = await console.say(wrong)
        assert "gõ số thứ tự" in hint and "  1. " in hint and "  2. " in hint, hint
    cell = next(line for line in menu.splitlines() if "Chi bộ" in line).strip().split(".")[0]
    assert "Câu 1/" in await console.say(cell)


async def test_two_cases_in_the_inbox_each_chosen_then_acted_on(
    console: Console, session: AsyncSession, clock: Clock
) -> None:
    app = console.chat.application
    setup = app.bot_data.concerns
    today = clock.now.astimezone(app.bot_data.settings.zone).date()
    enterprise = await session.scalar(
        select(OrgNode.id).where(OrgNode.code == console.seed.officer_enterprise)
    )
    assert enterprise is not None
    codes = []
    for number, text in enumerate(("Bếp ăn ca tối không đủ suất.", "Xe đưa đón ca 3 hay trễ.")):
        sent = await concerns.submit_concern(
            session,
            enterprise_id=enterprise,
            category="meals" if number == 0 else "other",
            text=text,
            subject=setup.keys.subject("console", f"worker-{number}", today),
            keys=setup.keys,
            today=today,
            config=setup.config,
        )
        codes.append(sent.case_code)
    await concerns.release_pending(session)

    await console.say("/as officer")
    listed = await console.say("/hopthu")
    # One numbered choice per case, and no case's actions yet: choose the case first.
    assert "2 tâm tư đang mở" in listed and "Đang xử lý" not in listed
    numbers = {
        code: next(line for line in listed.splitlines() if code in line).strip().split(".")[0]
        for code in codes
    }
    second = await console.say(numbers[codes[1]])
    assert "Xe đưa đón ca 3 hay trễ." in second and "Bếp ăn" not in second
    handling = next(line for line in second.splitlines() if "Đang xử lý" in line)
    done = await console.say(handling.strip().split(".")[0])
    assert f"Đã chuyển {codes[1]} sang trạng thái: Đang xử lý" in done
    # Back to the list, the first case, closed.
    again = await console.say("1")  # ◀ Back to the list
    assert "2 tâm tư đang mở" in again
    first = await console.say(numbers[codes[0]])
    assert "Bếp ăn ca tối không đủ suất." in first
    close = next(line for line in first.splitlines() if line.strip().endswith(". Đóng"))
    assert f"Đã chuyển {codes[0]} sang trạng thái: Đã đóng" in await console.say(
        close.strip().split(".")[0]
    )
    session.expire_all()
    statuses = dict((await session.execute(select(Concern.case_code, Concern.status))).all())
    assert statuses == {codes[0]: ConcernStatus.CLOSED, codes[1]: ConcernStatus.IN_PROGRESS}
