#!/usr/bin/env python3
"""Reminder fan-out through the real sender against a rate-limited Bot API stand-in.

    python benchmarks/fanout.py [--messages N] [--limit R] [--backend sqlite|postgresql|both]
                                [--kill-limit R] [--burst B] [--sender loop|bot]
                                [--production-messages M] [--limiter-burst B] [--quick]
                                [--profile FILE]
    python3 run.py bench benchmarks/fanout.py [--quick]

The issue: "5,000 reminders against a local, rate-limited Bot API stand-in (a configured limit;
answers 429 with retry_after when exceeded). Prints the achieved rate as a share of the limit (aim
at least 0.95), the 429s received, and lost and duplicated messages (aim 0 and 0); then again with
the sender killed with SIGKILL halfway and restarted: duplicates at most the number in flight at
the kill, none lost."

Defaults: N = 5,000 at R = 30/s (Telegram's bulk limit); ``--quick`` (CI): 300 at 60/s, no run 3,
about 20 seconds. For each backend (a temporary SQLite file; a scratch PostgreSQL database,
created and dropped; PostgreSQL is SKIPPED, visibly, when it does not answer) each run gets a
freshly migrated database, N outbox rows put there with ``services.outbox.enqueue`` — kind
"reminder" (so the sender re-checks the unit's report before each one, as in production), one chat
each, a "📝 Báo cáo ngay" button, a unique tag in the text — and a fresh stand-in:

* run 1, uninterrupted: the sender is started and left to empty the outbox. Rate judged here.
* run 2, SIGKILL + restart: the sender is killed with SIGKILL at the moment the stand-in has
  recorded the ⌊N/2⌋-th message, before it answers it (that message is delivered and never
  confirmed: the worst moment). The rows in ``sending`` status are counted then — what was in
  flight, the bound on duplicates — and a new sender process is started, which recovers
  (``on_start``) and finishes. Run 2 runs at ``--kill-limit`` (default 5 R, so that the default
  run stays under about 8 minutes; what a kill can lose or duplicate does not depend on the rate).
* run 3, the production cadence (default M = 300, at 30/s): ``python -m bot`` itself.

The stand-in (testkit/bot_api.py's ``StandIn``) runs in a thread of this process, on 127.0.0.1:
one token bucket of R messages/s for all chats holding at most ``--burst`` (default R: one
second's worth; ``FloodLimits`` without a per-chat limit), HTTP 429 with ``retry_after`` beyond
it, and a record of every accepted sendMessage.

The sender of runs 1 and 2 (``--sender loop``, the default; benchmarks/fanout_sender.py) is a child
process that builds the Application with ``build_application`` — real HTTP to the stand-in through
PTB's ``AIORateLimiter`` (overall rate R: exactly the production limiter when R is 30, the same
class set to R otherwise) — runs ``bot.app.on_start`` (what ``run_polling`` runs first: command
menu, then ``recover``), and calls ``scheduler.outbox_sender.drain`` back to back until the
outbox is empty: the sender's own speed. Run 3 (or runs 1 and 2 with ``--sender bot``, R = 30)
runs the
production entry point, ``python -m bot``, polling the stand-in, whose JobQueue calls ``drain``
every 2 seconds; it is stopped with SIGINT once the outbox is empty: the speed production gets.

The achieved rate is (accepted messages − B) ÷ (first → last accepted message at the stand-in):
the stand-in lets B through at once and then R a second, so its share of R is "the shortest time
the stand-in allows ÷ the time it took" (≤ 1; aim ≥ 0.95, PASS/MISS). Also printed: plain
messages ÷ time with and without the sender's start-up, the 429s answered, lost (tags enqueued
and never delivered) and duplicated (deliveries − distinct tags), the outbox's final statuses,
and for run 2 the kill: delivery number, rows in flight, time to the first message after it.

Exit status 1 only if a message is lost, a message is duplicated beyond what was in flight (0
without a kill), a message nobody enqueued arrives, or a sender fails; a missed rate aim is a
figure (MISS), not an error. ``--profile FILE`` profiles the first run-1 sender (pyinstrument).
``--limiter-burst B`` is an experiment: the sender's AIORateLimiter keeps R a second but lets at
most B through at once (production: infra.rate_limit.BURST).

The poll run (issue 17): benchmarks/fanout_poll.py, a script of its own that says what it does,
started by this one as a child process after runs 1–3 (``--quick`` included: CI), with the same
``--backend``, ``--quick`` and ``--limiter-burst``: a poll to 10,000 subscribers (quick: 200)
through ``python -m bot`` while 50 officers report, then 10,000 answers, the close and the
suppressed results. ``--poll-only`` runs it alone, ``--no-poll`` skips it, ``--poll-args "…"``
passes more options to it. Exit status 1 also when it fails (a poll message lost, duplicated or
misdelivered).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import resource
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # testkit/script.py says why
HERE = Path(__file__).resolve().parent

import sqlalchemy  # noqa: E402
import telegram  # noqa: E402

from infra.settings import Settings  # noqa: E402
from scheduler.outbox_sender import SEND_BATCH  # noqa: E402
from services.anonymity import new_key_lines  # noqa: E402
from services.outbox import Outgoing  # noqa: E402
from testkit.bot_api import FloodLimits, Sent, StandIn  # noqa: E402
from testkit.db import each_backend, fresh_database  # noqa: E402
from testkit.outbox import enqueue, outbox_statuses, tagged_reminder  # noqa: E402
from testkit.script import ROOT, script_parser  # noqa: E402

SECRET = "fanout-bench-secret-Zq8mK2vN5pL9wR3tY7uE1iO4aS6dF0gH"
FIRST_CHAT = 7_100_000_001
AIM_SHARE = 0.95
PRODUCTION_LIMIT = 30.0
JOB_INTERVAL = 2.0  # scheduler/outbox_sender.py: the outbox-drain job runs every 2 s

DEFAULT_MESSAGES, DEFAULT_LIMIT = 5000, 30.0
QUICK_MESSAGES, QUICK_LIMIT = 300, 60.0
KILL_SPEEDUP = 5.0
DEFAULT_PRODUCTION_MESSAGES = 300  # run 3: about 20 s at the production cadence
TAG = re.compile(r"\[fanout ([0-9a-f]+) #(\d+)\]")


# --- databases ------------------------------------------------------------------------------


def reminders(count: int, tag: str) -> list[Outgoing]:
    """``count`` reminder-shaped messages, one chat each, each text carrying a unique tag."""
    return [
        tagged_reminder(
            f"fanout:{tag}:{i}",
            FIRST_CHAT + i,
            f"⏰ Nhắc nhở: CĐCS Công ty Thử tải số {i} chưa gửi báo cáo tháng 11/2026. "
            f"Hạn 25/11/2026 (còn 3 ngày). [fanout {tag} #{i:06d}]",
            i,
            "2026-11",
        )
        for i in range(count)
    ]


def statuses(url: str) -> dict[str, int]:
    return asyncio.run(outbox_statuses(url, pool_size=1, max_overflow=0))


# --- the sender -----------------------------------------------------------------------------


def sender_env(
    url: str, api: StandIn, limit: float, sender: str, limiter_burst: float | None
) -> dict[str, str]:
    """The child's environment: the parent's, minus anything the bot reads as a setting."""
    names = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in names}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(
                os.pathsep
            ),
            "BOT_TOKEN": api.token,
            "BOT_USERNAME": "fanout_bench_bot",
            "TELEGRAM_API_BASE_URL": api.url,
            "DATABASE_URL": url,
            "APP_SECRET": SECRET,
            "LOG_LEVEL": "WARNING",
            "SCHEDULER_ENABLED": "true" if sender == "bot" else "false",
            "FANOUT_LIMIT": repr(limit),
            "FANOUT_LIMITER_BURST": repr(limiter_burst) if limiter_burst else "",
            **dict(line.split("=", 1) for line in new_key_lines()),
        }
    )
    return env


@dataclass
class Child:
    process: subprocess.Popen[str]
    spawned: float
    log: Path
    ended: float = 0.0

    def events(self) -> list[dict[str, Any]]:
        assert self.process.stdout is not None
        found = []
        for line in self.process.stdout.read().splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
        return found

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text("utf-8", "replace").splitlines()[-lines:])
        except OSError:
            return ""


def spawn(
    sender: str, env: dict[str, str], workdir: Path, name: str, profile: str | None = None
) -> Child:
    command = (
        [sys.executable, str(HERE / "fanout_sender.py")]
        if sender == "loop"
        else [sys.executable, "-m", "bot"]
    )
    if profile:
        env = {**env, "FANOUT_PROFILE": profile}
    log = workdir / f"{name}.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    return Child(process, time.monotonic(), log)


def finish(child: Child, sender: str, url: str, deadline: float) -> bool:
    """Wait for the sender to empty the outbox; False when it failed or ran out of time."""
    if sender == "loop":
        try:
            child.process.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()
            child.ended = time.monotonic()
            return False
        child.ended = time.monotonic()
        return child.process.returncode == 0
    # python -m bot runs until stopped: stop it once nothing is pending or being sent.
    while time.monotonic() < deadline and child.process.poll() is None:
        left = statuses(url)
        if not left.get("pending") and not left.get("sending"):
            break
        time.sleep(0.25)
    child.ended = time.monotonic()
    if child.process.poll() is not None:
        return False
    child.process.send_signal(signal.SIGINT)
    try:
        child.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        child.process.kill()
        child.process.wait()
        return False
    return time.monotonic() < deadline


# --- one run --------------------------------------------------------------------------------


@dataclass
class Kill:
    at_delivery: int = 0
    at: float = 0.0
    in_flight: int = 0  # rows in 'sending' status right after the kill
    statuses: dict[str, int] = field(default_factory=dict)
    restart_spawned: float = 0.0
    first_after: float = 0.0  # first accepted message after the restart


@dataclass
class Run:
    backend: str
    label: str
    messages: int
    limit: float
    burst: float
    sender: str
    tag: str
    deliveries: list[Sent]  # the accepted sendMessage calls, in order
    refused: list[float]
    children: list[Child]
    events: list[dict[str, Any]]
    statuses: dict[str, int]
    ok: bool  # every sender finished in time
    kill: Kill | None = None
    limiter_burst: float | None = None  # the sender's AIORateLimiter bucket, if not 1 s worth
    cpu_seconds: float = 0.0  # user + system CPU of the sender processes (reaped children)

    @property
    def tags(self) -> Counter[int]:
        found: Counter[int] = Counter()
        for delivery in self.deliveries:
            match = TAG.search(delivery.text)
            found[int(match.group(2)) if match and match.group(1) == self.tag else -1] += 1
        return found

    @property
    def lost(self) -> int:
        return len(set(range(self.messages)) - set(self.tags))

    @property
    def duplicated(self) -> int:
        tags = self.tags
        return sum(tags.values()) - len(tags)

    @property
    def strangers(self) -> int:
        return sum(n for tag, n in self.tags.items() if not 0 <= tag < self.messages)

    @property
    def window(self) -> float:
        if len(self.deliveries) < 2:
            return 0.0
        return self.deliveries[-1].at - self.deliveries[0].at

    @property
    def plain_rate(self) -> float:
        """Messages ÷ (first → last message)."""
        return (len(self.deliveries) - 1) / self.window if self.window else 0.0

    @property
    def rate(self) -> float:
        """The rate earned beyond the stand-in's initial bucket: (messages − burst) ÷ (first →
        last message). The bucket allows at most the limit, so this is at most the limit."""
        if not self.window:
            return 0.0
        return max(0.0, len(self.deliveries) - self.burst) / self.window

    @property
    def share(self) -> float:
        """Shortest time the stand-in allows for these messages ÷ the time they took."""
        return self.rate / self.limit

    @property
    def startup(self) -> float:
        return self.deliveries[0].at - self.children[0].spawned if self.deliveries else 0.0

    @property
    def overall(self) -> float:
        """Messages ÷ (spawn of the first sender → last message): start-up included."""
        if not self.deliveries:
            return 0.0
        return len(self.deliveries) / (self.deliveries[-1].at - self.children[0].spawned)

    def steady(self, skip: float = 5.0) -> float:
        """The rate once the first ``skip`` seconds (the initial burst) are over."""
        if self.window <= 2 * skip:
            return self.rate
        start = self.deliveries[0].at + skip
        later = [d.at for d in self.deliveries if d.at >= start]
        return (len(later) - 1) / (later[-1] - later[0]) if len(later) > 1 else 0.0

    @property
    def sender_totals(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for event in self.events:
            if event.get("event") == "done":
                for key in ("sent", "skipped", "retried", "unreachable", "failed", "batches"):
                    totals[key] += int(event.get(key, 0))
        return dict(totals)

    @property
    def broken(self) -> list[str]:
        why = []
        if not self.ok:
            why.append("a sender failed or ran out of time")
        if self.lost:
            why.append(f"{self.lost} lost")
        if self.strangers:
            why.append(f"{self.strangers} messages nobody enqueued")
        bound = self.kill.in_flight if self.kill else 0
        if self.duplicated > bound:
            why.append(f"{self.duplicated} duplicated (bound {bound})")
        return why


def run_once(
    backend: str,
    messages: int,
    limit: float,
    burst: float | None,
    sender: str,
    *,
    kill: bool,
    profile: str | None = None,
    limiter_burst: float | None = None,
) -> Run:
    tag = uuid.uuid4().hex[:8]
    bucket = burst if burst is not None else max(1.0, limit)  # default: one second's worth
    label = "SIGKILL + restart" if kill else "uninterrupted"
    if sender == "bot" and not kill:
        label = "python -m bot"
    with (
        fresh_database(backend, "fanout") as url,
        tempfile.TemporaryDirectory(prefix="fanout-sender-") as folder,
        StandIn(
            token="123456:FANOUT-BENCH",
            username="fanout_bench_bot",
            fault=FloodLimits(bot_rate=limit, bot_burst=bucket, chat_rate=0),
            keep_alive=True,
            max_connections=64,
            max_records=4 * messages + 1000,
        ) as api,
    ):
        workdir = Path(folder)
        added = asyncio.run(enqueue(url, reminders(messages, tag)))
        assert added == messages, f"enqueued {added} of {messages}"
        env = sender_env(url, api, limit, sender, limiter_burst)
        # Generous: the sender may be far slower than the limit, but not endlessly.
        pace = limit if sender == "loop" else min(limit, SEND_BATCH / JOB_INTERVAL)
        deadline = time.monotonic() + 120 + 4 * messages / pace
        children: list[Child] = []
        record = Kill() if kill else None
        killed = threading.Event()

        if record is not None:
            half = messages // 2

            def on_sent(sent: Sent) -> None:
                number = sent.seq  # the stand-in records sendMessage only here
                if number == half and not killed.is_set():
                    os.kill(children[0].process.pid, signal.SIGKILL)
                    children[0].process.wait()
                    record.at_delivery, record.at = number, time.monotonic()
                    killed.set()

            api.on_sent = on_sent

        cpu_before = _children_cpu()
        children.append(spawn(sender, env, workdir, "sender-1", profile))
        ok = True
        if record is None:
            ok = finish(children[0], sender, url, deadline)
        else:
            while not killed.wait(0.1):
                if children[0].process.poll() is not None or time.monotonic() > deadline:
                    ok = False  # ended (or stalled) before half was delivered
                    break
            api.on_sent = None
            children[0].ended = time.monotonic()
            if ok:
                record.statuses = statuses(url)
                record.in_flight = record.statuses.get("sending", 0)
                restarted = spawn(sender, env, workdir, "sender-2")
                record.restart_spawned = restarted.spawned
                children.append(restarted)
                ok = finish(restarted, sender, url, deadline)
        cpu_seconds = _children_cpu() - cpu_before
        deliveries, refused = api.sent("sendMessage"), api.refused()
        events = [event for child in children for event in child.events()]
        if not ok:
            for child in children:
                print(f"  sender log {child.log.name} (last lines):\n{child.tail()}")
        final = statuses(url)
    if record is not None and record.at:
        after = [d.at for d in deliveries if d.at > record.at]
        record.first_after = after[0] if after else 0.0
    return Run(
        backend,
        label,
        messages,
        limit,
        bucket,
        sender,
        tag,
        deliveries,
        refused,
        children,
        events,
        final,
        ok,
        record,
        limiter_burst,
        cpu_seconds,
    )


def _children_cpu() -> float:
    """CPU seconds of this process's reaped children: the senders (the stand-in is a thread)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- output ---------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_run(run: Run, number: int) -> None:
    totals = run.sender_totals
    sender = (
        "drain() back to back in build_application's Application"
        if run.sender == "loop"
        else "python -m bot (JobQueue: drain every 2 s)"
    )
    limiter = (
        "AIORateLimiter as in production (30/s)"
        if run.limit == PRODUCTION_LIMIT and not run.limiter_burst
        else f"AIORateLimiter at {run.limit:g}/s"
    )
    if run.limiter_burst:
        limiter += f" with a bucket of {run.limiter_burst:g} (experiment)"
    print(f"\n--- {run.backend}, run {number}: {run.label} ---")
    print(f"  messages            {run.messages} reminders, one chat each; limit {run.limit:g}/s")
    print(f"  sender              {sender}; {limiter}, batch {SEND_BATCH}")
    print(f"  start-up            {run.startup:.2f} s (spawn → first message at the stand-in)")
    if run.deliveries:
        per_message = 1000 * run.cpu_seconds / len(run.deliveries)
        print(
            f"  sender CPU          {run.cpu_seconds:.2f} s in all, {per_message:.2f} ms per "
            "message delivered (start-up included)"
        )
    if run.kill is None:
        aim = f"aim ≥ {AIM_SHARE:.2f}: {verdict(run.share >= AIM_SHARE)}"
        print(f"  achieved rate       {run.rate:.2f} msg/s = {run.share:.3f} of the limit   {aim}")
        best = max(0.0, len(run.deliveries) - run.burst) / run.limit
        print(
            f"                      {len(run.deliveries)} messages in {run.window:.1f} s (first → "
            f"last); the stand-in lets {run.burst:g} through at once, then {run.limit:g}/s: "
            f"{best:.1f} s at best"
        )
        print(
            f"  other views         {run.plain_rate:.2f} msg/s all ÷ (first → last); "
            f"{run.overall:.2f} msg/s all ÷ (spawn → last)"
            + (f"; {run.steady():.2f} msg/s after the first 5 s" if run.window > 10 else "")
        )
    else:
        print(
            f"  rate                {run.plain_rate:.2f} msg/s, {len(run.deliveries)} messages in "
            f"{run.window:.1f} s (first → last; informative: the window includes the restart)"
        )
    if run.sender == "bot":
        ceiling = SEND_BATCH / JOB_INTERVAL
        print(
            f"  job cadence         one drain of {SEND_BATCH} every {JOB_INTERVAL:g} s: at most "
            f"{ceiling:g} msg/s = {ceiling / run.limit:.2f} of the limit"
        )
    print(
        f"  429s at stand-in    {len(run.refused)}"
        + (
            f" (AIORateLimiter waits each out, pausing every send for retry_after + 0.1 s; "
            f"{totals.get('retried', 0)} got past its retries to drain)"
            if run.refused
            else ""
        )
    )
    if run.kill is not None:
        kill = run.kill
        restart = (
            f"first message {kill.first_after - kill.at:.2f} s after the kill"
            if kill.first_after
            else "no message after the kill"
        )
        print(
            f"  kill                SIGKILL at delivery #{kill.at_delivery} (before its answer); "
            f"in flight: {kill.in_flight} rows 'sending' (batch {SEND_BATCH}); "
            f"outbox then {_statuses_text(kill.statuses)}"
        )
        print(f"  restart             recover at start; {restart}")
    bound = run.kill.in_flight if run.kill else 0
    dup_ok = run.duplicated <= bound
    print(
        f"  delivered           {len(run.deliveries)} messages, {len(run.tags)} distinct of "
        f"{run.messages}: lost {run.lost}, duplicated {run.duplicated} "
        f"(allowed {bound}): {'PASS' if not run.lost and dup_ok else 'FAIL'}"
        + (f"; {run.strangers} not enqueued!" if run.strangers else "")
    )
    print(f"  outbox at the end   {_statuses_text(run.statuses)}")
    if totals:
        print(
            "  sender's count      "
            + ", ".join(f"{k} {v}" for k, v in totals.items() if k != "batches")
            + f" in {totals.get('batches', 0)} drain calls"
        )
    if not run.ok:
        print("  sender              FAILED (see its log above)")


