"""Shared simulation of the fault scripts: scripted officers and workers talking to the real bot
(``python -m bot``, polling) through the loopback Bot API stand-in (testkit/bot_api.py).

* ``seed`` puts a province into a fresh database: one enterprise per two officers, each with a
  trade union and a party cell (reporting units), one officer per unit with a Telegram account,
  and last month's report for every unit (so questions show last month's figure and some answers
  trip the "more than a third changed — is that right?" question).
* An ``Officer`` is a state machine reading what the bot sent to its chat (the stand-in records
  it): it types /baocao, picks the month by its button (callback data), answers each question
  (typed Vietnamese numbers, yes/no and "keep last month" buttons), confirms jumps with a reason,
  sends the report and keeps the receipt (``BC-000123``). When no answer comes in time it does
  what a person does: /baocao again, which must resume the draft where it was. When /baocao shows
  an amendment of a report already sent (its receipt was lost in a crash) it deletes that draft.
* A ``Worker`` is an anonymous user: ``/start c_<enterprise code>``, continue, a category, a text
  carrying a unique tag (worker and attempt), send; keeps the case code. The concern
  conversation is never persisted (docs/architecture.md), so after a crash the worker starts again.
* ``BotProcess`` starts ``python -m bot`` as a child, kills it with SIGKILL, stops it with
  SIGINT, and reads its log for failures; ``check`` compares what users were shown with the
  database.

Bounded: every wait has a deadline, users give up after a bounded number of retries, the bot is
stopped (or killed) at the end, and everything runs on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as day_time
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from grassroots_config import DEFAULT_CONFIG_DIR
from sqlalchemy import func, select

from infra.channel_updates import ChannelUser, UpdateFactory
from infra.i18n import number as format_number
from infra.i18n import tr
from infra.settings import Settings
from models import (
    Concern,
    Report,
    ReportDraft,
    ReportValue,
    UnitKind,
    utcnow,
)
from models.db import create_engine, make_uow
from services.anonymity import ConcernKeys, decrypt_text
from services.demo import plausible_values
from services.indicators import Indicator, IndicatorKind, load_indicator_config
from services.periods import Period, load_calendar
from services.reporting import ReportingSetup, current_version_id, local_date
from testkit.bot_api import Sent, StandIn
from testkit.db import fresh_database
from testkit.env import concern_key_env
from testkit.org import register_officers, seed_org
from testkit.script import run_backends, script_parser

ROOT = Path(__file__).resolve().parent.parent
LANG = "vi"  # officers are registered in Vietnamese; workers get the default language, also vi
SECRET = "fault-scripts-secret-Zq8mK2vN5pL9wR3tY7uE1iO4aS6dF0gH"
FIRST_OFFICER = 710_000_000
FIRST_WORKER = 720_000_000
FIRST_OUTBOX_CHAT = 730_000_000


# --- what the simulated users recognise: the bot's own catalogue -----------------------------


def _template(msgid: str) -> re.Pattern[str]:
    """The translated message as a regex, its {placeholders} as named groups."""
    text = re.escape(tr(LANG, msgid))
    seen: set[str] = set()

    def group(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in seen:
            return ".+?"
        seen.add(name)
        return f"(?P<{name}>.+?)"

    return re.compile(re.sub(r"\\\{(\w+)\\\}", group, text), re.S)


QUESTION = _template("Question {index}/{total} · {label}")
REASON_PROMPT = tr(LANG, "Please write a short reason (for example: new workers hired).")
AMENDING = tr(LANG, "Check the changed report, then send it.")
ALREADY = _template("This report was already submitted on {when}. Nothing was sent twice.")
DELETED = tr(LANG, "The draft was deleted.")
RECEIPT = re.compile(r"\bBC-(\d{6,})\b")
SENT_TO_UNION = tr(
    LANG,
    "✅ Sent to the union.\n\nCase code: {case}\nSecret receipt: {receipt}\n\n"
    "This receipt is shown only once. Write it down or take a photo of it: with it, "
    "type /kiemtra {receipt} to see the answer. Anyone with the receipt can read the "
    "answers, so keep it to yourself.\n\n{follow}",
).split("\n")[0]
CASE_CODE = re.compile(r"\bTT-[23456789A-HJKMNP-Z]{6}\b")
WORKER_RECEIPT = re.compile(r"\b\d{4} \d{4} \d{4}\b")
WRITE_PROMPT = _template(
    "Write what you want the union to know (up to {limit} characters). Text only."
)
TOO_MANY = _template(
    "You have already sent {limit} concerns today. Please send the next one tomorrow."
)
NOTICE = tr(
    LANG, "Workers' concerns are waiting:\n{lines}\n\nType /hopthu to read and answer them."
).split("{")[0]
TAG = re.compile(r"\[fault (?P<run>[0-9a-f]{6}) w(?P<worker>\d+) a(?P<attempt>\d+)\]")

SCREENS = frozenset({"sendMessage", "editMessageText"})


def unsolicited(sent: Sent) -> bool:
    """A reminder or a concern notice from the scheduler: not an answer to the user."""
    return any(data.startswith("rpt:v1:open:") for _, data in sent.buttons) or (
        bool(NOTICE) and sent.text.startswith(NOTICE)
    )


def button(sent: Sent, prefix: str) -> str | None:
    return next((data for _, data in sent.buttons if data.startswith(prefix)), None)


def period_button(screen: Sent, period_key: str) -> str | None:
    """The callback data of the month-choice button for ``period_key`` ("2026-11"), if shown."""
    wanted = f":{period_key}"
    return next(
        (d for _, d in screen.buttons if d.startswith("rpt:v1:period:") and d.endswith(wanted)),
        None,
    )


# --- the world: seeded data -------------------------------------------------------------------


@dataclass
class OfficerSpec:
    index: int
    user_id: int
    person_id: int
    unit_id: int
    unit_kind: UnitKind
    indicators: list[Indicator]
    values: dict[str, Decimal]  # what the officer means to report this month
    last: dict[str, Decimal]  # last month's report
    jump_code: str | None  # the stock that changes by more than a third, if any


@dataclass
class WorkerSpec:
    index: int
    user_id: int
    enterprise_code: str


@dataclass
class World:
    url: str
    period: Period  # the month reported
    officers: list[OfficerSpec]
    workers: list[WorkerSpec]
    config_dir: Path
    keys: dict[str, str]  # CONCERN_* and RECEIPT_PEPPER for the bot's environment
    run_tag: str


def config_folder(into: Path) -> Path:
    """The shipped config with the month opening on its 1st, so that the current month can be
    reported on any day the script runs (the shipped calendar opens it on the 15th)."""
    folder = into / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, folder)
    calendar = folder / "reporting.yaml"
    text = re.sub(
        r"(?m)^opens:.*$", "opens: {day: 1, month_offset: 0}", calendar.read_text("utf-8")
    )
    calendar.write_text(text, "utf-8")
    return folder


def reporting_setup(config_dir: Path, zone: Any) -> ReportingSetup:
    return ReportingSetup(
        indicators=load_indicator_config(config_dir / "indicators.yaml"),
        calendar=load_calendar(config_dir / "reporting.yaml"),
        zone=zone,
    )


async def seed(
    url: str, officers: int, workers: int, config_dir: Path, rng: random.Random
) -> World:
    """Province → zone → enterprises (two reporting units each), officers, last month's reports."""
    setup = reporting_setup(config_dir, ZoneInfo(Settings.model_fields["timezone"].default))
    now = utcnow()
    period = Period.of(local_date(now, setup))
    last_period = period.shift(-1)
    engine = create_engine(url)
    specs: list[OfficerSpec] = []
    enterprise_codes: list[str] = []
    try:
        async with make_uow(engine)() as session:
            # Drawn first, enterprise by enterprise, as before any officer's values.
            counts = [rng.randint(120, 3000) for _ in range((officers + 1) // 2)]
            units = await seed_org(
                session,
                province=("FP", "Tỉnh Thử Lỗi"),
                zones=[("FP-KCN", "KCN Thử Lỗi")],
                enterprises=len(counts),
                enterprise=("FDN-{i:03d}", "Công ty Thử Lỗi số {i}"),
                units=[
                    (UnitKind.TRADE_UNION, "FCD-{i:03d}", "CĐCS Công ty Thử Lỗi số {i}"),
                    (UnitKind.PARTY_CELL, "FCB-{i:03d}", "Chi bộ Công ty Thử Lỗi số {i}"),
                ],
                worker_count=counts.__getitem__,
            )
            enterprise_codes.extend(unit.enterprise_code for unit in units[::2])
            person_ids = await register_officers(
                session,
                [(FIRST_OFFICER + i, f"Cán bộ Thử {i}", units[i].id) for i in range(officers)],
                language=LANG,
            )
            versions = {
                kind: await current_version_id(session, setup, kind)
                for kind in (UnitKind.TRADE_UNION, UnitKind.PARTY_CELL)
            }
            for i in range(officers):
                unit, person_id, user_id = units[i], person_ids[i], FIRST_OFFICER + i
                workers_there = unit.worker_count
                indicator_set = setup.indicators.for_kind(unit.kind)
                assert indicator_set is not None
                base = workers_there if unit.kind is UnitKind.TRADE_UNION else workers_there // 40
                unit_rng = random.Random(rng.random())
                last = plausible_values(indicator_set, unit_rng, max(5, base))
                values = dict(last)
                jump_code = None
                stocks = [s for s in indicator_set.indicators if s.kind is IndicatorKind.STOCK]
                if stocks and rng.random() < 0.3:
                    # The first stock grows by half: "is that right?", confirmed with a reason.
                    jump_code = stocks[0].code
                    values[jump_code] = (last[jump_code] * Decimal("1.5")).to_integral_value()
                report = Report(
                    reporting_unit_id=unit.id,
                    period=last_period.key,
                    indicator_set_version_id=versions[unit.kind],
                    submitted_at=datetime.combine(
                        last_period.last_day, day_time(9), tzinfo=setup.zone
                    ),
                    submitted_by_person_id=person_id,
                )
                session.add(report)
                await session.flush()
                for code, value in last.items():
                    session.add(ReportValue(report_id=report.id, indicator_code=code, value=value))
                specs.append(
                    OfficerSpec(
                        index=i,
                        user_id=user_id,
                        person_id=person_id,
                        unit_id=unit.id,
                        unit_kind=unit.kind,
                        indicators=list(indicator_set.indicators),
                        values=values,
                        last=last,
                        jump_code=jump_code,
                    )
                )
            await session.commit()
    finally:
        await engine.dispose()
    worker_specs = [
        WorkerSpec(w, FIRST_WORKER + w, enterprise_codes[w % len(enterprise_codes)])
        for w in range(workers)
    ]
    keys = concern_key_env()
    return World(url, period, specs, worker_specs, config_dir, keys, f"{rng.getrandbits(24):06x}")


# --- the bot as a child process ---------------------------------------------------------------


@dataclass
class Life:
    """One run of ``python -m bot``."""

    number: int
    process: subprocess.Popen[bytes]
    log: Path
    spawned: float
    ready: float = 0.0  # first getUpdates seen after the spawn
    ended: float = 0.0
    how: str = ""  # killed | stopped | died
    returncode: int | None = None


@dataclass
class LogFindings:
    """Failures the bot logged, each as (where, exception class): "handler failed" lines of the
    error handler (handlers/common/commands.py), other ERROR/CRITICAL lines with the exception of
    the traceback that follows them, and tracebacks printed without a log line."""

    failures: Counter[tuple[str, str]] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)  # a few lines of unexplained ones

    def total(self, expected: frozenset[str] = frozenset()) -> int:
        return sum(n for (_, name), n in self.failures.items() if name not in expected)

    def update(self, other: LogFindings) -> None:
        self.failures.update(other.failures)
        self.samples.extend(other.samples[: max(0, 10 - len(self.samples))])


HANDLER_FAILED = re.compile(r"handler failed: (\w+)")
EXCEPTION_LINE = re.compile(r"^(?:[\w.]+\.)?([A-Za-z_]\w*)(?::|$)")
LEVEL = re.compile(r"\b(ERROR|CRITICAL)\b|\"level\": \"(ERROR|CRITICAL)\"")


def read_log(text: str) -> LogFindings:
    found = LogFindings()
    where: str | None = None  # an ERROR line waiting for its traceback's exception
    in_traceback = False
    for line in text.splitlines():
        if in_traceback:
            if line.startswith((" ", "\t")) or not line.strip():
                continue
            if line.startswith(("The above exception", "During handling", "Traceback")):
                continue
            match = EXCEPTION_LINE.match(line)
            name = match.group(1) if match else "?"
            found.failures[(where or "traceback", name)] += 1
            where, in_traceback = None, False
            continue
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True
            continue
        failed = HANDLER_FAILED.search(line)
        if failed:
            if where is not None:
                found.failures[(where, "?")] += 1
            found.failures[("handler failed", failed.group(1))] += 1
            where = None
            continue
        if LEVEL.search(line):
            if where is not None:
                found.failures[(where, "?")] += 1
                found.samples.append(where)
            # "… ERROR telegram.ext.Updater Exception happened while polling for updates."
            where = re.sub(r"^.*?\b(ERROR|CRITICAL)\b\s*", "", line)[:70] or line[:70]
            continue
    if where is not None:
        found.failures[(where, "?")] += 1
        found.samples.append(where)
    return found


class BotProcess:
    """Starts, kills and stops ``python -m bot`` against the stand-in."""

    def __init__(
        self, world: World, api: StandIn, workdir: Path, extra_env: dict[str, str] | None = None
    ) -> None:
        self.api = api
        self.workdir = workdir
        self.lives: list[Life] = []
        names = {name.upper() for name in Settings.model_fields}
        env = {k: v for k, v in os.environ.items() if k.upper() not in names}
        env.update(
            {
                "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
                    os.pathsep
                ),
                "PYTHONUNBUFFERED": "1",
                "BOT_TOKEN": api.token,
                "BOT_USERNAME": "stand_in_bot",
                "TELEGRAM_API_BASE_URL": api.url,
                "DATABASE_URL": world.url,
                "APP_SECRET": SECRET,
                "CONFIG_DIR": str(world.config_dir),
                "LOG_LEVEL": "WARNING",
                "SCHEDULER_ENABLED": "true",
                # A restarted instance asks for the active lock every second, not every five.
                "STANDBY_RETRY_SECONDS": "1",
                **world.keys,
                **(extra_env or {}),
            }
        )
        self.env = env

    @property
    def current(self) -> Life | None:
        return self.lives[-1] if self.lives else None

    def alive(self) -> bool:
        life = self.current
        return life is not None and life.process.poll() is None

    def start(self) -> Life:
        number = len(self.lives) + 1
        log = self.workdir / f"bot-{number}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot"],
                cwd=self.workdir,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        life = Life(number, process, log, time.monotonic())
        self.lives.append(life)
        return life

    async def wait_ready(self, life: Life, within: float = 60.0) -> bool:
        """Until the stand-in sees a getUpdates from this life (polling has begun)."""
        before = self.api.count("getUpdates")
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if life.process.poll() is not None:
                self._ended(life, "died")
                return False
            if self.api.count("getUpdates") > before:
                life.ready = time.monotonic()
                return True
            await asyncio.sleep(0.05)
        return False

    def kill(self) -> Life | None:
        life = self.current
        if life is None or life.process.poll() is not None:
            return None
        life.process.send_signal(signal.SIGKILL)
        life.process.wait()
        self._ended(life, "killed")
        return life

    def stop(self, timeout: float = 30.0) -> Life | None:
        life = self.current
        if life is None:
            return None
        if life.process.poll() is not None:
            if not life.how:
                self._ended(life, "died")
            return life
        life.process.send_signal(signal.SIGINT)
        try:
            life.process.wait(timeout=timeout)
            self._ended(life, "stopped")
        except subprocess.TimeoutExpired:
            life.process.kill()
            life.process.wait()
            self._ended(life, "stopped (SIGKILL after 30 s)")
        return life

    def check_died(self) -> Life | None:
        """The current life if it ended on its own (a crash)."""
        life = self.current
        if life is not None and not life.how and life.process.poll() is not None:
            self._ended(life, "died")
            return life
        return None

    def _ended(self, life: Life, how: str) -> None:
        life.ended = time.monotonic()
        life.how = how
        life.returncode = life.process.returncode

    def findings(self) -> LogFindings:
        total = LogFindings()
        for life in self.lives:
            total.update(read_log(life.log.read_text("utf-8", "replace")))
        return total

    def tail(self, life: Life, lines: int = 20) -> str:
        text = life.log.read_text("utf-8", "replace").splitlines()
        return "\n".join(text[-lines:])


