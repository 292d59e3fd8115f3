#!/usr/bin/env python3
"""Monthly-report throughput through the whole Application, against bare python-telegram-bot.

    python benchmarks/report_throughput.py [--officers N] [--backend sqlite|postgresql|both]
                                           [--concurrency K] [--quick] [--profile FILE]
    python3 run.py bench benchmarks/report_throughput.py --quick

For each backend it builds a fresh database (a temporary SQLite file; a scratch PostgreSQL
database, dropped afterwards), migrates it, and creates N enterprises, each with a trade union and
one registered officer. Every officer then writes a complete November 2026 report as a user would:
``/baocao``, one typed answer per indicator, then the "Gửi báo cáo" button. The clock is fixed
inside the open period (2026-11-20 10:00 Asia/Ho_Chi_Minh).

A *step* is one update awaited through ``application.process_update`` (handed over by the chat
driver's ``step``, testkit/chat.py) — the Application exactly as ``build_application`` makes it
(database persistence, job queue for the conversation timeout), with the in-process
``LocalBotApi`` in place of the network and no rate limiter. Up to K officers
are in flight at once (each one sequential), and every update goes through the Application's own
update processor (the bot's ChatOrderedProcessor: up to its bound of updates at once, as the real
bot handles chats side by side).

Two latencies are recorded per step with ``time.perf_counter``:
  * step latency  — ``process_update`` alone: the aim (p99 ≤ 50 ms) is judged on this;
  * queued        — from the update being handed over until it is done, i.e. including the wait
                    behind the other officers' updates (what a user feels when K type at once).

Two baselines, each measured in the same process right before and right after each backend's
run, driven with the same number of updates, the same way:
  * the echo — a bare PTB Application (same LocalBotApi type, no persistence, no database, PTB's
    ``concurrent_updates`` with the bot's bound) whose only handler echoes the text back.
    Ratio: bot steps/s ÷ echo steps/s (aim: ≥ 0.20 on SQLite);
  * the durable echo — the same, but its handler first commits one row per update to the same
    database through the project's engine and unit of work (a ``handled_updates`` row: the
    smallest write there is), as a bot that keeps every step must. Ratio: bot steps/s ÷ durable
    echo steps/s (aim: ≥ 0.5).

Also printed: SQL statements per step and database connections opened while measuring. Finally
each backend is checked: one report per officer, no draft left ("lost 0, duplicated 0"); the exit
status is 1 only when that check fails (a missed aim is a figure, not an error).

``--profile FILE`` profiles the bot phase of the first backend: with pyinstrument installed a
wall-clock call tree (FILE, plus FILE.html), otherwise cProfile (FILE is the .prof; note cProfile's
cumulative times are unreliable across SQLAlchemy's greenlet switches, trust its tottime).
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # testkit/script.py says why

from pydantic import SecretStr
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.app import load_reporting_setup
from bot.channels.local_bot_api import LocalBotApi
from bot.update_processor import MAX_RUNNING
from infra.channel_updates import ChannelUser
from infra.settings import Settings
from models import (
    HandledUpdate,
    Report,
    ReportDraft,
    UnitKind,
)
from models.db import create_engine, make_uow
from services.indicators import IndicatorKind
from testkit.chat import Chat, Step, start_app, stop_app
from testkit.db import each_backend, fresh_database
from testkit.env import bot_settings
from testkit.org import BENCH_FIRST_USER_ID as FIRST_USER_ID
from testkit.org import bench_officers
from testkit.profiling import Profiler
from testkit.script import percentile, script_parser, versions

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=HANOI).astimezone(UTC)  # November is open, due 25/11
PERIOD = "2026-11"
SECRET = "bench-secret-" + "x" * 40

AIM_RATIO = 0.20  # bot steps/s ÷ echo steps/s, on SQLite
AIM_DURABLE_RATIO = 0.5  # bot steps/s ÷ durable echo steps/s
AIM_P99_MS = 50.0

DEFAULT_OFFICERS = 200
QUICK_OFFICERS = 12
DEFAULT_CONCURRENCY = 20
WARMUP_OFFICERS = 3  # reports written before measuring (cold caches); checked, not timed


# --- figures --------------------------------------------------------------------------------


@dataclass
class Timings:
    step: list[float] = field(default_factory=list)  # process_update alone, seconds
    queued: list[float] = field(default_factory=list)  # handed over → done, seconds
    wall: float = 0.0
    statements: int = 0  # SQL statements sent while measuring (bot only)
    connections: int = 0  # database connections opened while measuring (bot only)

    @property
    def steps(self) -> int:
        return len(self.step)

    @property
    def rate(self) -> float:
        return self.steps / self.wall if self.wall else 0.0


# --- driving an Application -----------------------------------------------------------------


@dataclass
class Driver:
    """The chat driver (testkit/chat.py: updates handed over as the bot's update fetcher does),
    with the figures of the steps it hands over."""

    chat: Chat
    timings: Timings = field(default_factory=Timings)
    recording: bool = True

    def timed(self, step: Step) -> Step:
        if self.recording:
            self.timings.step.append(step.done - step.started)
            self.timings.queued.append(step.done - step.handed_over)
        return step

    async def send(self, user: ChannelUser, text: str) -> Step:
        return self.timed(await self.chat.send_step(user, text))

    async def press(self, user: ChannelUser, label: str) -> Step | None:
        try:
            return self.timed(await self.chat.press_step(user, label))
        except LookupError:
            return None


Script = Callable[[Driver, int], Awaitable[bool]]


async def drive(driver: Driver, officers: list[int], concurrency: int, script: Script) -> int:
    """Run ``script`` for every officer, at most ``concurrency`` at once; return failures."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in officers:
        queue.put_nowait(index)
    failures = 0

    async def worker() -> None:
        nonlocal failures
        while True:
            try:
                index = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            if not await script(driver, index):
                failures += 1

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(officers))))))
    return failures