def _statuses_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty"


def print_summary(runs: list[Run]) -> None:
    print("\n=== summary ===")
    print(
        f"  {'backend':<11}{'run':<20}{'msgs':>6}{'limit':>7}{'msg/s':>8}{'share':>7}"
        f"{'429s':>6}{'lost':>6}{'dup':>5}{'bound':>7}  verdict"
    )
    for run in runs:
        bound = run.kill.in_flight if run.kill else 0
        judged = run.kill is None
        verdicts = []
        if judged:
            verdicts.append(f"rate {verdict(run.share >= AIM_SHARE)}")
        verdicts.append("lost/dup " + ("FAIL" if run.broken else "PASS"))
        print(
            f"  {run.backend:<11}{run.label:<20}{run.messages:>6}{run.limit:>7g}"
            + (
                f"{run.plain_rate:>8.2f}{'-':>7}"
                if run.kill
                else f"{run.rate:>8.2f}{run.share:>7.3f}"
            )
            + f"{len(run.refused):>6}{run.lost:>6}{run.duplicated:>5}"
            f"{bound:>7}  {', '.join(verdicts)}"
        )


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = script_parser(
        __doc__,
        quick=f"{QUICK_MESSAGES} messages at {QUICK_LIMIT:g}/s (CI)",
        profile="profile the first run-1 sender",
    )
    parser.add_argument("--messages", type=int, help=f"default {DEFAULT_MESSAGES}")
    parser.add_argument("--limit", type=float, help=f"messages/s, default {DEFAULT_LIMIT:g}")
    parser.add_argument("--burst", type=float, help="stand-in bucket size, default the limit")
    parser.add_argument(
        "--kill-limit", type=float, help=f"limit of run 2, default {KILL_SPEEDUP:g} × the limit"
    )
    parser.add_argument(
        "--limiter-burst",
        type=float,
        help="an experiment: the sender's AIORateLimiter lets at most this many through at once "
        "(production: infra.rate_limit.BURST); the poll run's bot too",
    )
    parser.add_argument("--sender", choices=["loop", "bot"], default="loop")
    parser.add_argument(
        "--production-messages",
        type=int,
        help=f"run 3 through python -m bot at 30/s (default {DEFAULT_PRODUCTION_MESSAGES}; "
        "0 or --quick: none)",
    )
    add_poll_options(parser)
    args = parser.parse_args(argv)
    messages = args.messages or (QUICK_MESSAGES if args.quick else DEFAULT_MESSAGES)
    limit = args.limit or (QUICK_LIMIT if args.quick else DEFAULT_LIMIT)
    kill_limit = args.kill_limit or (limit if args.sender == "bot" else KILL_SPEEDUP * limit)
    if messages < 2 or limit <= 0 or kill_limit <= 0:
        parser.error("--messages must be at least 2 and the limits positive")
    if args.sender == "bot" and ({limit, kill_limit} != {PRODUCTION_LIMIT} or args.limiter_burst):
        parser.error("--sender bot runs the production limiter: --limit 30 (and --kill-limit 30)")

    production = 0 if args.sender == "bot" else args.production_messages
    if production is None:
        production = 0 if args.quick else DEFAULT_PRODUCTION_MESSAGES

    print(
        "fanout: only the poll run"
        if args.poll_only
        else f"fanout: {messages} reminders per run, limit {limit:g} msg/s "
        f"(run 2: {kill_limit:g}), sender {args.sender}"
        + (f", run 3: {production} through python -m bot at 30/s" if production else "")
        + f"; Python {platform.python_version()}, python-telegram-bot {telegram.__version__}, "
        f"SQLAlchemy {sqlalchemy.__version__}, {os.cpu_count()} CPUs"
    )
    runs: list[Run] = []
    profile = args.profile
    started = time.monotonic()
    for backend in each_backend(args.backend) if not args.poll_only else []:
        print(f"\n=== {backend} ===", flush=True)
        first = run_once(
            backend,
            messages,
            limit,
            args.burst,
            args.sender,
            kill=False,
            profile=profile,
            limiter_burst=args.limiter_burst,
        )
        print_run(first, 1)
        if profile:
            print(f"  profile             {profile} (+ .html); profiled, the sender is far slower")
            profile = None
        burst = args.burst * kill_limit / limit if args.burst else None
        second = run_once(
            backend,
            messages,
            kill_limit,
            burst,
            args.sender,
            kill=True,
            limiter_burst=args.limiter_burst,
        )
        print_run(second, 2)
        runs.extend([first, second])
        if production:
            third = run_once(backend, production, PRODUCTION_LIMIT, None, "bot", kill=False)
            print_run(third, 3)
            runs.append(third)
        sys.stdout.flush()
    poll_status = None if args.no_poll else run_poll_script(args)
    if not runs and poll_status is None:
        return 1
    if runs:
        print_summary(runs)
        print(f"\n  total time {time.monotonic() - started:.0f} s")
    broken = [f"{r.backend} run {r.label}: {'; '.join(r.broken)}" for r in runs if r.broken]
    if poll_status:
        broken.append(f"the poll run (benchmarks/fanout_poll.py) exited with {poll_status}")
    for line in broken:
        print(f"  BROKEN: {line}")
    return 1 if broken else 0


def add_poll_options(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--poll-only", action="store_true", help="only the poll run")
    which.add_argument("--no-poll", action="store_true", help="no poll run")
    parser.add_argument(
        "--poll-args",
        default="",
        metavar='"…"',
        help="more options for benchmarks/fanout_poll.py (its --help lists them)",
    )


def run_poll_script(args: argparse.Namespace) -> int:
    """benchmarks/fanout_poll.py as a child (benchmarks do not import each other); its status."""
    command = [sys.executable, str(HERE / "fanout_poll.py"), "--backend", args.backend]
    if args.quick:
        command.append("--quick")
    if args.limiter_burst:
        command += ["--limiter-burst", repr(args.limiter_burst)]
    command += shlex.split(args.poll_args)
    sys.stdout.flush()
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