# --- simulated users --------------------------------------------------------------------------


@dataclass
class Timing:
    think: tuple[float, float] = (0.2, 0.8)  # a user's pause before each step
    resend_after: float = 20.0  # no answer this long: the user types /baocao again
    settle: float = 0.15  # after an answer, wait this long for more messages of the burst
    max_resends: int = 15
    max_steps: int = 150
    worker_attempts: int = 6


class Simulation:
    """Everything the users share: the stand-in, one update factory, kill bookkeeping."""

    def __init__(self, api: StandIn, world: World, rng: random.Random, timing: Timing) -> None:
        self.api = api
        self.world = world
        self.rng = rng
        self.timing = timing
        self.factory = UpdateFactory()
        self.pushed = 0
        self.started = time.monotonic()
        self.kills: list[float] = []  # monotonic times of the kills
        self.disruptions: list[tuple[float, int | None]] = []  # (time, chat or None: all)
        self.running = True
        self._events: dict[int, asyncio.Event] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def attach(self) -> None:
        """Let the stand-in wake the user whose chat got a message (called in the loop)."""
        self._loop = asyncio.get_running_loop()
        loop = self._loop

        def on_sent(sent: Sent) -> None:
            event = self._events.get(sent.chat_id)
            if event is not None:
                loop.call_soon_threadsafe(event.set)

        self.api.on_sent = on_sent

    def event(self, chat_id: int) -> asyncio.Event:
        return self._events.setdefault(chat_id, asyncio.Event())

    def push(self, update: dict[str, Any]) -> None:
        self.pushed += 1
        self.api.push(update)

    def elapsed(self, at: float | None = None) -> float:
        return (at if at is not None else time.monotonic()) - self.started

    def disrupted_since(self, since: float, chat_id: int) -> bool:
        """A kill (or, in a storm, a fault on this chat's calls) happened after ``since``."""
        return any(
            at >= since and (chat is None or chat == chat_id) for at, chat in self.disruptions
        )