def officer_user(index: int) -> ChannelUser:
    return ChannelUser(FIRST_USER_ID + index, f"Cán bộ {index}", "Nguyễn", language_code="vi")


def officer_answers(codes: list[tuple[str, IndicatorKind]], index: int) -> list[str]:
    """Plausible typed answers (no rule broken, no jump: there is no October), in the forms
    people type: 1.200, 1 200, 1200, có, 12,5."""
    rng = random.Random(index)
    workers = rng.randint(30, 5000)
    members = rng.randint(0, workers)
    forms: list[Callable[[int], str]] = [
        lambda n: f"{n:,}".replace(",", "."),
        lambda n: f"{n:,}".replace(",", " "),
        str,
    ]
    answers = []
    for code, kind in codes:
        if code == "workers":
            value = rng.choice(forms)(workers)
        elif code == "union_members":
            value = rng.choice(forms)(members)
        elif kind is IndicatorKind.YES_NO:
            value = rng.choice(["có", "không", "Có"])
        elif kind is IndicatorKind.PERCENT:
            value = f"{rng.randint(0, 100)},{rng.randint(0, 9)}"
        else:
            value = str(rng.randint(0, min(members, 20)))
        answers.append(value)
    return answers


def report_script(codes: list[tuple[str, IndicatorKind]]) -> Script:
    """/baocao, one typed answer per indicator, then the "Gửi báo cáo" button."""

    async def script(driver: Driver, index: int) -> bool:
        user = officer_user(index)
        if "Câu 1/" not in (await driver.send(user, "/baocao")).last:
            return False
        for answer in officer_answers(codes, index):
            await driver.send(user, answer)
        sent = await driver.press(user, "Gửi báo cáo")
        return sent is not None and "Đã nhận báo cáo" in sent.last

    return script


def echo_script(codes: list[tuple[str, IndicatorKind]]) -> Script:
    """The same number of text updates per officer, to a bot that only echoes them."""

    async def script(driver: Driver, index: int) -> bool:
        user = officer_user(index)
        texts = ["/baocao", *officer_answers(codes, index), "Gửi báo cáo"]
        for typed in texts:
            last = await driver.send(user, typed)
        return last.last == texts[-1]

    return script


