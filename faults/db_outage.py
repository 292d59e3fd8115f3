"""The database unreachable for 30 seconds while officers are mid-report and a worker mid-concern.

    python -m faults db_outage [--quick] [--backend=postgresql|sqlite|both] [--seconds=S]
                               [--officers=N] [--modes=refuse,blackhole]

What it does: a scratch PostgreSQL database (created on the local server, dropped afterwards) is
reached only through a loopback TCP proxy (testkit/tcp_proxy.py). The real Application — built by
``build_application`` with its database persistence, its JobQueue and the scheduler (reminders,
outbox, the scheduler lock) — runs in this process on an in-memory Bot API. Users are simulated
through ``Application.update_processor`` exactly as the polling fetcher hands updates over (the
chat driver's ``step``, testkit/chat.py, which keeps each update's own answers apart from the
scheduler's messages).

One round per cut mode (``refuse``: open connections reset, new ones refused; ``blackhole``: new
connections accepted and never answered). In each round a quarter of the officers write a whole
November report before the cut; the others stop after a few answers, and a worker stops at the
preview of an anonymous concern. Then the proxy is cut for S seconds (30; ``--quick``: 5) and
everyone carries on as a user would: an officer who is told to try again sends the same answer
again 1.5 s later, the worker (who may send 20 messages a minute) every 4 s. After the restore a
watcher sends /help every 0.25 s to time the recovery, and everybody finishes.

What it prints per round: the outage, updates sent during it and how they were answered (the
"try again" message, normally, not at all, or with an escaped/unexpected error), reports confirmed
before and after, the time from the restore to the first successful update, whether the scheduler
lock was dropped and taken again. At the end, from the database itself: lost, duplicated and
half-written reports (a report without all its values), drafts left or inconsistent, concerns
lost or duplicated, conversation states left behind, outbox messages stuck in "sending", and log
lines that carry a user's identity.

Exit status 1 on anything lost, duplicated, half-written, unhandled or unanswered, a user who
could not finish, or a scheduler lock not taken again. On SQLite there is no network to lose:
``--backend=sqlite`` prints SKIPPED and exits 0 (``both`` says so and runs PostgreSQL); so does an
unreachable PostgreSQL server.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import load_reporting_setup
from infra.channel_updates import ChannelUser
from infra.leadership import LOCK_KEY
from models import (
    Concern,
    ConversationState,
    OutboxMessage,
    OutboxStatus,
    Report,
    ReportDraft,
    ReportValue,
    UnitKind,
)
from models.db import create_engine, make_uow
from services.indicators import IndicatorKind, IndicatorSet
from testkit.chat import Chat, Step, start_app
from testkit.db import fresh_database, postgres_reachable, postgres_server_url
from testkit.env import bot_settings
from testkit.org import register_officers, seed_org
from testkit.script import script_parser
from testkit.tcp_proxy import TcpProxy

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
# 24 November 2026, 10:00 (a Tuesday): November is open, due on the 25th; the scheduler jobs
# (reminder planning, outbox sender, scheduler lock) run through the outage too.
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=HANOI).astimezone(UTC)
PERIOD = "2026-11"

TRY_AGAIN = "Hệ thống đang tạm thời gián đoạn"  # the Vietnamese of handlers/common.UNAVAILABLE
GENERIC = "hệ thống vừa gặp sự cố"  # the generic apology: an error that was not an outage
OFFICER_RETRY = 1.5
WORKER_RETRY = 4.0  # under the concern channel's 20 messages a minute
THINK = (0.05, 0.3)  # seconds between a user's steps
MID_ANSWERS = 3  # the mid-report officers stop after this many answers until the cut
FIRST_USER_ID = 7_100_000_001


# --- what one update got --------------------------------------------------------------------


@dataclass
class Sent:
    who: str
    step: Step  # the update as the chat driver handed it over, with its answers
    during_outage: bool = False

    @property
    def at(self) -> float:
        return self.step.handed_over

    @property
    def done_at(self) -> float:
        return self.step.done

    @property
    def outcome(self) -> str:
        joined = self.step.text
        if self.step.escaped is not None or GENERIC in joined:
            return "unhandled"
        if TRY_AGAIN in joined:
            return "try_again"
        return "ok" if self.step.replies else "unanswered"


async def hand_over(chat: Chat, who: str, user: ChannelUser, kind: str, payload: str) -> Sent:
    """One step of a person: a text typed, or the button with ``payload`` in its label pressed,
    handed over as the update fetcher does; its answers are only those to this very update."""
    if kind == "text":
        return Sent(who, await chat.send_step(user, payload))
    return Sent(who, await chat.press_step(user, payload))


@dataclass
class Round:
    mode: str
    seconds: float
    cut_at: float = 0.0
    restored_at: float = 0.0
    cut: asyncio.Event = field(default_factory=asyncio.Event)
    sent: list[Sent] = field(default_factory=list)
    receipts_before: int = 0
    receipts_after: int = 0
    unexpected: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)
    recovery: float | None = None
    first_user_success: float | None = None
    lock_before: int = 0
    lock_during: int = -1
    lock_after: int = 0
    lock_retaken_after: float | None = None


# --- the people and their scripts -----------------------------------------------------------


def answers_for(indicators: IndicatorSet) -> list[str]:
    """An answer for every indicator that breaks no rule (members ≤ workers and so on)."""
    typed = []
    for indicator in indicators.indicators:
        value = {IndicatorKind.YES_NO: "có", IndicatorKind.PERCENT: "12,5"}.get(indicator.kind, "3")
        typed.append({"workers": "1.200", "union_members": "1 000"}.get(indicator.code, value))
    return typed


@dataclass
class Person:
    who: str
    user: ChannelUser
    steps: list[tuple[str, str, str]]  # (kind, payload, what a good answer contains)
    pause_before: int | None  # index of the step that waits for the cut
    retry: float
    unit_id: int | None = None
    receipt_at: float | None = None
    receipts: int = 0


def officer_steps(indicators: IndicatorSet) -> list[tuple[str, str, str]]:
    total = len(indicators.indicators)
    steps = [("text", "/baocao", f"Câu 1/{total}")]
    for index, typed in enumerate(answers_for(indicators)):
        expect = f"Câu {index + 2}/{total}" if index + 1 < total else "Kiểm tra báo cáo"
        steps.append(("text", typed, expect))
    steps.append(("press", "Gửi báo cáo", "BC-"))
    return steps


def worker_steps(enterprise_code: str) -> list[tuple[str, str, str]]:
    return [
        ("text", f"/start c_{enterprise_code}", "KHÔNG biết"),
        ("press", "Tiếp tục", ""),
        ("press", "Tiền lương", ""),
        ("text", "Ca đêm không có nước uống.", "Vui lòng kiểm tra trước khi gửi"),
        ("press", "✅ Gửi", "Mã vụ việc: TT-"),
    ]


async def seed(
    engine: AsyncEngine, officers: int, first_id: int, tag: str
) -> list[tuple[int, int]]:
    """A zone with ``officers`` enterprises, each with a trade union and its officer; returns
    (user id, unit id) per officer."""
    async with make_uow(engine)() as session:
        units = await seed_org(
            session,
            province=("BG", "Tỉnh Bắc Giang"),
            zones=[(f"KCN-{tag}", f"KCN {tag}")],
            enterprises=officers,
            enterprise=(f"DN-{tag}-{{i:03d}}", f"Công ty {tag} số {{i}}"),
            units=[(UnitKind.TRADE_UNION, f"CDCS-{tag}-{{i:03d}}", f"CĐCS Công ty {tag} số {{i}}")],
            worker_count=lambda _: 800,
        )
        people = [(first_id + i, f"Cán bộ {tag} {i}", unit.id) for i, unit in enumerate(units)]
        await register_officers(session, people)
    return [(user_id, unit_id) for user_id, _, unit_id in people]


# --- one round: people mid-way, the cut, the restore, everyone finishes ---------------------


async def run_person(chat: Chat, person: Person, current: Round, deadline: float) -> None:
    index = 0
    while index < len(person.steps):
        if time.perf_counter() > deadline:
            current.unfinished.append(person.who)
            return
        if index == person.pause_before:
            await current.cut.wait()
        kind, payload, expect = person.steps[index]
        sent = await hand_over(chat, person.who, person.user, kind, payload)
        sent.during_outage = 0 < current.cut_at <= sent.at and (
            not current.restored_at or sent.at < current.restored_at
        )
        current.sent.append(sent)
        if sent.outcome == "ok":
            joined = sent.step.text
            if expect and expect not in joined:
                current.unexpected.append(f"{person.who} step {index}: {joined[:120]!r}")
            if current.restored_at and current.first_user_success is None:
                current.first_user_success = sent.done_at - current.restored_at
            if kind == "press" and expect in ("BC-", "Mã vụ việc: TT-") and expect in joined:
                person.receipt_at = sent.done_at
                person.receipts += 1
            index += 1
            await asyncio.sleep(random.uniform(*THINK))
        else:
            await asyncio.sleep(person.retry)


async def lock_holders(direct: AsyncEngine) -> int:
    async with direct.connect() as connection:
        found = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objid = :key AND database = (SELECT oid FROM pg_database "
                "WHERE datname = current_database())"
            ),
            {"key": LOCK_KEY},
        )
    return int(found or 0)


async def run_round(
    chat: Chat,
    direct: AsyncEngine,
    proxy: TcpProxy,
    people: list[Person],
    current: Round,
) -> None:
    deadline = time.perf_counter() + current.seconds + 120
    early = [p for p in people if p.pause_before is None]
    waiting = [p for p in people if p.pause_before is not None]
    tasks = [asyncio.create_task(run_person(chat, p, current, deadline)) for p in early]
    await asyncio.gather(*tasks)  # these finish before the cut
    current.receipts_before = sum(p.receipts for p in early)
    late = [asyncio.create_task(run_person(chat, p, current, deadline)) for p in waiting]
    # Everyone else is mid-way when the cut comes: wait until each has reached its pause.
    for _ in range(600):
        reached = sum(
            1
            for p in waiting
            if sum(1 for s in current.sent if s.who == p.who and s.outcome == "ok")
            >= (p.pause_before or 0)
        )
        if reached == len(waiting):
            break
        await asyncio.sleep(0.05)
    current.lock_before = await lock_holders(direct)
    current.cut_at = time.perf_counter()
    await proxy.cut(current.mode)
    current.cut.set()
    await asyncio.sleep(min(2.0, current.seconds / 2))
    current.lock_during = await lock_holders(direct)
    await asyncio.sleep(current.cut_at + current.seconds - time.perf_counter())
    await proxy.restore()
    current.restored_at = time.perf_counter()
    # The watcher: how long until an update is served normally again.
    watcher = ChannelUser(FIRST_USER_ID - 1, "Watcher")
    while time.perf_counter() - current.restored_at < 60:
        sent = await hand_over(chat, "watcher", watcher, "text", "/help")
        if sent.outcome == "ok":
            current.recovery = sent.done_at - current.restored_at
            break
        await asyncio.sleep(0.25)
    while time.perf_counter() - current.restored_at < 30:
        if chat.app.bot_data.leadership.is_leader and await lock_holders(direct) == 1:
            current.lock_retaken_after = time.perf_counter() - current.restored_at
            break
        await asyncio.sleep(0.25)
    current.lock_after = await lock_holders(direct)
    await asyncio.gather(*late)
    current.receipts_after = sum(
        p.receipts for p in waiting if p.receipt_at and p.receipt_at >= current.restored_at
    )


def print_round(current: Round) -> int:
    during = [s for s in current.sent if s.during_outage]
    outcomes = Counter(s.outcome for s in during)
    overall = Counter(s.outcome for s in current.sent)
    slow = max((s.done_at - s.at for s in during), default=0.0)
    print(f"--- round '{current.mode}': proxy cut for {current.seconds:.0f} s")
    print(
        f"  updates sent during the outage: {len(during)}; answered 'try again': "
        f"{outcomes['try_again']}, answered normally: {outcomes['ok']}, unanswered: "
        f"{outcomes['unanswered']}, unhandled: {outcomes['unhandled']}; slowest answer "
        f"{slow:.2f} s"
    )
    print(
        f"  all updates of the round: {len(current.sent)}; unanswered {overall['unanswered']}, "
        f"unhandled {overall['unhandled']}, unexpected answers {len(current.unexpected)}"
    )
    for line in current.unexpected[:5]:
        print(f"    unexpected: {line}")
    print(
        f"  reports confirmed before the cut: {current.receipts_before}, after the restore: "
        f"{current.receipts_after}; users who could not finish: {len(current.unfinished)}"
    )
    recovery = f"{current.recovery:.2f} s" if current.recovery is not None else "never"
    first = (
        f"{current.first_user_success:.2f} s" if current.first_user_success is not None else "n/a"
    )
    print(
        f"  restore → first successful update: {recovery} (watcher /help every 0.25 s); "
        f"first user step: {first}"
    )
    retaken = (
        f"re-taken {current.lock_retaken_after:.1f} s after the restore"
        if current.lock_retaken_after is not None
        else "NOT re-taken"
    )
    print(
        f"  scheduler lock: held before {current.lock_before}, during the outage "
        f"{current.lock_during}, after {current.lock_after} — {retaken}"
    )
    bad = overall["unanswered"] + overall["unhandled"] + len(current.unfinished)
    bad += current.lock_retaken_after is None
    return bad


# --- the whole run --------------------------------------------------------------------------


class LogTally(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def run(url: str, *, seconds: float, officers: int, modes: list[str]) -> int:
    parsed = make_url(url)
    proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    await proxy.start()
    proxied = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    direct = create_engine(url)
    settings = bot_settings(proxied, bot_username="outage_bot", scheduler_enabled=True)
    indicators = load_reporting_setup(settings).indicators.for_kind(UnitKind.TRADE_UNION)
    assert indicators is not None
    tally = LogTally()
    root = logging.getLogger()
    root.addHandler(tally)
    root.setLevel(logging.WARNING)

    print(
        f"db_outage: PostgreSQL through a loopback proxy (127.0.0.1:{proxy.port} → "
        f"{parsed.host}:{parsed.port}), outage {seconds:.0f} s per round, rounds: "
        f"{', '.join(modes)}; {officers} officers per round ({max(1, officers // 4)} finish "
        f"before the cut, the rest stop after {MID_ANSWERS} of {len(indicators.indicators)} "
        "answers) and one worker at a concern's preview"
    )
    app_engine = create_engine(proxied)
    running = await start_app(
        settings,
        make_uow(app_engine),
        lambda: NOW,
        username="outage_bot",
        commands=False,
        lead=False,
    )
    app = running.app
    rounds: list[Round] = []
    everyone: list[Person] = []
    try:
        for _ in range(100):  # the leadership job takes the lock at once
            if app.bot_data.leadership.is_leader:
                break
            await asyncio.sleep(0.1)
        for number, mode in enumerate(modes):
            seeded = await seed(direct, officers, FIRST_USER_ID + number * 1000, f"R{number}")
            early = max(1, officers // 4)
            people = [
                Person(
                    f"officer-{number}-{index}",
                    ChannelUser(user_id, f"Cán bộ {index}", language_code="vi"),
                    officer_steps(indicators),
                    None if index < early else 1 + MID_ANSWERS,
                    OFFICER_RETRY,
                    unit_id,
                )
                for index, (user_id, unit_id) in enumerate(seeded)
            ]
            people.append(
                Person(
                    f"worker-{number}",
                    ChannelUser(FIRST_USER_ID + number * 1000 + 900, "Công", "Nhân"),
                    worker_steps(f"DN-R{number}-000"),
                    4,
                    WORKER_RETRY,
                )
            )
            current = Round(mode, seconds)
            await run_round(running, direct, proxy, people, current)
            rounds.append(current)
            everyone.extend(people)
        await app.update_persistence()
        await asyncio.sleep(2)  # a retried write of conversation states, if one is waiting
    finally:
        if proxy.mode is not None:
            await proxy.restore()
        await app.stop()
        await app.bot_data.leadership.release()
        await app.shutdown()
        await app_engine.dispose()
        await proxy.close()
        root.removeHandler(tally)

    bad = sum(print_round(current) for current in rounds)
    bad += await check_database(direct, everyone, indicators, tally)
    await direct.dispose()
    print(f"db_outage: {'FAILED' if bad else 'passed'}")
    return 1 if bad else 0


async def check_database(
    direct: AsyncEngine, everyone: list[Person], indicators: IndicatorSet, tally: LogTally
) -> int:
    total = len(indicators.indicators)
    officers = [p for p in everyone if p.unit_id is not None]
    workers = [p for p in everyone if p.unit_id is None]
    async with make_uow(direct)() as session:
        reports = Counter(
            (unit, period)
            for unit, period in await session.execute(
                select(Report.reporting_unit_id, Report.period)
            )
        )
        values = dict(
            (
                await session.execute(
                    select(Report.reporting_unit_id, func.count(ReportValue.value))
                    .join(ReportValue, ReportValue.report_id == Report.id, isouter=True)
                    .group_by(Report.reporting_unit_id)
                )
            ).all()
        )
        drafts = list(await session.scalars(select(ReportDraft)))
        concerns = await session.scalar(select(func.count()).select_from(Concern)) or 0
        states = await session.scalar(
            select(func.count())
            .select_from(ConversationState)
            .where(ConversationState.name == "report")
        )
        stuck = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENDING)
        )
        outbox = Counter(
            status for (status,) in await session.execute(select(OutboxMessage.status))
        )
    lost = sum(1 for p in officers if reports[(p.unit_id, PERIOD)] == 0)
    confirmed_lost = sum(1 for p in officers if p.receipts and reports[(p.unit_id, PERIOD)] == 0)
    duplicated = sum(count - 1 for count in reports.values() if count > 1)
    half = sum(
        1 for p in officers if reports[(p.unit_id, PERIOD)] and values.get(p.unit_id) != total
    )
    inconsistent = sum(
        1
        for d in drafts
        if d.step > total
        or any(indicators.indicators[i].code not in d.answers for i in range(d.step))
    )
    receipts = sum(p.receipts for p in workers)
    concerns_lost = max(0, receipts - concerns)
    concerns_duplicated = max(0, concerns - receipts)
    identities = {str(p.user.user_id) for p in everyone} | {p.user.first_name for p in everyone}
    leaking = [
        r for r in tally.records if any(i in r.getMessage() for i in identities if len(i) > 3)
    ]
    ours = (
        "bot",
        "infra",
        "web",
        "handlers",
        "services",
        "scheduler",
        "models",
        "telegram",
        "asyncio",
        "faults",
    )
    errors = [
        r for r in tally.records if r.levelno >= logging.ERROR and r.name.split(".")[0] in ours
    ]
    messages = Counter(f"{r.levelname} {r.name}: {r.msg}" for r in tally.records)
    print("--- the database afterwards")
    print(
        f"  reports: {sum(reports.values())} for {len(officers)} officers; lost {lost} (of them "
        f"confirmed to the officer: {confirmed_lost}), duplicated {duplicated}, half-written "
        f"{half} (a report without all {total} values)"
    )
    print(f"  drafts left {len(drafts)}, inconsistent {inconsistent}")
    print(
        f"  concerns: {concerns} stored for {receipts} receipts shown; lost {concerns_lost}, "
        f"duplicated {concerns_duplicated}"
    )
    print(
        f"  conversation states left (all conversations ended): {states}; outbox "
        f"{dict(sorted((str(k), v) for k, v in outbox.items()))}, stuck in 'sending': {stuck}"
    )
    print(
        f"  log: {len(tally.records)} warnings/errors, errors from the bot {len(errors)}, lines "
        f"with a user's id or name {len(leaking)}"
    )
    for message, count in messages.most_common(6):
        print(f"    {count:4d} × {message[:110]}")
    return (
        lost
        + duplicated
        + half
        + len(drafts)
        + inconsistent
        + concerns_lost
        + concerns_duplicated
        + (states or 0)
        + (stuck or 0)
        + len(errors)
        + len(leaking)
    )


def main(argv: list[str]) -> int:
    parser = script_parser(
        __doc__,
        prog="python -m faults db_outage",
        backend="postgresql",
        quick="5 s outages, 6 officers (CI)",
    )
    parser.add_argument("--seconds", type=float, help="length of each outage (default 30)")
    parser.add_argument("--officers", type=int, help="officers per round (default 24)")
    parser.add_argument("--modes", default="refuse,blackhole", help="comma-separated cut modes")
    # `python -m faults all` hands every script the same flags: the others' are ignored here.
    args, _ = parser.parse_known_args(argv)
    seconds = args.seconds if args.seconds is not None else 5.0 if args.quick else 30.0
    officers = args.officers if args.officers is not None else 6 if args.quick else 24
    modes = args.modes.split(",")
    if args.backend != "postgresql":
        print(
            "db_outage: SKIPPED on sqlite — an embedded SQLite file has no network connection "
            "to lose; the outage is run against PostgreSQL (the default backend)"
        )
        if args.backend == "sqlite":
            return 0
    if not postgres_reachable():
        print(
            f"db_outage: SKIPPED — PostgreSQL not reachable at {postgres_server_url()} "
            "(TEST_POSTGRES_URL overrides)"
        )
        return 0
    random.seed(6)
    with fresh_database("postgresql", "outage") as url:
        return asyncio.run(run(url, seconds=seconds, officers=officers, modes=modes))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