class PolledChat:
    """One simulated user's chat with a bot in another process: ``send`` and ``press`` push an
    update to the stand-in and return at once; ``screens`` waits (bounded) for what the bot sent
    back, which may come late, twice, or never (a killed bot). The in-process driver of the
    tests, testkit/chat.py's ``Chat``, instead awaits each update and returns its answers."""

    def __init__(self, sim: Simulation, user: ChannelUser) -> None:
        self.sim = sim
        self.user = user
        self.seen = 0
        self.event = sim.event(user.user_id)

    def send(self, text: str) -> None:
        self.sim.push(self.sim.factory.message(self.user, text))

    def press(self, screen: Sent, data: str) -> None:
        self.sim.push(self.sim.factory.callback(self.user, data, message_id=screen.message_id))

    async def screens(self, within: float) -> list[Sent]:
        """New messages for the user (not the scheduler's), waiting up to ``within`` seconds for
        the first, then ``settle`` for the rest of the burst; [] when nothing came."""
        deadline = time.monotonic() + within
        while True:
            self.event.clear()
            new = self.sim.api.chat(self.user.user_id, self.seen)
            screens = [s for s in new if s.method in SCREENS and not unsolicited(s)]
            if screens:
                await asyncio.sleep(self.sim.timing.settle)
                new = self.sim.api.chat(self.user.user_id, self.seen)
                self.seen += len(new)
                return [s for s in new if s.method in SCREENS and not unsolicited(s)]
            self.seen += len(new)
            left = deadline - time.monotonic()
            if left <= 0 or not self.sim.running:
                return []
            try:
                await asyncio.wait_for(self.event.wait(), min(left, 1.0))
            except TimeoutError:
                pass

    async def think(self) -> None:
        low, high = self.sim.timing.think
        await asyncio.sleep(self.sim.rng.uniform(low, high))


