"""The database unreachable for a few seconds (issue 6): users are told to try again, nothing is
half-written, and the same Application serves the next update after the database is back.

PostgreSQL is reached through a loopback proxy (testkit/tcp_proxy.py) that the tests cut: open
connections are reset and new ones refused, or accepted and never answered (a black hole). On
SQLite there is no network connection to lose: those tests are skipped with the reason.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from infra.channel_updates import ChannelUser
from infra.settings import Settings
from models import Concern, ConversationState, Report, ReportDraft, ReportValue
from models.db import (
    CONNECT_TIMEOUT,
    PROBE_INTERVAL,
    DatabaseUnavailable,
    create_engine,
    make_uow,
)
from services import access
from services.indicators import IndicatorSet
from testkit.chat import RECEIPT, Chat, Clock, answer_through, plausible, start_app, stop_app
from testkit.org import Tree, make_person, make_tree
from testkit.tcp_proxy import TcpProxy

TRY_AGAIN = "Hệ thống đang tạm thời gián đoạn"
GENERIC = "hệ thống vừa gặp sự cố"
CUT_SECONDS = 2.0


# --- the error handler's choice of message (both databases) --------------------------------


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connection refused"),
        DatabaseUnavailable("probing"),
        OperationalError("SELECT 1", {}, ConnectionResetError(104, "reset")),
    ],
    ids=["refused", "breaker-open", "operational"],
)
async def test_an_unreachable_database_is_answered_try_again_later(
    chat: Chat,
    lan: ChannelUser,
    error: Exception,
    monkeypatch: pytest.MonkeyPatch,
    app_logging: pytest.LogCaptureFixture,
) -> None:
    async def unreachable(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(access, "identify", unreachable)
    answer = await chat.send(lan, "/help")
    assert TRY_AGAIN in answer and "thử lại sau vài phút" in answer
    assert GENERIC not in answer
    logged = "\n".join(record.getMessage() for record in app_logging.records)
    assert "database unreachable" in logged
    for identifying in (str(lan.user_id), lan.first_name, lan.last_name, str(lan.username)):
        assert identifying not in logged


async def test_a_bug_is_not_mistaken_for_an_outage(
    chat: Chat, lan: ChannelUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise OSError(2, "No such file or directory")  # a file, not the database

    monkeypatch.setattr(access, "identify", broken)
    answer = await chat.send(lan, "/help")
    assert GENERIC in answer and TRY_AGAIN not in answer


# --- a real outage through the proxy (PostgreSQL) ------------------------------------------


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[TcpProxy]:
    # Only tests marked postgresql use this: SQLite is a local file, no connection to cut.
    url = make_url(database_url)
    assert url.get_backend_name() == "postgresql"
    running = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await running.start()
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def outage_chat(
    proxy: TcpProxy, database_url: str, settings: Settings, clock: Clock, engine: AsyncEngine
) -> AsyncIterator[Chat]:
    """The Application with its database (and its scheduler lock) behind the proxy."""
    url = (
        make_url(database_url)
        .set(host="127.0.0.1", port=proxy.port)
        .render_as_string(hide_password=False)
    )
    app_engine = create_engine(url)
    running = await start_app(
        settings.model_copy(update={"database_url": url}), make_uow(app_engine), clock
    )
    try:
        yield running
    finally:
        if proxy.mode is not None:
            await proxy.restore()
        await stop_app(running)
        await app_engine.dispose()


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


@pytest.fixture
async def lan_id(session: AsyncSession, tree: Tree, lan: ChannelUser) -> int:
    return await make_person(session, lan.user_id, "Nguyễn Thị Lan", units=(tree.union.id,))


async def _draft(session: AsyncSession) -> tuple[int, dict[str, object]] | None:
    session.expire_all()
    draft = await session.scalar(select(ReportDraft))
    return (draft.step, dict(draft.answers)) if draft else None


async def _back(proxy: TcpProxy) -> None:
    """Restore, and give the engine's probe time to notice (it tries every PROBE_INTERVAL)."""
    await proxy.restore()
    await asyncio.sleep(PROBE_INTERVAL * 3)


