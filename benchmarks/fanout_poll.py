#!/usr/bin/env python3
"""The poll run of benchmarks/fanout.py (issue 17, "Figures"): a poll to 10,000 subscribers of one
province through ``python -m bot`` while 50 officers report, then closing a poll of 10,000
answers and computing its suppressed results.

    python benchmarks/fanout_poll.py [--quick] [--backend sqlite|postgresql|both]
                                     [--subscribers N] [--officers N] [--baseline S]
                                     [--limiter-burst B] [--profile FILE]
    python benchmarks/fanout.py [--quick] [--poll-only | --no-poll]   (runs this one after its own)

For each backend, in a scratch database (testkit/db.py) seeded by the fault scripts' ``seed``
(testkit/polling.py: one province, one zone, enterprises with a trade union and a party cell,
one registered officer per unit, last month's reports):

1. **Subscribers.** N poll subscriptions (default 10,000; ``--quick`` 200) spread over the
   province's enterprises (sizes drawn at random, four enterprises with 1–4 subscribers so that
   "too few answers" shows), each one row as ``services.polls.subscribe`` writes it — a random
   id, the enterprise, ``seal_address(keys, Address("telegram:<chat>", enterprise),
   subscription_context(id))`` — but inserted in bulk (``subscribe`` opens every seal of the
   enterprise to refuse a second subscription: quadratic for a seeding).
2. **The bot.** ``python -m bot`` (through benchmarks/fanout_poll_bot.py: the polls' job every
   3 s instead of every 20 minutes plus up to 10 of random wait; nothing else changed; quiet
   hours moved away from the current time in its copy of the config) polls a Bot API stand-in
   (testkit/bot_api.py) that allows 30 chat calls a second for the whole bot (one second's
   worth at once, no per-chat limit) and answers 429 beyond: the production rate limiter.
3. **Baseline.** 50 officers (``--officers``) file monthly reports, each step after a human
   pause of 5–15 s (testkit/polling.py's ``run_officer``; a colleague takes the seat of one who
   has finished; a step's latency: update pushed → the bot's first answer at the stand-in) for
   B seconds (30; ``--quick`` 5), no poll open.
4. **The poll.** An administrator creates a two-question poll of the province, open today
   (``services.polls.create_poll``); the bot's next batch claims and sends it, while the
   officers go on. Waited for until every subscriber has it, then one more batch's time (a
   duplicate would show then); the officers stop.
5. **Figures.** Per recipient, at the stand-in: lost (subscribers without the poll), duplicated
   (a chat that got it twice), misdelivered (the buttons name another chat's subscription).
   Rate over first → last poll message: poll messages/s, and every chat call/s (the officers'
   answers share the limit) beyond the stand-in's initial bucket as a share of the limit (aim
   ≥ 0.95, as fanout.py's). Officers' step latency p50/p99 before (baseline) and during the
   poll, 429s, the bot's CPU per poll message.
6. **Answers and close** (the bot stopped): every subscriber answers question 1 and most
   answer question 2 through ``services.polls.answer`` — the service a button press calls
   (``subscription_of`` opens the seal, ballot token, encrypted choice, fresh results seal, one
   commit per answer) — called directly, not as button presses (each press is an update and an
   edit at the stand-in: 30/s would take ten minutes). Timed: answers/s. Then the close, as the
   job does it the day after the closing date: ``release_answers`` (the shuffled rewrite of every
   answer not yet released: all of them here, the worst case), ``poll_results`` (the suppressed
   counts), the results message of every enterprise (handlers/polls/views.py), and
   ``take_results`` until the poll is finished (each ballot's seal cleared and
   opened: what precedes sending the results), each timed.

Broken (exit status 1): a lost, duplicated or misdelivered poll message, a message to a chat
nobody subscribed, the bot failing (died, or logged an error), or fewer ballots or answers than
given. A missed rate aim is a figure (MISS), not an error.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # testkit/script.py says why
HERE = Path(__file__).resolve().parent

from sqlalchemy import func, insert, select  # noqa: E402

from handlers.polls.views import results_text  # noqa: E402
from infra.rate_limit import BURST  # noqa: E402
from infra.settings import Settings  # noqa: E402
from models import (  # noqa: E402
    NodeKind,
    OrgNode,
    PollAnswer,
    PollBallot,
    PollDelivery,
    PollSubscription,
    Role,
)
from models.db import create_engine, make_uow  # noqa: E402
from services import polls  # noqa: E402
from services.access import RoleView, Viewer  # noqa: E402
from services.anonymity import ConcernKeys, new_id  # noqa: E402
from services.polls.keys import Address, seal_address, subscription_context  # noqa: E402
from testkit.bot_api import FloodLimits, Sent, StandIn  # noqa: E402
from testkit.db import each_backend, fresh_database  # noqa: E402
from testkit.polling import (  # noqa: E402
    SCREENS,
    SECRET,
    BotProcess,
    Life,
    Officer,
    OfficerSpec,
    Simulation,
    Timing,
    World,
    config_folder,
    run_officer,
    seed,
    unsolicited,
)
from testkit.script import percentile, script_parser, versions  # noqa: E402

LIMIT = 30.0  # the production limiter's rate: python -m bot cannot be given another
AIM_SHARE = 0.95
DEFAULT_SUBSCRIBERS, QUICK_SUBSCRIBERS = 10_000, 200
DEFAULT_OFFICERS = 50
DEFAULT_BASELINE, QUICK_BASELINE = 30.0, 5.0
PAUSE = (5.0, 15.0)  # an officer's human pause before each step (benchmarks/latency.py's aim)
JOB_EVERY = 3.0  # seconds between the polls' batches in the benchmark's bot
FIRST_CHAT = 750_000_000  # subscribers' chats (testkit/polling.py uses 710M–740M)
SMALL = (1, 2, 3, 4)  # subscribers of the first enterprises: "too few answers"
FEWEST_STEPS = 10  # a report takes at least about this many steps (seeding enough officers)
ANSWER_TASKS = {"sqlite": 1, "postgresql": 4}  # concurrent answerers (SQLite: one writer)
ZONE = ZoneInfo(Settings.model_fields["timezone"].default)
QUESTIONS = (
    polls.Question(
        polls.Text("Bạn có muốn gia nhập công đoàn không?", "Do you wish to join the union?"),
        (polls.Text("Có"), polls.Text("Chưa"), polls.Text("Không biết")),
    ),
    polls.Question(
        polls.Text("Điều gì quan trọng nhất với bạn?"),
        (
            polls.Text("Tiền lương"),
            polls.Text("Giờ làm thêm"),
            polls.Text("Nhà ở"),
            polls.Text("Nhà trẻ cho con"),
        ),
    ),
)
WEIGHTS = ((60, 30, 10), (50, 25, 20, 5))  # how answers fall: rare options make "<5" cells
ANSWER_SECOND = 0.8  # share of the respondents who also answer question 2


# --- seeding ----------------------------------------------------------------------------------


def quiet_hours_away(config_dir: Path) -> None:
    """Quiet hours of one minute, twelve hours from now: the job never sleeps in the run."""
    later = datetime.now(ZONE) + timedelta(hours=12)
    end = later + timedelta(minutes=1)
    path = config_dir / "reminders.yaml"
    text = re.sub(
        r"(?m)^quiet_hours:.*$",
        f'quiet_hours: {{start: "{later:%H:%M}", end: "{end:%H:%M}"}}',
        path.read_text("utf-8"),
    )
    path.write_text(text, "utf-8")


def concern_keys(world: World) -> ConcernKeys:
    keys = world.keys
    return ConcernKeys.from_strings(
        text_key=keys["CONCERN_TEXT_KEY"],
        receipt_pepper=keys["RECEIPT_PEPPER"],
        rate_secret=SECRET,
        push_public_key=keys["CONCERN_PUSH_PUBLIC_KEY"],
        push_private_key=keys["CONCERN_PUSH_PRIVATE_KEY"],
    )


@dataclass
class Subscriber:
    chat: int
    subscription_id: str
    enterprise_id: int


def sizes(total: int, enterprises: int, rng: random.Random) -> list[int]:
    """Subscribers per enterprise: SMALL first, the rest at random (lognormal weights)."""
    small = list(SMALL[: max(0, min(enterprises - 1, total // 50))])
    rest = total - sum(small)
    weights = [rng.lognormvariate(0, 0.8) for _ in range(enterprises - len(small))]
    drawn = Counter(rng.choices(range(len(weights)), weights=weights, k=rest))
    return small + [drawn[i] for i in range(len(weights))]


def _seal_rows(
    keys: ConcernKeys, enterprises: list[int], counts: list[int]
) -> tuple[list[Subscriber], list[dict[str, object]]]:
    subscribers, rows = [], []
    chat = FIRST_CHAT
    for enterprise_id, count in zip(enterprises, counts, strict=True):
        for _ in range(count):
            row_id = new_id()
            sealed = seal_address(
                keys, Address(f"telegram:{chat}", enterprise_id), subscription_context(row_id)
            )
            rows.append({"id": row_id, "enterprise_id": enterprise_id, "reply_sealed": sealed})
            subscribers.append(Subscriber(chat, row_id, enterprise_id))
            chat += 1
    return subscribers, rows


async def seed_subscribers(
    url: str, keys: ConcernKeys, total: int, rng: random.Random
) -> tuple[int, list[Subscriber]]:
    """The province's node and its subscribers, inserted in bulk."""
    engine = create_engine(url)
    try:
        async with make_uow(engine)() as session:
            province = await session.scalar(
                select(OrgNode.id).where(OrgNode.kind == NodeKind.PROVINCE)
            )
            assert province is not None
            enterprises = sorted(await polls.enterprises_of(session, province))
            counts = sizes(total, len(enterprises), rng)
            subscribers, rows = await asyncio.to_thread(_seal_rows, keys, enterprises, counts)
            for start in range(0, len(rows), 1000):
                await session.execute(insert(PollSubscription), rows[start : start + 1000])
            await session.commit()
    finally:
        await engine.dispose()
    return province, subscribers