@dataclass
class Officer:
    spec: OfficerSpec
    start_after: float
    outcome: str = ""  # receipt | already | found-submitted | gave-up | unfinished
    receipt_id: int | None = None
    max_index: int = 0  # furthest question seen (total + 1: the review)
    regressions: list[tuple[int, int]] = field(default_factory=list)  # (seen, was at)
    resends: int = 0
    steps: int = 0
    jumps: int = 0
    submits: int = 0
    others: Counter[str] = field(default_factory=Counter)  # unexpected texts, first 40 chars
    in_progress_at_kills: list[int] = field(default_factory=list)
    given: dict[str, Decimal] = field(default_factory=dict)  # what was last answered per code
    found_submitted: bool = False

    @property
    def total(self) -> int:
        return len(self.spec.indicators)


def classify_officer(screen: Sent) -> tuple[str, Any]:
    text = screen.text
    if button(screen, "!rpt:v1:jumpok:"):
        return "jump", None
    if button(screen, "rpt:v1:submit:"):
        return "review", AMENDING in text
    if button(screen, "rpt:v1:period:"):
        return "periods", None
    if button(screen, "rpt:v1:unit:"):
        return "units", None
    if button(screen, "rpt:v1:takeover:"):
        return "takeover", None
    if button(screen, "rpt:v1:keepdraft:"):
        return "cancel-choice", None
    question = QUESTION.search(text)
    if question and button(screen, "!rpt:v1:stop:"):
        return "question", int(question.group("index"))
    receipt = RECEIPT.search(text)
    if receipt:
        return "receipt", int(receipt.group(1))
    if text.strip() == REASON_PROMPT:
        return "reason", None
    if ALREADY.search(text):
        return "already", None
    if text.strip() == DELETED:
        return "deleted", None
    return "other", text[:40]


async def run_officer(sim: Simulation, officer: Officer) -> None:
    spec = officer.spec
    timing = sim.timing
    user = ChannelUser(spec.user_id, "Cán bộ", f"Thử {spec.index}", language_code="vi")
    chat = PolledChat(sim, user)
    await asyncio.sleep(officer.start_after)
    chat.send("/baocao")
    tries: Counter[int] = Counter()
    # The question last answered by typing, until the bot shows what follows it. Typed text
    # goes to whatever the bot's current question is, so a stale copy of a question (the answer
    # to a /baocao typed while the bot was slow) must not be answered again: that answer would
    # land on the next question. Buttons carry their step and the service re-checks them.
    typed: int | None = None
    held: list[Sent] = []  # screens kept back while waiting to see whether one was stale
    while not officer.outcome and sim.running:
        if officer.steps >= timing.max_steps:
            officer.outcome = "gave-up"
            break
        screens = held or await chat.screens(timing.resend_after)
        held = []
        if not sim.running:
            break
        if not screens:
            officer.resends += 1
            if officer.resends > timing.max_resends:
                officer.outcome = "gave-up"
                break
            chat.send("/baocao")
            continue
        # A receipt anywhere in the burst counts, even if something else came after it.
        for screen in screens:
            kind, info = classify_officer(screen)
            if kind == "receipt":
                officer.receipt_id = info
                officer.outcome = "receipt"
        if officer.outcome:
            break
        screen = screens[-1]
        kind, info = classify_officer(screen)
        if kind == "question" and typed is not None and int(info) <= typed:
            # Either the typed answer was lost (type it again) or this is a stale copy and the
            # bot's answer to it is still on its way: wait for that before deciding.
            later = await chat.screens(timing.resend_after)
            if later:
                held = later
                officer.others["stale question skipped"] += 1
                continue
        if kind in ("jump", "review") or (kind == "question" and int(info) > (typed or 0)):
            typed = None
        officer.steps += 1
        await chat.think()
        if kind == "question":
            index = int(info)
            if index < officer.max_index and not officer.found_submitted:
                officer.regressions.append((index, officer.max_index))
            officer.max_index = max(officer.max_index, index)
            tries[index] += 1
            if answer_question(chat, officer, screen, index, tries[index], sim.rng):
                typed = index
        elif kind == "jump":
            officer.jumps += 1
            data = button(screen, "!rpt:v1:jumpok:")
            assert data is not None
            chat.press(screen, data)
        elif kind == "reason":
            chat.send("Doanh nghiệp tuyển thêm công nhân mới")
        elif kind == "review":
            officer.max_index = max(officer.max_index, officer.total + 1)
            if info:  # an amendment: the report went in, its receipt was lost in a crash
                officer.found_submitted = True
                data = button(screen, "rpt:v1:stop:")
            else:
                officer.submits += 1
                data = button(screen, "rpt:v1:submit:")
            assert data is not None
            chat.press(screen, data)
        elif kind == "cancel-choice":
            choice = "rpt:v1:discard:" if officer.found_submitted else "rpt:v1:keepdraft:"
            data = button(screen, choice)
            assert data is not None
            chat.press(screen, data)
        elif kind == "deleted" and officer.found_submitted:
            officer.outcome = "found-submitted"
        elif kind == "already":
            officer.outcome = "already"
        elif kind == "periods":
            data = period_button(screen, sim.world.period.key)
            if data is None:
                officer.others["no button for the month"] += 1
                officer.outcome = "gave-up"
                break
            chat.press(screen, data)
        elif kind == "units":
            data = button(screen, "rpt:v1:unit:")
            assert data is not None
            chat.press(screen, data)
        elif kind == "takeover":
            officer.others["takeover offered"] += 1
            data = button(screen, "rpt:v1:takeover:")
            assert data is not None
            chat.press(screen, data)
        else:
            # "button expired", "did not understand", "something went wrong", "draft kept"…:
            # what a person does next is to ask for the report again.
            officer.others[str(info)] += 1
            await asyncio.sleep(0.5)
            chat.send("/baocao")
    if not officer.outcome:
        officer.outcome = "unfinished"