# --- the baselines --------------------------------------------------------------------------


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


def durable_echo(
    engine: AsyncEngine, channel: str
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    """The echo after committing one row for the update: one session, one INSERT, one commit
    (``channel`` keeps each run's rows apart: update ids start at 1 in every run)."""
    uow = make_uow(engine)

    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        async with uow() as session:
            session.add(HandledUpdate(channel=channel, update_id=update.update_id))
            await session.commit()
        await echo(update, context)

    return handler


async def run_echo(
    officers: int,
    concurrency: int,
    codes: list[tuple[str, IndicatorKind]],
    durable: tuple[AsyncEngine, str] | None = None,
) -> Timings:
    """The echo baseline; ``durable`` (engine, channel): the durable echo."""
    api = LocalBotApi(username="echo_bot")
    app = (
        Application.builder()
        .token("0:local")
        .request(api)
        .get_updates_request(api)
        .updater(None)
        # As many at once as the bot's processor allows: the durable echo waits for its commit
        # as the bot waits for its own, and must not be the only one doing that in single file.
        .concurrent_updates(MAX_RUNNING)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, durable_echo(*durable) if durable else echo))
    await app.initialize()
    await app.start()
    driver = Driver(Chat(app, api))
    script = echo_script(codes)
    try:
        driver.recording = False
        await drive(driver, list(range(WARMUP_OFFICERS)), concurrency, script)
        driver.recording = True
        started = time.perf_counter()
        failures = await drive(
            driver, list(range(WARMUP_OFFICERS, WARMUP_OFFICERS + officers)), concurrency, script
        )
        driver.timings.wall = time.perf_counter() - started
    finally:
        await app.stop()
        await app.shutdown()
    if failures:
        raise SystemExit(f"echo baseline: {failures} officers did not get their echo back")
    return driver.timings


# --- databases ------------------------------------------------------------------------------


@dataclass
class Check:
    officers: int
    reports: int
    units_reported: int
    drafts: int

    @property
    def lost(self) -> int:
        return self.officers - self.units_reported

    @property
    def duplicated(self) -> int:
        return self.reports - self.units_reported


async def check_reports(engine: AsyncEngine, officers: int) -> Check:
    async with make_uow(engine)() as session:
        reports = await session.scalar(
            select(func.count()).select_from(Report).where(Report.period == PERIOD)
        )
        units = await session.scalar(
            select(func.count(func.distinct(Report.reporting_unit_id))).where(
                Report.period == PERIOD
            )
        )
        drafts = await session.scalar(select(func.count()).select_from(ReportDraft))
    return Check(officers, reports or 0, units or 0, drafts or 0)


# --- one backend ----------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    officers: int
    concurrency: int
    bot: Timings
    echo_before: Timings
    echo_after: Timings
    durable_before: Timings
    durable_after: Timings
    check: Check
    failures: int
    setup_seconds: float

    @property
    def echo_rate(self) -> float:
        return (self.echo_before.rate + self.echo_after.rate) / 2

    @property
    def ratio(self) -> float:
        return self.bot.rate / self.echo_rate if self.echo_rate else 0.0

    @property
    def durable_rate(self) -> float:
        return (self.durable_before.rate + self.durable_after.rate) / 2

    @property
    def durable_ratio(self) -> float:
        return self.bot.rate / self.durable_rate if self.durable_rate else 0.0

    @property
    def p99(self) -> float:
        return percentile(self.bot.step, 99)


