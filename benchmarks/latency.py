#!/usr/bin/env python3
"""Report-step latency of the real bot behind a Bot API with network delay, against a bare echo.

    python benchmarks/latency.py [--backend sqlite|postgresql|both] [--delays 0,50,150]
                                 [--officers 20,100] [--pauses none,5-15] [--seconds S]
                                 [--pause-seconds S] [--chat-rate R] [--chat-burst B]
                                 [--quick] [--keep] [--profile FILE]
    python3 run.py bench benchmarks/latency.py --quick

What a deployment sees: ``python -m bot`` started as the README says (``BOT_TOKEN``,
``TELEGRAM_API_BASE_URL``, ``DATABASE_URL``; the scheduler off, so no reminder mixes into the
figures), polling a Bot API stand-in on 127.0.0.1 (testkit/bot_api.py, HTTP/1.1 keep-alive)
that performs and answers every method but getUpdates ``delay`` ms late — the round trip to
Telegram's servers — and serves getUpdates by long polling from the queue of updates the
simulated officers produce, with Telegram's offset semantics.

The stand-in also refuses what Telegram refuses (testkit/bot_api.FloodLimits):
a call to a chat beyond the bot's 30 a second (one second's worth at once), or beyond a chat's
``--chat-rate`` a second (default 1, with bursts of ``--chat-burst``, default 3: Telegram's "one
message per second in a chat", short bursts tolerated), gets HTTP 429 with ``retry_after``. The
429s are counted (by the bucket that refused) and the bot's own AIORateLimiter has to cope with
them: PTB's pauses *every* call for retry_after + 0.1 s after one.

The database is a scratch one (testkit/db.py; PostgreSQL on the local server, SKIPPED
visibly when it does not answer) seeded by the fault scripts' ``seed`` (testkit/polling.py):
registered officers each with their own reporting unit (trade unions and party cells) and last
month's report, with the month open from its first day so that it can be reported on any date.

An officer is the fault scripts' scripted user, driven in a closed loop: it sends its next answer
(a typed Vietnamese number, a button, a reason after "is that right?") only once the bot's answer
to the previous one has arrived at the stand-in, after a human pause (``--pauses``: ``none``, or
``LO-HI`` seconds drawn uniformly; the first step of a run comes after a pause drawn from 0-HI so
that people do not all start at once). N officers (``--officers``) are at work at all times: one
who has sent the report and seen the receipt hands the seat to a colleague who has not (so every
run gets officers with nothing reported yet; enough are seeded for the whole plan).

A *step* is one update of an officer; its latency runs from the officer putting the update into
the getUpdates queue to the bot's answer (the next question, the review, the receipt …) being
performed at the stand-in (both ``time.monotonic`` in this process). A run lasts ``--seconds``
(no pause; default 10) or ``--pause-seconds`` (with a pause; default 25); afterwards no new step
starts and the steps in flight are awaited (they count in the latencies, not in the rates).

In the same run, on a stand-in of its own with the same delay and limits, a bare
python-telegram-bot echo bot (``--child echo``: PTB's own polling, ``concurrent_updates`` with the
bot's bound on updates in flight, the bot's rate limiter ``AnswersFirstRateLimiter(max_retries=3)``
as in bot/app.py) is driven the same way: the same seats, the same pause, one typed text per step
(as many as a report has) answered by one sendMessage. For each (delay, officers, pause) the echo
runs first, then the bot on each database, back to back.

Printed per (backend, delay, officers, pause): completed reports (echo: rounds of a report's
length), steps, steps/s, Bot API calls/s (all but getUpdates; "chat" = those to a chat, which the
rate limiter paces), calls per step, p50/p95/p99/max step latency, the 429s, CPU ms per step of
the bot's process (from /proc), and the ratio bot/echo of steps/s. Then the issue's aims at 150
ms: with no pause and 100 officers, chat calls/s ≥ 0.9 of the 30/s Telegram allows; with the
human pause and 100 officers, p99 ≤ 1.5 s (PASS/MISS: figures, not errors).

Exit status 1 only when a report is lost (a receipt shown, no report stored), duplicated (two
reports of one unit and month) or stored under another number than its receipt, when a bot or
the echo dies or does not stop cleanly, or when the bot logs a failure (a handler that raised).
``--keep`` keeps the processes' logs; ``--profile FILE`` runs the first database's bot under
testkit/profiling.py's Profiler for its whole life (all its runs; choose ``--delays 0`` to
see the CPU of the bot alone).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # testkit/script.py says why

from grassroots_config import DEFAULT_CONFIG_DIR

from infra.channel_updates import ChannelUser
from infra.i18n import number as format_number
from models import UnitKind
from services.indicators import load_indicator_config
from testkit.bot_api import (
    FloodLimits,
    Sent,
    StandIn,
)
from testkit.db import BACKENDS, each_backend, fresh_database
from testkit.polling import (
    SCREENS,
    BotProcess,
    Life,
    Officer,
    OfficerSpec,
    PolledChat,
    Simulation,
    Timing,
    World,
    answer_question,
    button,
    check_reports,
    classify_officer,
    config_folder,
    period_button,
    print_log,
    seed,
    unsolicited,
)
from testkit.profiling import Profiler
from testkit.script import percentile, script_parser, versions

BOT_RATE = 30.0  # Telegram's "about 30 messages per second" for a bot, as the limiter's
AIM_SHARE = 0.9  # at 150 ms, no pause, 100 officers: chat calls/s ≥ 0.9 × BOT_RATE
AIM_P99 = 1.5  # at 150 ms, the human pause, 100 officers: p99 step latency ≤ 1.5 s
AIM_DELAY_MS, AIM_OFFICERS = 150, 100

DEFAULTS = {"delays": "0,50,150", "officers": "20,100", "pauses": "none,5-15"}
DEFAULT_SECONDS, DEFAULT_PAUSE_SECONDS = 10.0, 25.0
QUICK = {"delays": "50", "officers": "5", "pauses": "none,0.5-1.5"}
QUICK_SECONDS, QUICK_PAUSE_SECONDS = 3.0, 4.0
DRAIN = 120.0  # after a run, steps in flight get this long to be answered
OTHER_PATIENCE = 5.0  # an unexpected screen: wait this long for the one the step is about
MAX_DETOURS = 3  # unexpected screens an officer meets before giving up (each: /baocao again)
WARM_UP_REPORTS = 2  # per bot, before measuring (imports, caches, connection pools); not timed
# Seeding enough officers: no run completes more reports than this many steps a second allow.
STEP_CEILING = 45.0
FIRST_ECHO_USER = 740_000_000
REASON = "Doanh nghiệp tuyển thêm công nhân mới"
SEEDED_KINDS = {UnitKind.TRADE_UNION, UnitKind.PARTY_CELL}  # testkit/polling.py's seed


# --- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    delay_ms: int
    officers: int
    pause: tuple[float, float] | None  # seconds, drawn uniformly; None: no pause

    @property
    def pause_text(self) -> str:
        return "none" if self.pause is None else f"{self.pause[0]:g}–{self.pause[1]:g} s"


def parse_list(text: str, convert: Callable[[str], int]) -> list[int]:
    return [convert(part) for part in text.split(",") if part.strip()]


def parse_pauses(text: str) -> list[tuple[float, float] | None]:
    pauses: list[tuple[float, float] | None] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if part == "none":
            pauses.append(None)
            continue
        low, _, high = part.partition("-")
        pause = (float(low), float(high or low))
        if not 0 <= pause[0] <= pause[1]:
            raise ValueError(f"pause {part!r}: LO-HI seconds, 0 ≤ LO ≤ HI")
        pauses.append(pause)
    return pauses


def min_report_steps() -> int:
    """The fewest steps a report of a seeded unit takes: its questions, /baocao, the review."""
    config = load_indicator_config(DEFAULT_CONFIG_DIR / "indicators.yaml")
    sizes = [len(s.indicators) for s in config.sets if s.unit_kind in SEEDED_KINDS]
    return min(sizes) + 2


def officers_needed(plan: list[Config], seconds: Callable[[Config], float]) -> int:
    """Seats of every run, plus the colleagues who take over a seat after a report (no run can
    complete more reports than STEP_CEILING steps a second allow), plus the warm-up."""
    fewest = min_report_steps()
    total = WARM_UP_REPORTS
    for config in plan:
        more = math.ceil(seconds(config) * STEP_CEILING / fewest)
        if config.pause is not None and config.pause[0] > 0:
            per_seat = math.floor(seconds(config) / (fewest * config.pause[0]))
            more = min(more, config.officers * per_seat)
        total += config.officers + more
    return total


# --- processes: the bot, the echo -------------------------------------------------------------


class Child(BotProcess):
    """testkit/polling.py's BotProcess (environment, start, readiness, stop, log reading) for any
    command: ``python -m bot``, the bot under the profiler, the echo."""

    def __init__(
        self,
        name: str,
        command: list[str],
        world: World,
        api: StandIn,
        workdir: Path,
        extra_env: dict[str, str],
    ) -> None:
        super().__init__(world, api, workdir, extra_env)
        self.name = name
        self.command = command

    def start(self) -> Life:
        number = len(self.lives) + 1
        log = self.workdir / f"{self.name}-{number}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                self.command, cwd=self.workdir, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        life = Life(number, process, log, time.monotonic())
        self.lives.append(life)
        return life

    def cpu_seconds(self) -> float | None:
        """User + system CPU the process has used so far (Linux /proc), None elsewhere."""
        life = self.current
        if life is None:
            return None
        try:
            stat = Path(f"/proc/{life.process.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, field 3 on
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_command(kind: str, profile: str | None = None) -> list[str]:
    if kind == "bot" and profile is None:
        return [sys.executable, "-m", "bot"]  # exactly as the README starts it
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        kind,
        *filter(None, [profile]),
    ]


def run_echo_bot() -> int:
    """The baseline: PTB's own polling, chats side by side (``concurrent_updates`` bounded as the
    bot's processor is; in a closed loop a chat never has two updates at once, so keeping each
    chat in order needs nothing more), the bot's rate limiter and HTTP pool, and one handler that
    answers each text with itself."""
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters
    from telegram.request import HTTPXRequest

    from bot.update_processor import MAX_RUNNING
    from infra.rate_limit import AnswersFirstRateLimiter

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    root = os.environ["TELEGRAM_API_BASE_URL"]
    application = (
        Application.builder()
        .token(os.environ["BOT_TOKEN"])
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .request(HTTPXRequest(connection_pool_size=256))
        .concurrent_updates(MAX_RUNNING)
        .rate_limiter(AnswersFirstRateLimiter(max_retries=3))
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling(poll_interval=0)
    return 0


def run_profiled_bot(path: str) -> int:
    """``python -m bot`` under the Profiler, written when the bot stops (SIGINT)."""
    from bot.__main__ import main as bot_main

    profiler = Profiler(path, async_mode="disabled")
    profiler.enable()
    try:
        return bot_main()
    finally:
        profiler.disable()
        profiler.report("python -m bot over all its runs")


# --- one run ----------------------------------------------------------------------------------


@dataclass
class Target:
    """One bot (or the echo) with its stand-in and its simulated users."""

    name: str  # sqlite | postgresql | echo
    api: StandIn
    process: Child
    sim: Simulation
    officers: list[OfficerSpec]  # the bot's: not yet at work, in order
    started: list[Officer] = field(default_factory=list)  # every officer that took a seat
    broken: list[str] = field(default_factory=list)

    def next_officer(self) -> OfficerSpec | None:
        return self.officers.pop(0) if self.officers else None


@dataclass
class Figures:
    """What one run measured."""

    target: str
    config: Config
    seconds: float  # the window the rates are over
    steps: list[tuple[float, float]]  # (sent, answered), monotonic, every answered step
    in_window: int  # steps answered within the window
    reports: int
    calls: int  # Bot API calls but getUpdates performed within the window
    chat_calls: int  # of them, calls to a chat (what the rate limiter paces)
    methods: Counter[str]
    refused_by_bot: int
    refused_by_chat: int
    unanswered: int  # steps whose answer did not come before the drain ended
    cpu: float | None  # seconds of the process's CPU within the window
    harness_cpu: float  # seconds of this process's CPU (stand-ins, officers) within the window
    others: Counter[str]  # unexpected screens met
    seats_idle: int  # seats left without an officer (too few seeded)

    @property
    def latencies(self) -> list[float]:
        return [answered - sent for sent, answered in self.steps]

    @property
    def rate(self) -> float:
        return self.in_window / self.seconds

    @property
    def calls_rate(self) -> float:
        return self.calls / self.seconds

    @property
    def chat_rate(self) -> float:
        return self.chat_calls / self.seconds

    @property
    def calls_per_step(self) -> float:
        return self.calls / self.in_window if self.in_window else math.nan

    @property
    def cpu_ms_per_step(self) -> float:
        return 1000 * self.cpu / self.in_window if self.cpu is not None and self.in_window else 0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)  # ms


class Run:
    """The seats of one run: their clock, their pauses, what they measured."""

    def __init__(self, target: Target, config: Config, seconds: float, rng: random.Random):
        self.target = target
        self.config = config
        self.rng = rng
        self.start = time.monotonic()
        self.end = self.start + seconds
        self.hard_end = self.end + DRAIN
        self.steps: list[tuple[float, float]] = []
        self.reports = 0
        self.unanswered = 0
        self.others: Counter[str] = Counter()
        self.seats_idle = 0

    @property
    def open(self) -> bool:
        return time.monotonic() < self.end

    async def pause(self, first: bool) -> bool:
        """The human pause before a step (cut short by the end of the run; ``first``: the seat's
        first step, drawn from 0-HI); False when the run is over."""
        if self.config.pause is not None:
            low, high = self.config.pause
            seconds = self.rng.uniform(0 if first else low, high)
            await asyncio.sleep(max(0.0, min(seconds, self.end - time.monotonic())))
        return self.open

    async def step(
        self, chat: PolledChat, act: Callable[[], None], wanted: Callable[[Sent], bool]
    ) -> Sent | None:
        """Do ``act`` (one update) and wait for the answer ``wanted``; None when none came.
        The latency ends at the first wanted screen; an unexpected one (counted) is waited past
        for OTHER_PATIENCE seconds and returned when nothing else comes."""
        sent = time.monotonic()
        act()
        deadline = self.hard_end
        other: Sent | None = None
        while True:
            screens = await self.screens(chat, deadline)
            if not screens:
                if other is None:
                    self.unanswered += 1
                    return None
                self.steps.append((sent, other.at))
                return other
            for screen in screens:
                if wanted(screen):
                    self.steps.append((sent, screen.at))
                    return screen
            other = screens[-1]
            self.others[other.text[:40]] += 1
            deadline = min(self.hard_end, time.monotonic() + OTHER_PATIENCE)

    async def screens(self, chat: PolledChat, deadline: float) -> list[Sent]:
        """New screens for the officer (the fault scripts' ``PolledChat.screens`` without its
        settling pause, which would be measured)."""
        api, user_id = self.target.api, chat.user.user_id
        while True:
            chat.event.clear()
            new = api.chat(user_id, chat.seen)
            chat.seen += len(new)
            screens = [s for s in new if s.method in SCREENS and not unsolicited(s)]
            left = deadline - time.monotonic()
            if screens or left <= 0:
                return screens
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(chat.event.wait(), left)


def officer_user(spec: OfficerSpec) -> ChannelUser:
    return ChannelUser(spec.user_id, "Cán bộ", f"Thử {spec.index}", language_code="vi")


async def report(run: Run, spec: OfficerSpec, first: bool) -> None:
    """One officer's monthly report, from /baocao to the receipt (or the end of the run);
    ``first``: the first in its seat."""
    sim = run.target.sim
    officer = Officer(spec, 0.0)
    run.target.started.append(officer)
    chat = PolledChat(sim, officer_user(spec))
    tries: Counter[int] = Counter()
    detours = 0

    def wanted(screen: Sent) -> bool:
        return classify_officer(screen)[0] != "other"

    def press(screen: Sent, data: str | None) -> Callable[[], None]:
        assert data is not None, f"no button for the next step in {screen.text[:60]!r}"
        return lambda: chat.press(screen, data)

    def again() -> None:
        chat.send("/baocao")

    act: Callable[[], None] = again
    while await run.pause(first):
        first = False
        screen = await run.step(chat, act, wanted)
        if screen is None:
            break
        officer.steps += 1
        kind, info = classify_officer(screen)
        if kind == "receipt":
            officer.outcome, officer.receipt_id = "receipt", info
            run.reports += 1
            return
        if kind == "question":
            index = int(info)
            tries[index] += 1
            officer.max_index = max(officer.max_index, index)

            def typed(screen: Sent = screen, index: int = index) -> None:
                answer_question(chat, officer, screen, index, tries[index], run.rng)

            act = typed
        elif kind == "jump":
            officer.jumps += 1
            act = press(screen, button(screen, "!rpt:v1:jumpok:"))
        elif kind == "reason":
            act = lambda: chat.send(REASON)  # noqa: E731
        elif kind == "review" and not info:
            officer.submits += 1
            act = press(screen, button(screen, "rpt:v1:submit:"))
        elif kind == "periods":
            act = press(screen, period_button(screen, sim.world.period.key))
        elif kind == "units":
            act = press(screen, button(screen, "rpt:v1:unit:"))
        elif kind == "takeover":
            act = press(screen, button(screen, "rpt:v1:takeover:"))
        else:
            # "Something went wrong", an amendment, "already sent" …: what a person does next
            # is to ask for the report again; a few times, then they give up.
            officer.others[kind if kind != "other" else str(info)] += 1
            detours += 1
            if detours > MAX_DETOURS:
                officer.outcome = "gave-up"
                return
            act = again
    officer.outcome = officer.outcome or "unfinished"


async def echo_round(run: Run, spec: OfficerSpec, user: ChannelUser, first: bool) -> None:
    """As many typed texts as ``spec``'s report has steps (/baocao, its figures, "send"), each
    answered by its echo; ``first``: the first round in its seat."""
    chat = PolledChat(run.target.sim, user)
    texts = ["/baocao", *(format_number(v, "vi") for v in spec.values.values()), "Gửi báo cáo"]
    for text in texts:
        if not await run.pause(first):
            return
        first = False
        if await run.step(chat, partial(chat.send, text), lambda screen: True) is None:
            return
    run.reports += 1


async def seat(run: Run, echo_users: Iterator[int] | None, specs: Iterator[OfficerSpec]) -> None:
    """One officer at work; after a report, the next one takes the seat."""
    first = True
    while run.open:
        if echo_users is not None:
            user = ChannelUser(next(echo_users), "Cán bộ", "Thử", language_code="vi")
            await echo_round(run, next(specs), user, first)
        else:
            spec = run.target.next_officer()
            if spec is None:
                run.seats_idle += 1
                return
            await report(run, spec, first)
        first = False


async def measure(
    target: Target,
    config: Config,
    seconds: float,
    flood: Callable[[], FloodLimits],
    rng: random.Random,
    echo_specs: list[OfficerSpec],
    echo_users: Iterator[int],
) -> Figures:
    api = target.api
    api.delay = config.delay_ms / 1000
    limits = api.fault = flood()
    calls_before = len(api.calls)
    cpu_before = target.process.cpu_seconds()
    harness_before = time.process_time()
    run = Run(target, config, seconds, rng)
    is_echo = target.name == "echo"
    specs = itertools.cycle(echo_specs)
    seats = [
        asyncio.create_task(seat(run, echo_users if is_echo else None, specs))
        for _ in range(config.officers)
    ]
    await asyncio.sleep(max(0.0, run.end - time.monotonic()))
    window = api.calls[calls_before:]
    cpu_after = target.process.cpu_seconds()
    harness_cpu = time.process_time() - harness_before
    done, late = await asyncio.wait(seats, timeout=DRAIN + OTHER_PATIENCE + 5)
    for task in late:  # cannot happen (every wait has a deadline); never leave one behind
        task.cancel()
    for task in done:
        task.result()  # a seat's own failure is the benchmark's: let it surface
    await settle(api)
    api.fault = None
    performed = [(m, p) for m, p in window if m != "getUpdates"]
    return Figures(
        target=target.name,
        config=config,
        seconds=seconds,
        steps=run.steps,
        in_window=sum(1 for _, answered in run.steps if answered <= run.end),
        reports=run.reports,
        calls=len(performed),
        chat_calls=sum(1 for _, params in performed if "chat_id" in params),
        methods=Counter(m for m, _ in performed),
        refused_by_bot=limits.refused_by_bot,
        refused_by_chat=limits.refused_by_chat,
        unanswered=run.unanswered,
        cpu=cpu_after - cpu_before if cpu_after is not None and cpu_before is not None else None,
        harness_cpu=harness_cpu,
        others=run.others,
        seats_idle=run.seats_idle,
    )


async def settle(api: StandIn, within: float = 30.0) -> None:
    """Until the bot has confirmed every update, then a moment more: a 429 pause of the rate
    limiter or a receipt retried in the background must not spill into the next run."""
    for _ in range(round(within / 0.1)):
        if not api.pending_updates():
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.2)


# --- the whole benchmark ----------------------------------------------------------------------


@dataclass
class Options:
    backends: list[str]
    plan: list[Config]
    seconds: float
    pause_seconds: float
    chat_rate: float
    chat_burst: float
    profile: str | None
    keep: bool
    seed: int

    def run_seconds(self, config: Config) -> float:
        return self.seconds if config.pause is None else self.pause_seconds

    def flood(self) -> FloodLimits:
        return FloodLimits(BOT_RATE, None, self.chat_rate, self.chat_burst)


async def warm_up(target: Target, echo_specs: list[OfficerSpec], rng: random.Random) -> None:
    """A few reports (echo: rounds) at no delay and no pause, not measured; the bot's officers
    are checked with the others."""
    target.api.delay = 0.0
    run = Run(target, Config(0, WARM_UP_REPORTS, None), DRAIN, rng)
    if target.name == "echo":
        users = [ChannelUser(FIRST_ECHO_USER - 1 - i, "Cán bộ") for i in range(WARM_UP_REPORTS)]
        await asyncio.gather(
            *(echo_round(run, s, u, True) for s, u in zip(echo_specs, users, strict=False))
        )
    else:
        taken = [target.next_officer() for _ in range(WARM_UP_REPORTS)]
        await asyncio.gather(*(report(run, s, True) for s in taken if s is not None))
    await settle(target.api)


async def benchmark(
    worlds: dict[str, World], stand_ins: dict[str, StandIn], workdir: Path, options: Options
) -> tuple[list[Figures], list[Target]]:
    started = time.monotonic()
    rng = random.Random(options.seed)
    first = next(iter(worlds.values()))
    quiet = {"SCHEDULER_ENABLED": "false", "LOG_LEVEL": "WARNING"}
    targets: list[Target] = []
    for name, api in stand_ins.items():
        world = worlds.get(name, first)
        profile = options.profile if name == options.backends[0] else None
        command = child_command("echo" if name == "echo" else "bot", profile)
        process = Child(
            f"{name}-bot" if name != "echo" else "echo", command, world, api, workdir, quiet
        )
        sim = Simulation(api, world, rng, Timing())
        sim.attach()
        officers = list(world.officers) if name != "echo" else []
        targets.append(Target(name, api, process, sim, officers))
    lives = [target.process.start() for target in targets]
    ready = await asyncio.gather(
        *(t.process.wait_ready(life) for t, life in zip(targets, lives, strict=True))
    )
    for target, life, up in zip(targets, lives, ready, strict=True):
        if not up:
            raise RuntimeError(f"{target.name} did not start:\n{target.process.tail(life)}")
    print(f"  started in {time.monotonic() - started:.0f} s", flush=True)
    echo_specs = list(first.officers)
    await asyncio.gather(*(warm_up(t, echo_specs, rng) for t in targets))  # apart: no contention
    figures: list[Figures] = []
    echo_users = itertools.count(FIRST_ECHO_USER)
    for config in options.plan:
        seconds = options.run_seconds(config)
        for target in targets:
            if target.broken:
                continue
            result = await measure(
                target, config, seconds, options.flood, rng, echo_specs, echo_users
            )
            figures.append(result)
            print_progress(result)
            died = target.process.check_died()
            if died is not None:
                target.broken.append(f"{target.name} died (exit {died.returncode})")
                print(
                    f"  ! {target.name} died:\n    "
                    + target.process.tail(died).replace("\n", "\n    ")
                )
    # SIGINT to all at once: each takes a moment to hand its updates and connections back.
    lives = await asyncio.gather(*(asyncio.to_thread(t.process.stop) for t in targets))
    for target, life in zip(targets, lives, strict=True):
        if life is not None and life.returncode != 0 and not target.broken:
            target.broken.append(f"{target.name} did not stop cleanly (exit {life.returncode})")
    return figures, targets


# --- output -----------------------------------------------------------------------------------


def ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def print_progress(f: Figures) -> None:
    c = f.config
    refused = f.refused_by_bot + f.refused_by_chat
    print(
        f"  {c.delay_ms:>3} ms {c.officers:>3} officers pause {c.pause_text:<9} {f.target:<10} "
        f"{f.in_window:>5} steps {f.rate:6.1f}/s  p50 {ms(f.p(50)):>6} p99 {ms(f.p(99)):>6} ms  "
        f"chat calls {f.chat_rate:5.1f}/s  429s {refused} (bot {f.refused_by_bot}, chat "
        f"{f.refused_by_chat})"
        + f"  harness cpu {100 * f.harness_cpu / f.seconds:.0f}%"
        + (f"  unexpected screens {sum(f.others.values())}" if f.others else "")
        + (f"  unanswered {f.unanswered}" if f.unanswered else "")
        + (f"  idle seats {f.seats_idle}" if f.seats_idle else ""),
        flush=True,
    )


HEADER = (
    f"  {'':<11}{'reports':>8}{'steps':>7}{'steps/s':>9}{'calls/s':>9}{'chat/s':>8}"
    f"{'calls/step':>11}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'429s':>6}"
    f"{'cpu ms/step':>12}{'bot/echo':>9}"
)


def print_table(figures: list[Figures]) -> None:
    print("\n=== step latency (from the officer's update to the bot's answer at the stand-in) ===")
    by_config: dict[Config, list[Figures]] = {}
    for f in figures:
        by_config.setdefault(f.config, []).append(f)
    for config, rows in by_config.items():
        seconds = rows[0].seconds
        print(
            f"\n  delay {config.delay_ms} ms, {config.officers} officers, pause "
            f"{config.pause_text}, {seconds:g} s"
        )
        print(HEADER)
        echo = next((r for r in rows if r.target == "echo"), None)
        for r in rows:
            ratio = ""
            if echo is not None and r is not echo and echo.rate:
                ratio = f"{r.rate / echo.rate:9.3f}"
            print(
                f"  {r.target:<11}{r.reports:>8}{r.in_window:>7}{r.rate:>9.1f}"
                f"{r.calls_rate:>9.1f}{r.chat_rate:>8.1f}{r.calls_per_step:>11.2f}"
                f"{ms(r.p(50)):>9}{ms(r.p(95)):>9}{ms(r.p(99)):>9}{ms(r.p(100)):>9}"
                f"{r.refused_by_bot + r.refused_by_chat:>6}{r.cpu_ms_per_step:>12.1f}{ratio}"
            )


def print_calls(figures: list[Figures]) -> None:
    """Which Bot API methods a step costs, per target (all runs together)."""
    print("\n=== Bot API calls per step, by method (all runs) ===")
    totals: dict[str, Counter[str]] = {}
    steps: Counter[str] = Counter()
    for f in figures:
        totals.setdefault(f.target, Counter()).update(f.methods)
        steps[f.target] += f.in_window
    for name, methods in totals.items():
        parts = ", ".join(
            f"{method} {count / max(1, steps[name]):.2f}" for method, count in methods.most_common()
        )
        print(f"  {name:<11}{parts}")


def print_aims(figures: list[Figures]) -> None:
    rows = [
        f
        for f in figures
        if f.target != "echo"
        and f.config.delay_ms == AIM_DELAY_MS
        and f.config.officers == AIM_OFFICERS
    ]
    if not rows:
        return
    print(f"\n=== aims at {AIM_DELAY_MS} ms, {AIM_OFFICERS} officers ===")
    for f in rows:
        if f.config.pause is None:
            share = f.chat_rate / BOT_RATE
            verdict = "PASS" if share >= AIM_SHARE else "MISS"
            print(
                f"  {f.target:<11}no pause: chat calls {f.chat_rate:.1f}/s = {share:.2f} of "
                f"{BOT_RATE:g}/s (aim ≥ {AIM_SHARE}): {verdict}"
            )
        else:
            p99 = f.p(99) / 1000
            verdict = "PASS" if p99 <= AIM_P99 else "MISS"
            print(
                f"  {f.target:<11}pause {f.config.pause_text}: p99 {p99:.2f} s "
                f"(aim ≤ {AIM_P99} s): {verdict}"
            )


def load_average() -> str:
    """The machine's load: figures taken on a busy machine say so."""
    try:
        return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