def answer_question(
    chat: PolledChat, officer: Officer, screen: Sent, index: int, attempt: int, rng: random.Random
) -> bool:
    """Answer question ``index``; True when the answer was typed (not a button)."""
    spec = officer.spec
    indicator = spec.indicators[index - 1]
    last = spec.last.get(indicator.code)
    # A refused answer is not typed again: the second time, last month's figure.
    value = spec.values[indicator.code] if attempt == 1 or last is None else last
    officer.given[indicator.code] = value
    if indicator.kind is IndicatorKind.YES_NO:
        data = button(screen, "!rpt:v1:yes:" if value else "!rpt:v1:no:")
        if data is not None:
            chat.press(screen, data)
            return False
        chat.send("có" if value else "không")
        return True
    keep = button(screen, "!rpt:v1:keep:")
    if keep is not None and value == last and rng.random() < 0.5:
        chat.press(screen, keep)
        return False
    chat.send(format_number(value, LANG))
    return True


@dataclass
class Attempt:
    number: int
    sent_at: float = 0.0  # when "send" was pressed
    ended: str = ""


@dataclass
class Worker:
    spec: WorkerSpec
    start_after: float
    outcome: str = ""  # confirmed | refused | gave-up | unfinished
    attempts: list[Attempt] = field(default_factory=list)
    confirmations: list[str] = field(default_factory=list)  # case codes shown
    others: Counter[str] = field(default_factory=Counter)


def worker_tag(world: World, worker: int, attempt: int) -> str:
    return f"[fault {world.run_tag} w{worker} a{attempt}]"


def classify_worker(screen: Sent) -> tuple[str, Any]:
    text = screen.text
    if text.startswith(SENT_TO_UNION):
        case = CASE_CODE.search(text)
        return "confirmed", case.group(0) if case else None
    if button(screen, "tt:v1:send"):
        return "preview", None
    if button(screen, "tt:v1:cat:"):
        return "categories", None
    if button(screen, "tt:v1:go"):
        return "promise", None
    if WRITE_PROMPT.search(text):
        return "write", None
    if TOO_MANY.search(text):
        return "too-many", None
    return "other", text[:40]


CONCERN_TEXTS = (
    "Bếp ăn ca đêm thường hết suất, công nhân phải nhịn đói tới sáng.",
    "Tổ em bị tăng ca liên tục ba tuần, không được nghỉ chủ nhật.",
    "Quạt thông gió xưởng hai hỏng lâu ngày, rất nóng.",
    "Lương tháng trước trả chậm mười ngày mà không báo lý do.",
)


async def run_worker(sim: Simulation, worker: Worker) -> None:
    spec = worker.spec
    timing = sim.timing
    user = ChannelUser(spec.user_id, "Công", f"Nhân {spec.index}")
    chat = PolledChat(sim, user)
    await asyncio.sleep(worker.start_after)
    for number in range(1, timing.worker_attempts + 1):
        attempt = Attempt(number)
        worker.attempts.append(attempt)
        chat.send(f"/start c_{spec.enterprise_code}")
        live: set[int] = set()  # this attempt's messages: edits of older ones are stale
        steps = 0
        patience = timing.resend_after
        while sim.running and steps < 20:
            screens = await chat.screens(patience)
            if not screens:
                attempt.ended = attempt.ended or "no answer"
                break
            for screen in screens:
                kind, info = classify_worker(screen)
                if kind == "confirmed" and info:
                    worker.confirmations.append(info)
            if worker.confirmations:
                attempt.ended = "confirmed"
                worker.outcome = "confirmed"
                return
            current = [s for s in screens if s.method != "editMessageText" or s.message_id in live]
            if not current:
                continue
            screen = current[-1]
            kind, info = classify_worker(screen)
            if kind == "other":
                # An apology after a failed step, "button expired", …: wait a little for what
                # may still come (the step may have worked), then start again.
                worker.others[str(info)] += 1
                attempt.ended = f"other: {info}"
                patience = 3.0
                continue
            patience = timing.resend_after
            steps += 1
            await chat.think()
            if kind == "promise":
                live = {screen.message_id}
                data = button(screen, "tt:v1:go")
                assert data is not None
                chat.press(screen, data)
            elif kind == "categories":
                choices = [d for _, d in screen.buttons if d.startswith("tt:v1:cat:")]
                chat.press(screen, sim.rng.choice(choices))
            elif kind == "write":
                text = sim.rng.choice(CONCERN_TEXTS)
                chat.send(f"{text} {worker_tag(sim.world, spec.index, number)}")
            elif kind == "preview":
                live.add(screen.message_id)
                attempt.sent_at = time.monotonic()
                chat.press(screen, "tt:v1:send")
            elif kind == "too-many":
                attempt.ended = "refused"
                worker.outcome = "refused"
                return
        if not sim.running:
            break
    if not worker.outcome:
        worker.outcome = "gave-up" if sim.running else "unfinished"