async def create_poll(url: str, world: World, province: int) -> tuple[int, date]:
    """The poll, set by an administrator through the service; opens today, closes in a week."""
    today = datetime.now(ZONE).date()
    admin = Viewer(
        person_id=world.officers[0].person_id,
        display_name="Văn phòng",
        language="vi",
        revoked=False,
        roles=[RoleView(Role.ADMIN)],
    )
    draft = polls.PollDraft(QUESTIONS, province, today, today + timedelta(days=7))
    engine = create_engine(url)
    try:
        async with make_uow(engine)() as session:
            poll_id = await polls.create_poll(session, admin, draft, today=today)
    finally:
        await engine.dispose()
    return poll_id, draft.closes_on


# --- the run ----------------------------------------------------------------------------------


@dataclass
class PollRun:
    backend: str
    subscribers: int
    officers: int
    limiter_burst: float | None = None  # an experiment: the bot's limiter bucket
    seed_seconds: float = 0.0
    startup: float = 0.0
    poll_messages: list[Sent] = field(default_factory=list)
    window_calls: int = 0  # every chat call at the stand-in, first → last poll message
    refused: int = 0
    per_chat: Counter[int] = field(default_factory=Counter)
    misdelivered: int = 0
    strangers: int = 0
    claimed: int = 0  # poll_deliveries rows at the end
    baseline: list[float] = field(default_factory=list)  # step latencies, seconds
    during: list[float] = field(default_factory=list)
    reports: int = 0
    cpu_per_message: float | None = None  # ms of the bot's CPU per poll message
    failures: int = 0
    samples: list[str] = field(default_factory=list)
    bot_ok: bool = True
    delivered_in_time: bool = True
    answers_given: int = 0
    answer_seconds: float = 0.0
    answer_tasks: int = 1
    answer_rows: int = 0
    ballots: int = 0
    release_seconds: float = 0.0
    released: int = 0
    results_seconds: float = 0.0
    texts_seconds: float = 0.0  # the job's results message for every enterprise
    enterprises_shown: int = 0
    too_few: int = 0
    hidden_cells: int = 0
    area_respondents: int = 0
    take_seconds: float = 0.0
    results_due: int = 0
    finished: bool = False
    failed: str = ""  # answering or closing raised

    @property
    def lost(self) -> int:
        return self.subscribers - len(self.per_chat)

    @property
    def duplicated(self) -> int:
        return sum(self.per_chat.values()) - len(self.per_chat)

    @property
    def window(self) -> float:
        if len(self.poll_messages) < 2:
            return 0.0
        return self.poll_messages[-1].at - self.poll_messages[0].at

    @property
    def poll_rate(self) -> float:
        return len(self.poll_messages) / self.window if self.window else 0.0

    @property
    def all_rate(self) -> float:
        """Every chat call beyond the stand-in's initial bucket ÷ the poll's window."""
        return max(0.0, self.window_calls - LIMIT) / self.window if self.window else 0.0

    @property
    def share(self) -> float:
        return self.all_rate / LIMIT

    @property
    def close_seconds(self) -> float:
        return self.release_seconds + self.results_seconds + self.texts_seconds + self.take_seconds

    @property
    def broken(self) -> list[str]:
        why = [self.failed] if self.failed else []
        if self.lost:
            why.append(f"{self.lost} lost")
        if self.duplicated:
            why.append(f"{self.duplicated} duplicated")
        if self.misdelivered:
            why.append(f"{self.misdelivered} misdelivered")
        if self.strangers:
            why.append(f"{self.strangers} to chats nobody subscribed")
        if not self.bot_ok:
            why.append("the bot died or did not stop cleanly")
        if self.failures:
            why.append(f"the bot logged {self.failures} failures")
        if self.answer_rows != self.answers_given:
            why.append(f"{self.answer_rows} answer rows for {self.answers_given} answers")
        if self.results_due != self.ballots or not self.finished:
            why.append(f"results for {self.results_due} of {self.ballots} ballots")
        return why