WARNING_LINE = re.compile(r" WARNING (\S+?):? (.*?)(?: at \S+ <.*)?$")


def warnings_logged(process: Child) -> Counter[str]:
    """The warnings a process logged, by logger and message (e.g. "database unreachable:
    OperationalError": a step that failed and was apologised for)."""
    found: Counter[str] = Counter()
    for life in process.lives:
        for line in life.log.read_text("utf-8", "replace").splitlines():
            match = WARNING_LINE.search(line)
            if match:
                found[f"{match.group(1)}: {match.group(2)[:60]}"] += 1
    return found


def judge(target: Target) -> list[str]:
    """What went wrong for one bot: its reports against the database, its log, its life."""
    why = list(target.broken)
    found_log = target.process.findings()
    print(f"\n--- {target.name} ---")
    unhandled = print_log(found_log)
    if unhandled:
        why.append(f"{unhandled} failures in the log")
    warned = warnings_logged(target.process)
    print(
        "  warnings       "
        + (", ".join(f"{n}× {text}" for text, n in warned.most_common(5)) or "none")
    )
    if target.name == "echo":
        return why
    found = asyncio.run(check_reports(target.sim.world, target.started))
    outcomes = Counter(o.outcome for o in target.started)
    print(
        f"  reports        {len(target.started)} officers took a seat: "
        + ", ".join(f"{n} {outcome}" for outcome, n in outcomes.most_common())
    )
    met: Counter[str] = Counter()
    for officer in target.started:
        met.update(officer.others)
    if met:
        print(
            "                 unexpected answers they met: "
            + ", ".join(f"{n}× {text!r}" for text, n in met.most_common(4))
        )
    print(
        f"                 database: {found.in_database} reports for {target.sim.world.period.key}"
        f"; lost {len(found.lost)}, duplicated {found.duplicated}, wrong receipt "
        f"{len(found.wrong_receipt)}; {found.unconfirmed_in_db} stored without the officer "
        f"seeing the receipt; {found.drafts_left} drafts left by officers the run's end cut off"
    )
    for line in (found.lost + found.wrong_receipt)[:10]:
        print(f"    ! {line}")
    if found.lost or found.wrong_receipt:
        why.append(f"{len(found.lost) + len(found.wrong_receipt)} confirmed reports lost")
    if found.duplicated:
        why.append(f"{found.duplicated} reports duplicated")
    return why