def note_kill(sim: Simulation, officers: Iterable[Officer], number: int) -> tuple[int, int]:
    """Record a kill; (officers in the middle of a draft, workers waiting for a confirmation)."""
    now = time.monotonic()
    sim.kills.append(now)
    sim.disruptions.append((now, None))
    mid = 0
    for officer in officers:
        if not officer.outcome and officer.max_index >= 2:
            officer.in_progress_at_kills.append(number)
            mid += 1
    return mid, 0


def workers_in_flight(workers: Iterable[Worker]) -> int:
    return sum(
        1
        for w in workers
        if not w.outcome and w.attempts and w.attempts[-1].sent_at and not w.attempts[-1].ended
    )


# --- checks against the database --------------------------------------------------------------


@dataclass
class ReportFindings:
    officers: int = 0
    confirmed: int = 0  # a receipt was shown
    already: int = 0  # the bot said it was already sent (a double tap)
    found_submitted: int = 0  # /baocao showed the sent report (its receipt lost in a crash)
    unfinished: list[int] = field(default_factory=list)  # officer indexes without an outcome
    in_database: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: int = 0  # reports beyond one per (unit, period)
    wrong_receipt: list[str] = field(default_factory=list)
    unconfirmed_in_db: int = 0  # reports whose officer never saw the receipt
    other_values: int = 0  # stored values differ from what the officer last gave (informative)
    drafts_left: int = 0
    mid_draft_at_kill: int = 0
    resumed: int = 0
    restarted: list[str] = field(default_factory=list)  # a draft went back to an earlier question
    resends: int = 0
    jumps: int = 0
    others: Counter[str] = field(default_factory=Counter)


@dataclass
class ConcernFindings:
    workers: int = 0
    confirmed: int = 0
    refused: int = 0
    unfinished: list[int] = field(default_factory=list)
    in_database: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    in_flight: int = 0  # cases stored whose confirmation was lost in a kill/fault: allowed
    unexplained: list[str] = field(default_factory=list)  # stored, never confirmed, no disruption
    attempts: int = 0
    others: Counter[str] = field(default_factory=Counter)


async def check_reports(world: World, officers: list[Officer]) -> ReportFindings:
    found = ReportFindings(officers=len(officers))
    engine = create_engine(world.url)
    try:
        async with make_uow(engine)() as session:
            rows = (
                await session.execute(
                    select(Report.id, Report.reporting_unit_id).where(
                        Report.period == world.period.key
                    )
                )
            ).all()
            values: dict[int, dict[str, Decimal | None]] = {}
            for report_id, code, value in (
                await session.execute(
                    select(ReportValue.report_id, ReportValue.indicator_code, ReportValue.value)
                    .join(Report, Report.id == ReportValue.report_id)
                    .where(Report.period == world.period.key)
                )
            ).all():
                values.setdefault(report_id, {})[code] = value
            found.drafts_left = int(
                await session.scalar(select(func.count()).select_from(ReportDraft)) or 0
            )
    finally:
        await engine.dispose()
    by_unit: dict[int, list[int]] = {}
    for report_id, unit_id in rows:
        by_unit.setdefault(unit_id, []).append(report_id)
    found.in_database = len(rows)
    found.duplicated = sum(len(ids) - 1 for ids in by_unit.values())
    for officer in officers:
        spec = officer.spec
        ids = by_unit.get(spec.unit_id, [])
        found.resends += officer.resends
        found.jumps += officer.jumps
        found.others.update(officer.others)
        if officer.outcome == "receipt":
            found.confirmed += 1
        elif officer.outcome == "already":
            found.already += 1
        elif officer.outcome == "found-submitted":
            found.found_submitted += 1
        else:
            found.unfinished.append(spec.index)
        if officer.outcome in ("receipt", "already", "found-submitted") and not ids:
            found.lost.append(f"officer {spec.index} ({officer.outcome}) unit {spec.unit_id}")
        if officer.receipt_id is not None:
            if officer.receipt_id not in ids:
                found.wrong_receipt.append(
                    f"officer {spec.index}: BC-{officer.receipt_id:06d}, database {ids}"
                )
        elif ids:
            found.unconfirmed_in_db += 1
        for report_id in ids[:1]:
            stored = values.get(report_id, {})
            if any(stored.get(code) != value for code, value in officer.given.items()):
                found.other_values += 1
        if officer.in_progress_at_kills:
            found.mid_draft_at_kill += 1
            if not officer.regressions and officer.outcome in (
                "receipt",
                "already",
                "found-submitted",
            ):
                found.resumed += 1
        if officer.regressions:
            seen, was = officer.regressions[0]
            found.restarted.append(
                f"officer {spec.index}: shown question {seen} after reaching {was}"
            )
    return found