def poll_messages(api: StandIn, poll_id: int) -> list[Sent]:
    prefix = f"ks:v1:a:{poll_id}:"
    return [
        s for s in api.sent("sendMessage") if any(data.startswith(prefix) for _, data in s.buttons)
    ]


def officers_for(seats: int, seconds: float) -> int:
    """Seats, their colleagues taking over after a report, the warm-up's two, and a margin."""
    per_seat = math.floor(seconds / (FEWEST_STEPS * PAUSE[0]))
    return seats * (1 + per_seat) + 2 + seats // 5


async def claimed(url: str, poll_id: int) -> int:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with make_uow(engine)() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(PollDelivery)
                .where(PollDelivery.poll_id == poll_id)
            )
    finally:
        await engine.dispose()
    return int(count or 0)


class BotChild(BotProcess):
    """testkit/polling.py's BotProcess (environment, readiness, stop, log reading) running
    benchmarks/fanout_poll_bot.py, with the process's CPU time."""

    def __init__(self, world: World, api: StandIn, workdir: Path, env: dict[str, str]) -> None:
        super().__init__(world, api, workdir, env)

    def start(self) -> Life:
        number = len(self.lives) + 1
        log = self.workdir / f"bot-{number}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, str(HERE / "fanout_poll_bot.py")],
                cwd=self.workdir,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
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
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class StepClock(Simulation):
    """The fault scripts' Simulation, noting when each user's update was pushed: a step's
    latency runs from there to the bot's first answer to that chat at the stand-in."""

    def __init__(self, api: StandIn, world: World, rng: random.Random, timing: Timing) -> None:
        super().__init__(api, world, rng, timing)
        self.pushes: list[tuple[int, float]] = []

    def push(self, update: dict[str, Any]) -> None:
        source = update.get("message") or update.get("callback_query") or {}
        self.pushes.append((int(source.get("from", {}).get("id", 0)), time.monotonic()))
        super().push(update)

    def steps(self) -> list[tuple[float, float]]:
        """(pushed, answered) of every answered update; an update the user sent again before
        an answer came (a resend) is not counted."""
        pushed: dict[int, list[float]] = defaultdict(list)
        for chat, at in self.pushes:
            pushed[chat].append(at)
        found = []
        for chat, times in pushed.items():
            answers = [
                s.at for s in self.api.chat(chat) if s.method in SCREENS and not unsolicited(s)
            ]
            for i, at in enumerate(times):
                later = times[i + 1] if i + 1 < len(times) else math.inf
                j = bisect.bisect_right(answers, at)
                if j < len(answers) and answers[j] <= later:
                    found.append((at, answers[j]))
        return found


