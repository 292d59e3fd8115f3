"""Anonymous polls through the real Application (issue 17): a worker joins the poll list from
the QR poster's screen or /khaosat, receives a poll from the leader's batch, answers with a
button and changes the answer, leaves with /huykhaosat or the button; after the close those who
answered receive the results once. Then the proof: a dump of every table (and SQLite's files)
and the logs hold none of the workers' ids, names, language, chat ids or answer times, and
nothing ties an answer to a ballot, a subscription, or another answer of the same worker."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.error import Forbidden

from handlers.polls.jobs import poll_batch, run_batch
from infra.channel_updates import ChannelUser
from models import PollAnswer, PollBallot, PollSubscription, Role, utcnow
from services import polls
from services.access import identify
from services.polls import PollDraft, Question, Text
from testkit.anonymity import needles
from testkit.chat import Chat, Clock
from testkit.db import cell_texts, dump
from testkit.org import Tree, make_person, make_tree

TODAY = date(2026, 11, 20)  # the e2e clock's day
WORKERS = [
    ChannelUser(
        975_310_864_200 + n,
        f"Thànhzq{n}",
        f"Vũzq{n}",
        username=f"poll_zq{n}_proof",
        language_code=f"x-zq{n}",
    )
    for n in range(6)
]


@pytest.fixture
async def tree(session: AsyncSession) -> Tree:
    return await make_tree(session)


async def new_poll(
    session: AsyncSession, tree: Tree, question: str = "Bữa ăn ca có ngon không?"
) -> int:
    await make_person(session, 1_000_001, "Văn phòng", role=Role.ADMIN, node_id=tree.province.id)
    admin = await identify(session, "telegram", "1000001")
    assert admin is not None
    return await polls.create_poll(
        session,
        admin,
        PollDraft(
            (Question(Text(question), (Text("Ngon"), Text("Bình thường"), Text("Không ngon"))),),
            tree.province.id,
            TODAY,
            TODAY + timedelta(days=3),
        ),
        today=TODAY,
    )


async def join(chat: Chat, worker: ChannelUser, via_poster: bool) -> None:
    if via_poster:
        await chat.send(worker, "/start c_DN-01")
        screen = await chat.press(worker, "Nhận khảo sát của công đoàn")
    else:
        screen = await chat.send(worker, "/khaosat dn 01")
    assert "KHÔNG được lưu" in screen and "/huykhaosat" in screen
    assert "Bạn sẽ nhận" in await chat.press(worker, "📋 Nhận khảo sát")


async def test_workers_join_answer_change_leave_and_get_the_results_once(
    chat: Chat, session: AsyncSession, tree: Tree, clock: Clock
) -> None:
    poll_id = await new_poll(session, tree)
    for n, worker in enumerate(WORKERS):
        await join(chat, worker, via_poster=n % 2 == 0)
    assert "đã có trong danh sách" in (
        await chat.send(WORKERS[1], "/khaosat DN-01")
        and await chat.press(WORKERS[1], "📋 Nhận khảo sát")
    )
    await run_batch(chat.app.bot_data)
    for worker in WORKERS:
        got = chat.last_with_buttons(worker)
        assert "Bữa ăn ca có ngon không?" in got.text
        assert [b["text"] for b in got.buttons][:3] == ["Ngon", "Bình thường", "Không ngon"]
    await run_batch(chat.app.bot_data)  # a second batch sends nothing again
    assert all(sum("Bữa ăn ca" in c.text for c in chat.api.sent(w.user_id)) == 1 for w in WORKERS)
    for worker in WORKERS[:5]:
        assert "đã được ghi nhận" in await chat.press(worker, "Không ngon")
    # Changed before the close: the poll shows the new choice ticked, and counts once.
    await chat.press(WORKERS[0], "Ngon")
    assert "✅ Ngon" in [b["text"] for b in chat.last_with_buttons(WORKERS[0]).buttons]
    assert await session.scalar(select(func.count()).select_from(PollAnswer)) == 5
    # The sixth leaves with the button under the poll.
    assert "không nhận khảo sát" in await chat.press(WORKERS[5], "Không nhận khảo sát nữa")
    assert await session.scalar(select(func.count()).select_from(PollSubscription)) == 5

    clock.set_local(2026, 11, 24)  # the poll closed at the end of the 23rd
    assert "đã kết thúc" in await chat.press(WORKERS[1], "Ngon")
    before = {w.user_id: len(chat.api.sent(w.user_id)) for w in WORKERS}
    await run_batch(chat.app.bot_data)
    await run_batch(chat.app.bot_data)
    for worker in WORKERS[:5]:
        (results,) = [c.text for c in chat.api.sent(worker.user_id)[before[worker.user_id] :]]
        assert "Kết quả khảo sát" in results and "5 người trả lời" in results
        assert "Không ngon: <5" in results and "Ngon: <5" in results
    assert len(chat.api.sent(WORKERS[5].user_id)) == before[WORKERS[5].user_id]
    assert await session.scalar(select(func.count()).select_from(PollBallot)) == 0
    assert poll_id


async def test_huykhaosat_ends_every_poll_list_of_the_chat(
    chat: Chat, session: AsyncSession, tree: Tree
) -> None:
    worker = WORKERS[0]
    await join(chat, worker, via_poster=False)
    assert "không nhận khảo sát" in await chat.send(worker, "/huykhaosat")
    await new_poll(session, tree)
    await run_batch(chat.app.bot_data)
    assert not any("Bữa ăn ca" in c.text for c in chat.api.sent(worker.user_id))


def _sqlite_files(database_url: str) -> list[Path]:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return []
    base = Path(url.database)
    return [p for p in (base, Path(f"{base}-wal")) if p.exists()]


async def test_a_dump_and_the_logs_hold_no_worker_and_link_nothing(
    chat: Chat,
    session: AsyncSession,
    tree: Tree,
    clock: Clock,
    database_url: str,
    app_logging: pytest.LogCaptureFixture,
) -> None:
    logging.getLogger("handlers.polls.worker").debug("capture probe")
    first = await new_poll(session, tree)
    await make_person(session, 1_000_002, "Văn phòng 2", role=Role.ADMIN, node_id=tree.province.id)
    admin = await identify(session, "telegram", "1000002")
    assert admin is not None
    second = await polls.create_poll(
        session,
        admin,
        PollDraft(
            (Question(Text("Nhà xe có đủ chỗ?"), (Text("Đủ"), Text("Thiếu"))),),
            tree.province.id,
            TODAY,
            TODAY + timedelta(days=3),
        ),
        today=TODAY,
    )
    began = utcnow()
    for n, worker in enumerate(WORKERS):
        await join(chat, worker, via_poster=n % 2 == 0)
    await run_batch(chat.app.bot_data)
    for worker in WORKERS:
        polls_shown = [c for c in chat.api.sent(worker.user_id) if c.buttons]
        for message in polls_shown[-2:]:
            option = message.buttons[0]
            await chat.callback(worker, option["callback_data"])
    ended = utcnow()
    await run_batch(chat.app.bot_data)  # answers released in a shuffled batch

    cells = await dump(session)
    forbidden = {value for worker in WORKERS for value in needles(worker)}
    leaks = [
        (table, column, needle)
        for table, column, value in cells
        for cell in cell_texts(value)
        for needle in forbidden
        if needle in cell
    ]
    assert leaks == []
    # No time of day from the answering window anywhere (dates at most).
    assert [
        (t, c)
        for t, c, v in cells
        if hasattr(v, "hour")
        and hasattr(v, "tzinfo")
        and began <= (v if v.tzinfo else v.replace(tzinfo=began.tzinfo)) <= ended
    ] == []
    # The answers: poll, enterprise, question, option, released — and a random id; nothing
    # that names a ballot or a subscription, so no column joins them.
    answer_columns = {c for t, c, _ in cells if t == "poll_answers"}
    assert answer_columns == {"id", "poll_id", "enterprise_id", "question", "option", "released"}
    ballots = [
        (p, tok)
        for p, tok in (await session.execute(select(PollBallot.poll_id, PollBallot.token))).all()
    ]
    assert len(ballots) == 2 * len(WORKERS)
    tokens_of = {p: {tok for q, tok in ballots if q == p} for p in (first, second)}
    # One worker's two ballots share nothing: no token repeats across the polls…
    assert not tokens_of[first] & tokens_of[second]
    # …and no other value of a ballot or answer row repeats across polls either (seals and
    # ciphertexts are fresh), so nothing pairs a worker's answer in one poll with the other.
    values = [
        (t, v)
        for t, c, v in cells
        if t in ("poll_ballots", "poll_subscriptions") and c not in ("poll_id", "enterprise_id")
    ]
    raw = [bytes(v) if isinstance(v, bytes | memoryview) else str(v) for _, v in values]
    assert len(raw) == len(set(raw))
    # SQLite's own files (and the write-ahead log) hold none of the ids either.
    for path in _sqlite_files(database_url):
        content = path.read_bytes()
        assert [n for n in forbidden if n.encode() in content] == []
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in app_logging.records)
    assert "capture probe" in logged
    assert [n for n in forbidden if n in logged] == []
    clock.set_local(2026, 11, 24)


async def test_an_admin_sets_a_poll_step_by_step_and_a_zone_officer_only_their_zone(
    chat: Chat, session: AsyncSession, tree: Tree
) -> None:
    admin = ChannelUser(1_000_010, "Văn", "Phòng", language_code="vi")
    await make_person(
        session, admin.user_id, "Văn phòng", role=Role.ADMIN, node_id=tree.province.id
    )
    assert "mã của khu vực" in await chat.send(admin, "/khaosat")
    await chat.send(admin, "kcn-qc")
    assert "Câu hỏi 2" not in await chat.send(admin, "Nhà xe có đủ chỗ không? | Enough parking?")
    await chat.send(admin, "Đủ | Enough\nThiếu | Not enough")
    await chat.press(admin, "Thêm câu hỏi")
    await chat.send(admin, "Nước uống có đủ không?")
    await chat.send(admin, "Đủ\nThiếu\nKhông biết")
    assert "ngày kết thúc" in await chat.press(admin, "Không thêm câu hỏi")
    assert "từ hôm nay" in await chat.send(admin, "01/01/2020")
    await chat.send(admin, "25/11/2026")
    preview = await chat.press(admin, "Không, chỉ sau khi kết thúc")
    assert "Nhà xe có đủ chỗ không?" in preview and "Nước uống" in preview
    assert "đã được tạo" in await chat.press(admin, "Tạo khảo sát")
    (made,) = await polls.list_polls(session)
    assert made.audience_node_id == tree.zone.id and len(made.questions) == 2
    assert made.questions[0].text == Text("Nhà xe có đủ chỗ không?", "Enough parking?")
    assert made.closes_on == date(2026, 11, 25) and not made.results_before_close
    # An enterprise union officer is no poll setter: /khaosat is the worker's.
    officer = ChannelUser(1_000_011, "Cán", "Bộ", language_code="vi")
    await make_person(session, officer.user_id, "Cán bộ", units=(tree.union.id,))
    assert "/khaosat DN-QC-01" in await chat.send(officer, "/khaosat")


async def test_the_digest_shows_the_results_of_polls_closed_in_its_period(
    chat: Chat, session: AsyncSession, tree: Tree, clock: Clock
) -> None:
    await new_poll(session, tree)
    for n, worker in enumerate(WORKERS[:5]):
        await join(chat, worker, via_poster=n % 2 == 0)
    await run_batch(chat.app.bot_data)
    for worker in WORKERS[:5]:
        await chat.press(worker, "Không ngon")
    member = ChannelUser(6_660_001, "Tuấn", "Lê")
    await make_person(
        session, member.user_id, "Lê Minh Tuấn", role=Role.COMMITTEE, node_id=tree.province.id
    )

    async def digest() -> str:
        await chat.send(member, "/tonghop")
        buttons = {b["text"]: b["callback_data"] for b in chat.last_with_buttons(member).buttons}
        chat.api.clear()
        await chat.callback(member, buttons["Năm 2026"])
        return "\n".join(c.text for c in chat.api.sent(member.user_id))

    assert "KHẢO SÁT NGƯỜI LAO ĐỘNG" not in await digest()  # still open: nothing shown
    clock.set_local(2026, 11, 24)
    shown = await digest()
    assert "KHẢO SÁT NGƯỜI LAO ĐỘNG" in shown and "Bữa ăn ca có ngon không?" in shown
    assert "Công ty TNHH May Hà Phong: 5 người trả lời" in shown
    assert "Không ngon: 5 (100%)" in shown


class _Blocking:
    """The Telegram bot, except that one chat has blocked it."""

    def __init__(self, bot: object, blocked: int) -> None:
        self.bot, self.blocked = bot, str(blocked)

    async def send_message(self, chat_id: object, text: str, **kw: object) -> object:
        if str(chat_id) == self.blocked:
            raise Forbidden("Forbidden: bot was blocked by the user")
        return await self.bot.send_message(chat_id, text, **kw)  # type: ignore[attr-defined]


async def test_quiet_hours_wait_and_a_blocked_bot_drops_the_subscription_silently(
    chat: Chat,
    session: AsyncSession,
    tree: Tree,
    clock: Clock,
    app_logging: pytest.LogCaptureFixture,
) -> None:
    await new_poll(session, tree)
    for worker in WORKERS[:2]:
        await join(chat, worker, via_poster=False)
    clock.set_local(2026, 11, 20, hour=22)  # quiet hours (21:00-07:00): the job does nothing
    await poll_batch(type("Ctx", (), {"bot_data": chat.app.bot_data})())
    assert not any("Bữa ăn ca" in c.text for c in chat.api.sent(WORKERS[0].user_id))
    clock.set_local(2026, 11, 20, hour=10)
    data = chat.app.bot_data
    data.senders = {"telegram": _Blocking(chat.app.bot, WORKERS[1].user_id)}
    await run_batch(data)
    assert any("Bữa ăn ca" in c.text for c in chat.api.sent(WORKERS[0].user_id))
    assert await session.scalar(select(func.count()).select_from(PollSubscription)) == 1
    logged = "\n".join(r.getMessage() for r in app_logging.records)
    assert str(WORKERS[1].user_id) not in logged