async def check_concerns(sim: Simulation, world: World, workers: list[Worker]) -> ConcernFindings:
    found = ConcernFindings(workers=len(workers))
    keys = ConcernKeys.from_strings(
        text_key=world.keys["CONCERN_TEXT_KEY"],
        receipt_pepper=world.keys["RECEIPT_PEPPER"],
        rate_secret=SECRET,
        push_public_key=world.keys["CONCERN_PUSH_PUBLIC_KEY"],
        push_private_key=None,
    )
    engine = create_engine(world.url)
    try:
        async with make_uow(engine)() as session:
            rows = (
                await session.execute(
                    select(
                        Concern.id,
                        Concern.case_code,
                        Concern.enterprise_id,
                        Concern.text_encrypted,
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    found.in_database = len(rows)
    cases: dict[str, tuple[int, int]] = {}  # case code → (worker, attempt)
    by_worker: dict[int, list[tuple[str, int]]] = {}
    for concern_id, case_code, enterprise_id, blob in rows:
        text = decrypt_text(
            keys, blob, f"concern:{concern_id}", owner=f"enterprise:{enterprise_id}"
        )
        match = TAG.search(text)
        if match is None or match.group("run") != world.run_tag:
            found.unexplained.append(f"{case_code}: no tag of this run")
            continue
        worker_no, attempt_no = int(match.group("worker")), int(match.group("attempt"))
        cases[case_code] = (worker_no, attempt_no)
        by_worker.setdefault(worker_no, []).append((case_code, attempt_no))
    for worker in workers:
        spec = worker.spec
        found.attempts += len(worker.attempts)
        found.others.update(worker.others)
        # Every confirmation ever shown in the chat, late ones included.
        shown = {
            code
            for sent in sim.api.chat(spec.user_id)
            if sent.text.startswith(SENT_TO_UNION)
            for code in CASE_CODE.findall(sent.text)
        }
        if worker.outcome == "confirmed":
            found.confirmed += 1
        elif worker.outcome == "refused":
            found.refused += 1
        else:
            found.unfinished.append(spec.index)
        for code in sorted(shown):
            owner = cases.get(code)
            if owner is None or owner[0] != spec.index:
                found.lost.append(f"worker {spec.index}: {code} not in the database")
        if len(shown) > 1:
            found.duplicated.append(f"worker {spec.index}: {len(shown)} cases confirmed")
        for code, attempt_no in by_worker.get(spec.index, []):
            if code in shown:
                continue
            attempt = next((a for a in worker.attempts if a.number == attempt_no), None)
            if (
                attempt is not None
                and attempt.sent_at
                and sim.disrupted_since(attempt.sent_at, spec.user_id)
            ):
                found.in_flight += 1
            else:
                found.unexplained.append(
                    f"worker {spec.index} attempt {attempt_no}: {code} stored, never confirmed"
                )
    return found


def dump_chats(api: StandIn, officers: list[Officer], workers: list[Worker], path: Path) -> None:
    """Every user's conversation as the stand-in saw it (users' own updates are not recorded
    there: only what the bot sent), unfinished ones first — for looking into a failure."""
    users: list[tuple[str, int]] = [
        (f"officer {o.spec.index} [{o.outcome}]", o.spec.user_id)
        for o in sorted(officers, key=lambda o: o.outcome not in ("unfinished", "gave-up"))
    ] + [(f"worker {w.spec.index} [{w.outcome}]", w.spec.user_id) for w in workers]
    with path.open("w", encoding="utf-8") as out:
        for label, chat_id in users:
            out.write(f"=== {label} (chat {chat_id})\n")
            for sent in api.chat(chat_id):
                data = " | ".join(d for _, d in sent.buttons)
                text = sent.text.replace("\n", " / ")[:150]
                out.write(f"  {sent.at:10.2f} {sent.method} #{sent.message_id}: {text} [{data}]\n")


# --- printing ---------------------------------------------------------------------------------


def print_reports(found: ReportFindings, kills: int) -> None:
    print(
        f"  reports        {found.officers} officers: {found.confirmed} saw a receipt, "
        f"{found.found_submitted} found it already sent on coming back (receipt lost in flight), "
        f"{found.already} told 'already sent', {len(found.unfinished)} unfinished"
        + (f" {found.unfinished[:10]}" if found.unfinished else "")
    )
    print(
        f"                 database: {found.in_database} reports for the month; "
        f"lost {len(found.lost)}, duplicated {found.duplicated}, wrong receipt "
        f"{len(found.wrong_receipt)}; {found.unconfirmed_in_db} stored without the officer "
        f"seeing its receipt; {found.drafts_left} drafts left"
    )
    if kills:
        print(
            f"  drafts         {found.mid_draft_at_kill} officers were mid-draft at a kill: "
            f"{found.resumed} resumed where they were, {len(found.restarted)} went back to an "
            "earlier question"
        )
    print(
        f"  officers did   {found.resends} re-sends of /baocao after a silence, "
        f"{found.jumps} big-change confirmations; values differing from the "
        f"last typed: {found.other_values}"
    )
    if found.others:
        common = ", ".join(f"{n}× {t!r}" for t, n in found.others.most_common(4))
        print(f"                 unexpected answers they met: {common}")
    for line in (found.lost + found.wrong_receipt + found.restarted)[:10]:
        print(f"    ! {line}")


def print_concerns(found: ConcernFindings) -> None:
    print(
        f"  concerns       {found.workers} workers ({found.attempts} attempts): "
        f"{found.confirmed} saw a case code, {found.refused} refused (daily limit), "
        f"{len(found.unfinished)} unfinished"
        + (f" {found.unfinished[:10]}" if found.unfinished else "")
    )
    print(
        f"                 database: {found.in_database} cases; lost {len(found.lost)}, "
        f"duplicated {len(found.duplicated)}; {found.in_flight} stored but unconfirmed because "
        f"the confirmation was in flight at a kill/fault (allowed), {len(found.unexplained)} "
        "stored and unconfirmed without one"
    )
    if found.others:
        common = ", ".join(f"{n}× {t!r}" for t, n in found.others.most_common(4))
        print(f"                 unexpected answers they met: {common}")
    for line in (found.lost + found.duplicated + found.unexplained)[:10]:
        print(f"    ! {line}")


def print_log(found: LogFindings, expected: frozenset[str] = frozenset()) -> int:
    """Print the bot's logged failures; the number not explained by ``expected`` exceptions."""
    unexpected = found.total(expected)
    shown = ", ".join(
        f"{n}× {name} ({where})" for (where, name), n in found.failures.most_common(6)
    )
    print(f"  bot's log      failures: {shown or 'none'}")
    for line in found.samples[:5]:
        print(f"    ! {line}")
    print(
        f"  unhandled      {unexpected}"
        + (
            f" (not counted: {', '.join(sorted(expected))} — the injected faults themselves, "
            "logged by the error handler or PTB's updater)"
            if expected
            else ""
        )
    )
    return unexpected


# --- the frame of a script: options, one run per database, the verdict ----------------------


@dataclass
class ScriptOutcome:
    """What every script's outcome starts with; the scripts add their own findings."""

    backend: str
    officers: list[Officer]
    workers: list[Worker]


OutcomeT = TypeVar("OutcomeT", bound=ScriptOutcome)


def parse_options(
    name: str, doc: str | None, default: dict[str, int], quick: dict[str, int], argv: list[str]
) -> tuple[argparse.ArgumentParser, argparse.Namespace, dict[str, int]]:
    """--quick, --backend, one integer option per size (``default``'s keys), --seed, --keep;
    returns the parser (for its errors), the options and the sizes chosen."""
    parser = script_parser(doc, prog=f"python -m faults {name}", quick="the reduced size CI runs")
    for size in default:
        parser.add_argument(f"--{size}", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the bot logs and chats")
    args = parser.parse_args(argv)
    sizes = dict(quick if args.quick else default)
    for size in sizes:
        if getattr(args, size) is not None:
            sizes[size] = getattr(args, size)
    return parser, args, sizes


def run_script(
    name: str,
    args: argparse.Namespace,
    sizes: dict[str, int],
    simulate: Callable[[World, StandIn, Path, random.Random], Coroutine[Any, Any, OutcomeT]],
    report: Callable[[OutcomeT, dict[str, int], int], None],
    judge: Callable[[OutcomeT], list[str]],
) -> int:
    """A fault script on each database ``--backend`` chose: its scene (``run_scene``, seeded from
    ``--seed``), then ``report`` and ``judge`` of the outcome (see ``run_backends``)."""

    def run_one(backend: str) -> list[str]:
        outcome = run_scene(name, backend, sizes, args.seed, args.keep, simulate)
        report(outcome, sizes, args.seed)
        return judge(outcome)

    return run_backends(args.backend, run_one)


def run_scene(
    name: str,
    backend: str,
    sizes: dict[str, int],
    seed_value: int,
    keep: bool,
    simulate: Callable[[World, StandIn, Path, random.Random], Coroutine[Any, Any, OutcomeT]],
) -> OutcomeT:
    """A scratch database seeded with ``sizes["officers"]`` officers and ``sizes["workers"]``
    workers, a stand-in and a work folder (kept, with every chat, when ``keep``) for
    ``simulate``."""
    rng = random.Random(seed_value)
    with (
        fresh_database(backend, f"faults_{name}") as url,
        tempfile.TemporaryDirectory(prefix=f"faults-{name}-") as folder,
        StandIn(token=f"123456:FAULTS-{name.upper()}") as api,
    ):
        workdir = Path(tempfile.mkdtemp(prefix=f"faults-{name}-kept-")) if keep else Path(folder)
        world = asyncio.run(
            seed(url, sizes["officers"], sizes["workers"], config_folder(workdir), rng)
        )
        outcome = asyncio.run(simulate(world, api, workdir, rng))
        if keep:
            dump_chats(api, outcome.officers, outcome.workers, workdir / "chats.txt")
            print(f"  kept           {workdir} (bot logs, chats.txt)")
    outcome.backend = backend
    return outcome


async def start_bot(
    world: World, api: StandIn, workdir: Path, rng: random.Random, timing: Timing
) -> tuple[BotProcess, Simulation]:
    """The bot started (and ready) and the users' simulation attached to the stand-in."""
    bot = BotProcess(world, api, workdir)
    sim = Simulation(api, world, rng, timing)
    sim.attach()
    first = bot.start()
    if not await bot.wait_ready(first):
        raise RuntimeError(f"the bot did not start:\n{bot.tail(first)}")
    return bot, sim


def start_users(
    sim: Simulation, rng: random.Random, ramp: float
) -> tuple[list[Officer], list[Worker], asyncio.Future[list[None]]]:
    """Every officer and worker of the world, each starting at a random moment of ``ramp``
    seconds from now; the future is done when all of them are."""
    officers = [Officer(spec, rng.uniform(0, ramp)) for spec in sim.world.officers]
    workers = [Worker(spec, rng.uniform(0, ramp)) for spec in sim.world.workers]
    sim.started = time.monotonic()
    users = asyncio.gather(
        *(run_officer(sim, o) for o in officers), *(run_worker(sim, w) for w in workers)
    )
    return officers, workers, users


async def wait_for_users(
    sim: Simulation,
    users: asyncio.Future[list[None]],
    deadline: float,
    then: Callable[[], Awaitable[bool]] | None = None,
) -> bool:
    """Wait for the users (and then for ``then``, which says whether it ran out of time) until
    ``deadline``; True when time ran out. Users still busy at the deadline are stopped."""
    try:
        await asyncio.wait_for(asyncio.shield(users), max(1.0, deadline - time.monotonic()))
        return await then() if then is not None else False
    except TimeoutError:
        sim.running = False
        await users
        return True


class Watchdog:
    """Starts the bot again whenever it died on its own, and counts how often."""

    def __init__(self, bot: BotProcess, died: str) -> None:
        self.bot = bot
        self.died = died  # how the notice says it: "died", "died on its own"
        self.crashes = 0

    async def run(self, done: Callable[[], bool] = lambda: False) -> None:
        while not done():
            await asyncio.sleep(0.5)
            died = self.bot.check_died()
            if died is not None:
                self.crashes += 1
                print(f"  ! bot {died.number} {self.died} (exit {died.returncode}):")
                print("    " + self.bot.tail(died).replace("\n", "\n    "))
                await self.bot.wait_ready(self.bot.start())


def judge_users(reports: ReportFindings, concerns: ConcernFindings, unexplained: str) -> list[str]:
    """What went wrong for the officers and workers; ``unexplained`` words the cases stored
    without a confirmation (and without a disruption that explains it)."""
    r, c = reports, concerns
    why = []
    if r.lost or r.wrong_receipt:
        why.append(f"{len(r.lost) + len(r.wrong_receipt)} confirmed reports lost")
    if r.duplicated:
        why.append(f"{r.duplicated} reports duplicated")
    if r.restarted:
        why.append(f"{len(r.restarted)} drafts went back to an earlier question")
    if r.unfinished:
        why.append(f"{len(r.unfinished)} officers unfinished")
    if c.lost:
        why.append(f"{len(c.lost)} confirmed concerns lost")
    if c.duplicated:
        why.append(f"{len(c.duplicated)} workers with more than one confirmed case")
    if c.unexplained:
        why.append(f"{len(c.unexplained)} {unexplained}")
    if c.unfinished:
        why.append(f"{len(c.unfinished)} workers unfinished")
    return why


def judge_last_exit(lives: list[tuple[int, str, int | None]], which: str) -> list[str]:
    """The last bot process must have stopped cleanly (SIGINT: exit 0)."""
    last = lives[-1] if lives else None
    if last is None or last[2] != 0:
        return [f"{which} did not stop cleanly (exit {last[2] if last else None})"]
    return []