async def seat(
    sim: Simulation, specs: list[OfficerSpec], done: list[Officer], first: float
) -> None:
    """One officer at work (testkit/polling.py's ``run_officer``: /baocao to the receipt, a
    pause before each step); after a report, the next one takes the seat."""
    start_after = first
    while specs:
        officer = Officer(specs.pop(0), start_after)
        await run_officer(sim, officer)
        done.append(officer)
        start_after = 0.0


async def settle(api: StandIn, within: float = 30.0) -> None:
    """Until the bot has taken every update, then a moment more."""
    for _ in range(round(within / 0.1)):
        if not api.pending_updates():
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.2)


async def deliver(
    backend: str,
    url: str,
    api: StandIn,
    workdir: Path,
    figures: PollRun,
    baseline: float,
    profile: str | None,
    rng: random.Random,
    limiter_burst: float | None,
) -> tuple[World, ConcernKeys, int, date, list[Subscriber]]:
    started = time.monotonic()
    expected = 1.5 * baseline + figures.subscribers / (0.7 * LIMIT) + 60
    world = await seed(
        url, officers_for(figures.officers, expected), 0, config_folder(workdir), rng
    )
    quiet_hours_away(world.config_dir)
    keys = concern_keys(world)
    province, subscribers = await seed_subscribers(url, keys, figures.subscribers, rng)
    figures.seed_seconds = time.monotonic() - started
    print(
        f"  seeded              {len(world.officers)} officers, {len(subscribers):,} subscribers "
        f"(sealed, bulk) in {figures.seed_seconds:.1f} s",
        flush=True,
    )
    env = {"LOG_LEVEL": "WARNING", "FANOUT_POLL_EVERY": repr(JOB_EVERY)}
    if profile:
        env["FANOUT_POLL_PROFILE"] = profile
    if limiter_burst:
        env["FANOUT_LIMITER_BURST"] = repr(limiter_burst)
    bot = BotChild(world, api, workdir, env)
    life = bot.start()
    if not await bot.wait_ready(life):
        raise RuntimeError(f"the bot did not start:\n{bot.tail(life)}")
    figures.startup = life.ready - life.spawned
    sim = StepClock(api, world, rng, Timing(think=(0.0, 0.1)))
    sim.attach()
    specs = list(world.officers)
    warm: list[Officer] = []
    # Two reports first, not measured: imports, caches, connection pools.
    await asyncio.gather(*(seat(sim, [specs.pop(0)], warm, 0.0) for _ in range(2)))
    await settle(api)
    sim.timing = Timing(think=PAUSE)
    api.fault = limits = FloodLimits(bot_rate=LIMIT, bot_burst=LIMIT, chat_rate=0)
    measured_from = time.monotonic()
    done: list[Officer] = []
    seats = [
        asyncio.create_task(seat(sim, specs, done, rng.uniform(0, PAUSE[1])))
        for _ in range(figures.officers)
    ]
    await asyncio.sleep(baseline)
    poll_at = time.monotonic()
    poll_id, closes_on = await create_poll(url, world, province)
    cpu_before = bot.cpu_seconds()
    deadline = poll_at + 120 + 3 * figures.subscribers / LIMIT
    while time.monotonic() < deadline and bot.alive():
        if len({s.chat_id for s in poll_messages(api, poll_id)}) >= figures.subscribers:
            break
        await asyncio.sleep(0.5)
    else:
        figures.delivered_in_time = False
    cpu_after = bot.cpu_seconds()
    await asyncio.sleep(JOB_EVERY + 1)  # one more batch: a second copy would go out now
    for task in seats:
        task.cancel()
    await asyncio.gather(*seats, return_exceptions=True)
    await settle(api)
    api.fault = None
    figures.refused = limits.refused
    figures.reports = sum(1 for officer in done if officer.outcome == "receipt")
    figures.claimed = await claimed(url, poll_id)
    stopped = bot.stop()
    figures.bot_ok = stopped is not None and stopped.returncode == 0
    findings = bot.findings()
    figures.failures = findings.total()
    figures.samples = findings.samples[:5]
    if not figures.bot_ok or figures.failures:
        print(f"  bot log (last lines):\n{bot.tail(life)}")

    messages = poll_messages(api, poll_id)
    figures.poll_messages = messages
    by_subscription = {s.subscription_id: s.chat for s in subscribers}
    chats = set(by_subscription.values())
    for message in messages:
        figures.per_chat[message.chat_id] += 1
        named = {data.split(":")[4] for _, data in message.buttons if data.startswith("ks:v1:a:")}
        if any(by_subscription.get(sub) != message.chat_id for sub in named):
            figures.misdelivered += 1
        if message.chat_id not in chats:
            figures.strangers += 1
    steps = sim.steps()
    if messages:
        first, last = messages[0].at, messages[-1].at
        figures.window_calls = sum(1 for s in api.sent() if first <= s.at <= last)
        figures.baseline = [a - s for s, a in steps if measured_from <= s < poll_at]
        figures.during = [a - s for s, a in steps if first <= s <= last]
        if cpu_before is not None and cpu_after is not None:
            figures.cpu_per_message = 1000 * (cpu_after - cpu_before) / len(messages)
    return world, keys, poll_id, closes_on, subscribers