async def run_bot(
    url: str,
    officers: int,
    concurrency: int,
    codes: list[tuple[str, IndicatorKind]],
    profile: Profiler | None,
) -> tuple[Timings, int, Check]:
    settings = bot_settings(url, SECRET, bot_username="bench_bot")
    engine = create_engine(settings.database_url)
    total = WARMUP_OFFICERS + officers
    await bench_officers(engine, total)
    counted = {"statements": 0, "connections": 0}

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _statement(*_args: Any) -> None:
        counted["statements"] += 1

    @event.listens_for(engine.sync_engine.pool, "connect")
    def _connection(*_args: Any) -> None:
        counted["connections"] += 1

    running = await start_app(
        settings, make_uow(engine), lambda: NOW, username="bench_bot", lead=False
    )
    driver = Driver(running)
    script = report_script(codes)
    try:
        driver.recording = False
        failures = await drive(driver, list(range(WARMUP_OFFICERS)), concurrency, script)
        driver.recording = True
        before = dict(counted)
        if profile is not None:
            profile.enable()
        started = time.perf_counter()
        failures += await drive(driver, list(range(WARMUP_OFFICERS, total)), concurrency, script)
        driver.timings.wall = time.perf_counter() - started
        if profile is not None:
            profile.disable()
        driver.timings.statements = counted["statements"] - before["statements"]
        driver.timings.connections = counted["connections"] - before["connections"]
    finally:
        # Writes the last conversation states, and lets go of the scheduler lock the leadership
        # job took at start (its connection was otherwise left for the garbage collector).
        await stop_app(running)
    check = await check_reports(engine, total)
    await engine.dispose()
    return driver.timings, failures, check


def run_backend(
    backend: str,
    officers: int,
    concurrency: int,
    codes: list[tuple[str, IndicatorKind]],
    profile: Profiler | None,
) -> Result:
    started = time.perf_counter()
    with fresh_database(backend, "bench") as url:
        setup_seconds = time.perf_counter() - started

        async def durable(run: str) -> Timings:
            engine = create_engine(url)  # as the bot's: the same pool and, on SQLite, pragmas
            try:
                return await run_echo(officers, concurrency, codes, (engine, f"echo-{run}"))
            finally:
                await engine.dispose()

        async def all_runs() -> tuple[list[Timings], int, Check]:
            timings = [await run_echo(officers, concurrency, codes), await durable("before")]
            bot, failures, check = await run_bot(url, officers, concurrency, codes, profile)
            timings += [bot, await durable("after"), await run_echo(officers, concurrency, codes)]
            return timings, failures, check

        timings, failures, check = asyncio.run(all_runs())
    before, durable_before, bot, durable_after, after = timings
    return Result(
        backend,
        officers,
        concurrency,
        bot,
        before,
        after,
        durable_before,
        durable_after,
        check,
        failures,
        setup_seconds,
    )


# --- output ---------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_result(result: Result) -> None:
    bot, check = result.bot, result.check
    steps_each = bot.steps // result.officers if result.officers else 0
    ratio_ok = result.ratio >= AIM_RATIO
    durable_ok = result.durable_ratio >= AIM_DURABLE_RATIO
    p99_ok = result.p99 <= AIM_P99_MS
    print(f"\n=== {result.backend} ===")
    print(
        f"  officers            {result.officers} (+{WARMUP_OFFICERS} warm-up, not timed), "
        f"{result.concurrency} in flight, {steps_each} steps each"
    )
    print(f"  steps               {bot.steps}")
    print(f"  wall time           {bot.wall:.2f} s")
    print(f"  steps/s             {bot.rate:,.1f}")
    print(
        f"  step latency        p50 {percentile(bot.step, 50):.1f} ms   "
        f"p99 {result.p99:.1f} ms   max {percentile(bot.step, 100):.1f} ms"
    )
    print(
        f"  queued latency      p50 {percentile(bot.queued, 50):.1f} ms   "
        f"p99 {percentile(bot.queued, 99):.1f} ms   (incl. waiting behind "
        f"{result.concurrency - 1} other officers)"
    )
    print(
        f"  echo steps/s        {result.echo_rate:,.1f}   (before {result.echo_before.rate:,.1f}, "
        f"after {result.echo_after.rate:,.1f}; p50 {percentile(result.echo_before.step, 50):.2f}"
        f" ms, p99 {percentile(result.echo_before.step, 99):.2f} ms)"
    )
    print(
        f"  durable echo/s      {result.durable_rate:,.1f}   (before "
        f"{result.durable_before.rate:,.1f}, after {result.durable_after.rate:,.1f}; p50 "
        f"{percentile(result.durable_before.step, 50):.2f} ms, p99 "
        f"{percentile(result.durable_before.step, 99):.2f} ms; one committed row per update)"
    )
    print(f"  ratio bot/echo      {result.ratio:.3f}")
    print(f"  ratio bot/durable   {result.durable_ratio:.3f}")
    print(
        f"  database            {bot.statements / max(1, bot.steps):.1f} SQL statements per step, "
        f"{bot.connections} connections opened while measuring"
    )
    ratio_aim = f"ratio ≥ {AIM_RATIO:.2f}: {verdict(ratio_ok)}"
    if result.backend != "sqlite":
        ratio_aim += " (aim set for SQLite; informative here)"
    print(
        f"  aims                {ratio_aim};  durable ratio ≥ {AIM_DURABLE_RATIO:.1f}: "
        f"{verdict(durable_ok)};  p99 ≤ {AIM_P99_MS:.0f} ms: {verdict(p99_ok)}"
    )
    print(
        f"  reports             {check.reports} of {check.officers} officers, "
        f"{check.drafts} drafts left: lost {check.lost}, duplicated {check.duplicated}"
        + (f"; {result.failures} conversations went wrong" if result.failures else "")
    )