# --- main -------------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> Options:
    parser = script_parser(
        __doc__,
        quick="the reduced run CI does (< 1 min)",
        profile="profile the first database's bot",
    )
    parser.add_argument("--delays", help=f"ms, comma-separated (default {DEFAULTS['delays']})")
    parser.add_argument("--officers", help=f"comma-separated (default {DEFAULTS['officers']})")
    parser.add_argument(
        "--pauses",
        help=f"none and/or LO-HI seconds, comma-separated (default {DEFAULTS['pauses']})",
    )
    parser.add_argument(
        "--seconds", type=float, help=f"length of a run without pause (default {DEFAULT_SECONDS:g})"
    )
    parser.add_argument(
        "--pause-seconds",
        type=float,
        help=f"length of a run with a pause (default {DEFAULT_PAUSE_SECONDS:g})",
    )
    parser.add_argument(
        "--chat-rate", type=float, default=1.0, help="per-chat limit, calls/s (0: none; default 1)"
    )
    parser.add_argument(
        "--chat-burst", type=float, default=3.0, help="calls a chat may get at once (default 3)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the processes' logs")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    chosen = QUICK if args.quick else DEFAULTS
    try:
        delays = parse_list(args.delays or chosen["delays"], int)
        officers = parse_list(args.officers or chosen["officers"], int)
        pauses = parse_pauses(args.pauses or chosen["pauses"])
    except ValueError as error:
        parser.error(str(error))
    if not delays or not officers or not pauses or min(delays) < 0 or min(officers) < 1:
        parser.error("--delays ≥ 0, --officers ≥ 1 and --pauses must each name at least one")
    if args.chat_burst < 1:
        parser.error("--chat-burst must be at least 1")
    seconds = args.seconds or (QUICK_SECONDS if args.quick else DEFAULT_SECONDS)
    pause_seconds = args.pause_seconds or (
        QUICK_PAUSE_SECONDS if args.quick else DEFAULT_PAUSE_SECONDS
    )
    plan = [Config(d, n, p) for d in delays for n in officers for p in pauses]
    backends = list(BACKENDS) if args.backend == "both" else [args.backend]
    profile = os.path.abspath(args.profile) if args.profile else None  # the bot runs elsewhere
    return Options(
        backends,
        plan,
        seconds,
        pause_seconds,
        args.chat_rate,
        args.chat_burst,
        profile,
        args.keep,
        args.seed,
    )


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] == ["--child"]:
        kind = sys.argv[2]
        return run_echo_bot() if kind == "echo" else run_profiled_bot(sys.argv[3])
    options = parse(argv)
    # The stand-ins' threads and the officers' event loop share this process: switch between
    # them more often than every 5 ms, or a step's answer waits for a thread's time slice.
    sys.setswitchinterval(0.001)
    backends = [b for chosen in options.backends for b in each_backend(chosen)]
    if not backends:
        return 1
    needed = officers_needed(options.plan, options.run_seconds)
    total_seconds = sum(options.run_seconds(c) for c in options.plan) * (len(backends) + 1)
    print(
        f"latency: {len(options.plan)} configurations × (echo + {', '.join(backends)}), "
        f"{total_seconds / 60:.1f} min of runs; {needed} officers seeded per database; "
        f"limits: {BOT_RATE:g} calls/s per bot, "
        + (
            f"{options.chat_rate:g}/s per chat (bursts of {options.chat_burst:g})"
            if options.chat_rate > 0
            else "no per-chat limit"
        )
        + f"; {versions()}, {load_average()}",
        flush=True,
    )
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="latency-"))
        if not options.keep:
            stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        config_dir = config_folder(workdir)
        worlds: dict[str, World] = {}
        for backend in backends:
            url = stack.enter_context(fresh_database(backend, "latency"))
            worlds[backend] = asyncio.run(
                seed(url, needed, 0, config_dir, random.Random(options.seed))
            )
        print(f"  seeded in {time.monotonic() - started:.0f} s; runs:", flush=True)
        stand_ins = {
            name: stack.enter_context(
                StandIn(token=f"123456:LATENCY-{name.upper()}", keep_alive=True)
            )
            for name in ["echo", *backends]
        }
        figures, targets = asyncio.run(benchmark(worlds, stand_ins, workdir, options))
        print_table(figures)
        print_calls(figures)
        print_aims(figures)
        broken = [f"{t.name}: {why}" for t in targets for why in judge(t)]
        if options.keep:
            print(f"\n  kept           {workdir} (logs)")
    print(f"\n  total time {time.monotonic() - started:.0f} s; {load_average()}")
    for line in broken:
        print(f"  BROKEN: {line}")
    print(f"  verdict        {'FAIL' if broken else 'PASS'} (lost, duplicated, crashes)")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