async def answer_and_close(
    backend: str,
    url: str,
    keys: ConcernKeys,
    poll_id: int,
    closes_on: date,
    subscribers: list[Subscriber],
    figures: PollRun,
    rng: random.Random,
) -> None:
    today = datetime.now(ZONE).date()
    # One worker's answers one after the other, as the bot handles one chat's updates in order
    # (bot/update_processor.py); different workers' side by side on PostgreSQL.
    plan: list[list[tuple[Subscriber, int, int]]] = []
    for subscriber in subscribers:
        mine = [(subscriber, 0, rng.choices(range(3), weights=WEIGHTS[0])[0])]
        if rng.random() < ANSWER_SECOND:
            mine.append((subscriber, 1, rng.choices(range(4), weights=WEIGHTS[1])[0]))
        plan.append(mine)
    figures.answers_given = sum(map(len, plan))
    tasks = figures.answer_tasks = ANSWER_TASKS.get(backend, 1)
    engine = create_engine(url)
    uow = make_uow(engine)

    async def answerer(share: list[list[tuple[Subscriber, int, int]]]) -> None:
        async with uow() as session:
            for subscriber, question, option in (a for mine in share for a in mine):
                await polls.answer(
                    session,
                    keys,
                    poll_id=poll_id,
                    channel="telegram",
                    account=str(subscriber.chat),
                    chat=f"telegram:{subscriber.chat}",
                    subscription_id=subscriber.subscription_id,
                    question=question,
                    option=option,
                    today=today,
                )

    try:
        started = time.perf_counter()
        await asyncio.gather(*(answerer(plan[i::tasks]) for i in range(tasks)))
        figures.answer_seconds = time.perf_counter() - started
        async with uow() as session:
            figures.answer_rows = int(
                await session.scalar(
                    select(func.count())
                    .select_from(PollAnswer)
                    .where(PollAnswer.poll_id == poll_id)
                )
                or 0
            )
            figures.ballots = int(
                await session.scalar(
                    select(func.count())
                    .select_from(PollBallot)
                    .where(PollBallot.poll_id == poll_id)
                )
                or 0
            )
        after = closes_on + timedelta(days=1)  # the close: the closing day has passed
        async with uow() as session:
            started = time.perf_counter()
            figures.released = await polls.release_answers(session)
            figures.release_seconds = time.perf_counter() - started
        async with uow() as session:
            started = time.perf_counter()
            results = await polls.poll_results(session, poll_id, after, force=True)
            figures.results_seconds = time.perf_counter() - started
        assert results is not None
        started = time.perf_counter()
        for enterprise in results.enterprises:
            results_text(results, "vi", enterprise_id=enterprise.enterprise_id)
        figures.texts_seconds = time.perf_counter() - started
        figures.enterprises_shown = results.area.enterprises_shown
        figures.too_few = results.area.enterprises_too_few
        figures.area_respondents = results.area.respondents
        figures.hidden_cells = sum(
            1
            for enterprise in results.enterprises
            for row in enterprise.questions
            for cell in row
            if cell.count is None
        )
        async with uow() as session:
            started = time.perf_counter()
            while due := await polls.take_results(session, keys, after):
                figures.results_due += len(due)
            figures.take_seconds = time.perf_counter() - started
            view = await polls.get_poll(session, poll_id)
            figures.finished = view is not None and view.finished
    finally:
        await engine.dispose()