def print_summary(results: list[Result]) -> None:
    print("\n=== summary ===")
    header = (
        f"  {'backend':<11}{'officers':>9}{'steps':>7}{'wall s':>8}{'steps/s':>9}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'echo/s':>9}{'ratio':>7}{'durable/s':>10}{'ratio':>7}  aims"
    )
    print(header)
    for r in results:
        aims = (
            f"ratio {verdict(r.ratio >= AIM_RATIO)}"
            + ("" if r.backend == "sqlite" else " (n/a)")
            + f", durable {verdict(r.durable_ratio >= AIM_DURABLE_RATIO)}"
            + f", p99 {verdict(r.p99 <= AIM_P99_MS)}"
        )
        print(
            f"  {r.backend:<11}{r.officers:>9}{r.bot.steps:>7}{r.bot.wall:>8.1f}"
            f"{r.bot.rate:>9.1f}{percentile(r.bot.step, 50):>8.1f}{r.p99:>8.1f}"
            f"{r.echo_rate:>9.0f}{r.ratio:>7.3f}{r.durable_rate:>10.0f}{r.durable_ratio:>7.3f}"
            f"  {aims}"
        )
    for r in results:
        print(
            f"  {r.backend}: lost {r.check.lost}, duplicated {r.check.duplicated}, "
            f"drafts left {r.check.drafts}"
        )


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = script_parser(
        __doc__,
        quick=f"{QUICK_OFFICERS} officers (CI)",
        profile="profile the bot phase (first backend)",
    )
    parser.add_argument("--officers", type=int, help=f"default {DEFAULT_OFFICERS}")
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    args = parser.parse_args(argv)
    officers = args.officers or (QUICK_OFFICERS if args.quick else DEFAULT_OFFICERS)
    if officers < 1 or args.concurrency < 1:
        parser.error("--officers and --concurrency must be at least 1")
    args.concurrency = min(args.concurrency, officers)  # what is really in flight

    settings = Settings(_env_file=None, app_secret=SecretStr(SECRET))
    union_set = load_reporting_setup(settings).indicators.for_kind(UnitKind.TRADE_UNION)
    assert union_set is not None
    codes = [(i.code, i.kind) for i in union_set.indicators]

    print(
        f"report_throughput: {officers} officers per backend, {args.concurrency} in flight, "
        f"{len(codes) + 2} steps per report; {versions()}"
    )
    results: list[Result] = []
    profile = Profiler(args.profile, async_mode="disabled") if args.profile else None
    for backend in each_backend(args.backend):
        result = run_backend(backend, officers, args.concurrency, codes, profile)
        print_result(result)
        results.append(result)
        if profile is not None:
            profile.report(f"the bot phase on {backend}")
            profile = None
    if not results:
        return 1
    print_summary(results)
    broken = any(
        r.check.lost or r.check.duplicated or r.check.drafts or r.failures for r in results
    )
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