@pytest.mark.postgresql
@pytest.mark.parametrize("mode", ["refuse", "blackhole"])
async def test_mid_report_outage_try_again_then_carry_on(
    outage_chat: Chat,
    proxy: TcpProxy,
    session: AsyncSession,
    lan: ChannelUser,
    lan_id: int,
    union_set: IndicatorSet,
    mode: str,
) -> None:
    chat = outage_chat
    answers = plausible(union_set)
    await chat.send(lan, "/baocao")
    await answer_through(chat, lan, union_set, answers, upto=3)
    before = await _draft(session)
    assert before is not None and before[0] == 3

    await proxy.cut(mode)
    started = time.monotonic()
    first = await chat.send(lan, answers[union_set.indicators[3].code])
    first_took = time.monotonic() - started
    assert TRY_AGAIN in first, first
    assert first_took < CONNECT_TIMEOUT + 2  # a black hole costs one connect timeout at most
    started = time.monotonic()
    second = await chat.send(lan, answers[union_set.indicators[3].code])
    assert TRY_AGAIN in second and time.monotonic() - started < 1.0  # then it fails fast
    await asyncio.sleep(CUT_SECONDS)
    assert await _draft(session) == before  # nothing written, nothing lost

    await _back(proxy)
    # The same Application, not restarted: the answer is taken at the same question.
    said = await chat.send(lan, answers[union_set.indicators[3].code])
    assert f"Câu 5/{len(union_set.indicators)}" in said, said
    after = await _draft(session)
    assert after is not None and after[0] == 4
    # The scheduler lock went with the connection; it is taken again through the proxy.
    assert await chat.app.bot_data.leadership.try_acquire()


@pytest.mark.postgresql
async def test_a_report_sent_during_the_outage_is_not_half_written(
    outage_chat: Chat,
    proxy: TcpProxy,
    session: AsyncSession,
    lan: ChannelUser,
    lan_id: int,
    union_set: IndicatorSet,
) -> None:
    chat = outage_chat
    await chat.send(lan, "/baocao")
    said = await answer_through(chat, lan, union_set, plausible(union_set))
    assert "Kiểm tra báo cáo" in said
    before = await _draft(session)

    await proxy.cut("refuse")
    assert TRY_AGAIN in await chat.press(lan, "Gửi báo cáo")
    await asyncio.sleep(CUT_SECONDS)
    await _back(proxy)

    assert await session.scalar(select(func.count()).select_from(Report)) == 0
    assert await _draft(session) == before
    receipt = await chat.press(lan, "Gửi báo cáo")  # the same button, pressed again
    assert "BC-" in receipt, receipt
    assert await session.scalar(select(func.count()).select_from(Report)) == 1
    assert await session.scalar(select(func.count()).select_from(ReportValue)) == len(
        union_set.indicators
    )
    assert await session.scalar(select(func.count()).select_from(ReportDraft)) == 0


@pytest.mark.postgresql
async def test_a_concern_sent_during_the_outage_is_kept_and_sent_once(
    outage_chat: Chat, proxy: TcpProxy, session: AsyncSession, tree: Tree
) -> None:
    chat = outage_chat
    worker = ChannelUser(4440001, "Công", "Nhân", language_code="vi")
    await chat.send(worker, f"/start c_{tree.enterprise.code}")
    await chat.press(worker, "Tiếp tục")
    await chat.press(worker, "Tiền lương")
    assert "Vui lòng kiểm tra trước khi gửi" in await chat.send(worker, "Ca đêm không có nước.")

    await proxy.cut("refuse")
    assert TRY_AGAIN in await chat.press(worker, "✅ Gửi")
    await asyncio.sleep(CUT_SECONDS)
    await _back(proxy)

    assert await session.scalar(select(func.count()).select_from(Concern)) == 0
    sent = await chat.press(worker, "✅ Gửi")  # the draft waited in memory
    assert RECEIPT.search(sent) and "Mã vụ việc: TT-" in sent, sent
    assert await session.scalar(select(func.count()).select_from(Concern)) == 1


@pytest.mark.postgresql
async def test_a_conversation_state_whose_write_failed_is_written_later(
    outage_chat: Chat, proxy: TcpProxy, session: AsyncSession, lan: ChannelUser, lan_id: int
) -> None:
    chat = outage_chat
    await chat.app.update_persistence()
    await chat.send(lan, "/baocao")  # the state changes; PTB writes it at the next flush
    await proxy.cut("refuse")
    await chat.app.update_persistence()  # that flush fails: the state must not be forgotten
    await asyncio.sleep(CUT_SECONDS)
    await _back(proxy)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        session.expire_all()
        states = list(await session.scalars(select(ConversationState)))
        if states:
            break
        await asyncio.sleep(0.2)
    assert [(s.name, s.state) for s in states] == [("report", 4)]