def run_poll(
    backend: str,
    subscribers: int,
    officers: int,
    baseline: float,
    profile: str | None = None,
    limiter_burst: float | None = None,
) -> PollRun:
    figures = PollRun(backend, subscribers, officers, limiter_burst=limiter_burst)
    rng = random.Random(17)
    with (
        fresh_database(backend, "fanout_poll") as url,
        tempfile.TemporaryDirectory(prefix="fanout-poll-") as folder,
        StandIn(token="123456:FANOUT-POLL", keep_alive=True, max_connections=64) as api,
    ):

        async def both() -> None:
            _, keys, poll_id, closes_on, subs = await deliver(
                backend, url, api, Path(folder), figures, baseline, profile, rng, limiter_burst
            )
            try:
                await answer_and_close(backend, url, keys, poll_id, closes_on, subs, figures, rng)
            except Exception as error:  # the delivery's figures are still printed
                figures.failed = f"answers or close: {type(error).__name__}: {error}"[:300]

        asyncio.run(both())
    return figures


# --- output -----------------------------------------------------------------------------------


def _ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q):.0f}" if values else "-"


def print_poll(run: PollRun) -> None:
    verdict = "PASS" if run.share >= AIM_SHARE else "MISS"
    print(f"\n--- {run.backend}, poll run: python -m bot ---")
    print(
        f"  poll                2 questions to {run.subscribers:,} subscribers of one province; "
        f"limit {LIMIT:g}/s (all chat calls), {run.officers} officers reporting"
    )
    print(f"  start-up            {run.startup:.2f} s (spawn → polling)")
    if run.limiter_burst:
        print(
            f"  limiter             an experiment: the bot's AIORateLimiter lets at most "
            f"{run.limiter_burst:g} through at once (production: {BURST:g}), {LIMIT:g}/s"
        )
    print(
        f"  delivered           {len(run.poll_messages):,} poll messages in {run.window:.1f} s "
        f"(first → last): {run.poll_rate:.2f} poll msg/s"
    )
    print(
        f"  all chat calls      {run.window_calls:,} in the same window (poll + officers' "
        f"answers): {run.all_rate:.2f}/s beyond the first {LIMIT:g} = {run.share:.3f} of the "
        f"limit   aim ≥ {AIM_SHARE:.2f}: {verdict}"
    )
    if run.cpu_per_message is not None:
        print(f"  bot CPU             {run.cpu_per_message:.2f} ms per poll message (officers too)")
    print(f"  429s at stand-in    {run.refused}")
    print(
        f"  per recipient       lost {run.lost}, duplicated {run.duplicated}, misdelivered "
        f"{run.misdelivered}, strangers {run.strangers}; claims in the database {run.claimed:,}"
        f": {'PASS' if not (run.lost or run.duplicated or run.misdelivered) else 'FAIL'}"
    )
    print(
        f"  officers' steps     baseline (no poll) p50 {_ms(run.baseline, 50)} ms, p99 "
        f"{_ms(run.baseline, 99)} ms ({len(run.baseline)} steps); during the poll p50 "
        f"{_ms(run.during, 50)} ms, p99 {_ms(run.during, 99)} ms ({len(run.during)} steps); "
        f"{run.reports} reports completed"
    )
    if run.answers_given and not run.failed:
        print(
            f"  answers             {run.answers_given:,} (Q1 by all, Q2 by ~80%) through "
            f"services.polls.answer, {run.answer_tasks} at a time: {run.answer_seconds:.1f} s = "
            f"{run.answers_given / run.answer_seconds:.0f}/s; {run.ballots:,} ballots, "
            f"{run.answer_rows:,} answer rows"
        )
        print(
            f"  close               release {run.released:,} answers {run.release_seconds:.2f} s"
            f" + suppressed results {run.results_seconds:.2f} s + texts for every enterprise "
            f"{run.texts_seconds:.2f} s + take {run.results_due:,} "
            f"results addresses {run.take_seconds:.2f} s = {run.close_seconds:.2f} s"
        )
        print(
            f"  results             {run.area_respondents:,} respondents shown in "
            f"{run.enterprises_shown} enterprises, {run.too_few} with too few answers, "
            f"{run.hidden_cells} cells hidden (<5); poll finished: {run.finished}"
        )
    for line in run.broken:
        print(f"  BROKEN              {line}")
    for sample in run.samples:
        print(f"  logged              {sample}")


def print_poll_summary(runs: list[PollRun]) -> None:
    print(
        f"\n  {'backend':<11}{'subs':>7}{'poll/s':>8}{'all/s':>7}{'share':>7}{'lost':>5}"
        f"{'dup':>4}  {'steps p99 base → poll':<22}{'answers':>9}{'close s':>9}  verdict"
    )
    for run in runs:
        p99 = f"{_ms(run.baseline, 99)} → {_ms(run.during, 99)} ms"
        verdicts = [f"rate {'PASS' if run.share >= AIM_SHARE else 'MISS'}"]
        verdicts.append("lost/dup " + ("FAIL" if run.broken else "PASS"))
        print(
            f"  {run.backend:<11}{run.subscribers:>7}{run.poll_rate:>8.2f}{run.all_rate:>7.2f}"
            f"{run.share:>7.3f}{run.lost:>5}{run.duplicated:>4}  {p99:<22}"
            f"{run.answers_given:>9}{run.close_seconds:>9.2f}  {', '.join(verdicts)}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = script_parser(
        __doc__,
        quick=f"{QUICK_SUBSCRIBERS} subscribers, {QUICK_BASELINE:g} s of baseline (CI)",
        profile="profile the first backend's bot (its whole life)",
    )
    parser.add_argument("--subscribers", type=int, help=f"default {DEFAULT_SUBSCRIBERS:,}")
    parser.add_argument("--officers", type=int, help=f"default {DEFAULT_OFFICERS}")
    parser.add_argument(
        "--baseline", type=float, help=f"seconds of officers alone, default {DEFAULT_BASELINE:g}"
    )
    parser.add_argument(
        "--limiter-burst",
        type=float,
        help="an experiment: the bot's AIORateLimiter lets at most this many through at once, "
        f"at {LIMIT:g}/s (production: {BURST:g} at once)",
    )
    args = parser.parse_args(argv)
    subscribers = args.subscribers or (QUICK_SUBSCRIBERS if args.quick else DEFAULT_SUBSCRIBERS)
    officers = args.officers or DEFAULT_OFFICERS
    baseline = args.baseline or (QUICK_BASELINE if args.quick else DEFAULT_BASELINE)
    print(
        f"fanout poll run: {subscribers:,} subscribers, {officers} officers, {baseline:g} s of "
        f"baseline, limit {LIMIT:g}/s; {versions()}"
    )
    started = time.monotonic()
    runs: list[PollRun] = []
    profile = args.profile
    for backend in each_backend(args.backend):
        print(f"\n=== {backend}: poll run ===", flush=True)
        runs.append(run_poll(backend, subscribers, officers, baseline, profile, args.limiter_burst))
        print_poll(runs[-1])
        profile = None
        sys.stdout.flush()
    if not runs:
        return 1
    print_poll_summary(runs)
    print(f"\n  total time {time.monotonic() - started:.0f} s")
    broken = [f"{r.backend} poll run: {'; '.join(r.broken)}" for r in runs if r.broken]
    for line in broken:
        print(f"  BROKEN: {line}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
