"""The Bot API misbehaves — 5xx, hangs past the client's timeout, storms of 429 — while officers
report, workers raise concerns and the outbox sends reminders.

    python -m faults bot_api_storm [--quick] [--backend=sqlite|postgresql|both] [--officers=N]
                                   [--workers=N] [--reminders=N] [--cycles=N] [--seed=S]
                                   [--keep]

(The runner passes only arguments that start with "-": write values with "=". ``--keep`` keeps
the bot's logs and every user's chat in a folder it names.)

The issue: "The Bot API stand-in answering 5xx, timeouts and storms of 429: no crash, nothing
lost."

Defaults: 200 officers, 50 workers, 300 reminders, three storm cycles, both databases
(PostgreSQL SKIPPED, visibly, when it does not answer); ``--quick`` (CI): 40 officers, 10
workers, 60 reminders, one cycle. For each database: a fresh scratch database is seeded
(testkit/polling.py), the reminders are put into the outbox with ``services.outbox.enqueue`` (one
chat each, a unique tag in the text, as benchmarks/fanout.py does), ``python -m bot`` polls the
loopback stand-in (testkit/bot_api.py), and the users start. The stand-in then runs its
storm cycles, every call (getUpdates included) exposed:

    calm 3 s · HTTP 500 to half the calls 4 s · calm 3 s · hang 7 s (PTB's read timeout is 5 s)
    for a third of the calls, half of them performed before the hang (delivered, never
    confirmed) 5 s · calm 3 s · 429 with retry_after 1–3 s to 80 % of the calls 5 s · calm 3 s ·
    HTTP 502 to half the calls 4 s

and then stays calm until every user has finished and the outbox is empty (a message that failed
is retried by the sender after 30 s × its attempts), within a deadline.

Exactly-once for the outbox, and its one allowed exception: a message whose sendMessage was
performed by the server but never answered (the "delivered, then hang" fault: the client times
out) cannot be told apart by the bot from one that never arrived — it is retried, so it may arrive
twice. So each reminder must arrive at least once, and at most once plus the number of such
hung deliveries of that very message. Every other fault (5xx, 429, a hang before the call is
performed) must cost nothing and duplicate nothing.

Found: faults injected by kind, faulted calls later repeated (retried) by the bot; reports
confirmed, lost, duplicated; concerns confirmed, lost, duplicated, stored unconfirmed (allowed
only when a fault hit that worker's chat after "send"); reminders delivered, lost, duplicated
(beyond the bound); whether the bot process stayed alive; failures the bot logged that are not
the injected faults themselves (NetworkError, TimedOut, RetryAfter). Exit status 1 on any loss,
duplicate beyond the bound, crash, unhandled failure or unfinished user.
"""

from __future__ import annotations

import asyncio
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from models import utcnow
from services.outbox import Outgoing
from testkit.bot_api import FAULT_KINDS, StandIn, Storms, Window
from testkit.outbox import enqueue, outbox_statuses, tagged_reminder
from testkit.polling import (
    FIRST_OUTBOX_CHAT,
    ConcernFindings,
    LogFindings,
    ReportFindings,
    ScriptOutcome,
    Timing,
    Watchdog,
    World,
    check_concerns,
    check_reports,
    judge_last_exit,
    judge_users,
    parse_options,
    print_concerns,
    print_log,
    print_reports,
    run_script,
    start_bot,
    start_users,
    wait_for_users,
)

DEFAULT = {"officers": 200, "workers": 50, "reminders": 300, "cycles": 3}
QUICK = {"officers": 40, "workers": 10, "reminders": 60, "cycles": 1}
# What the bot logs when the Bot API fails: the injected faults themselves, not bugs.
EXPECTED = frozenset({"NetworkError", "TimedOut", "RetryAfter", "BadGateway"})
HANG = 7.0  # seconds; PTB's default read timeout is 5 s
TAG = re.compile(r"\[storm (?P<run>[0-9a-f]{6}) #(?P<n>\d+)\]")


def cycle(start: float) -> list[Window]:
    """One storm cycle of 34 s from ``start``."""
    return [
        Window(start + 3, start + 7, "500", share=0.5),
        Window(start + 10, start + 15, "hang", share=0.33, seconds=HANG, deliver_share=0.5),
        Window(start + 18, start + 23, "429", share=0.8, seconds=1),
        Window(start + 26, start + 30, "502", share=0.5),
    ]


CYCLE = 34.0


@dataclass
class Outbox:
    enqueued: int = 0
    delivered: int = 0  # sendMessage calls recorded for the reminder chats
    distinct: int = 0
    lost: list[int] = field(default_factory=list)
    duplicated: int = 0  # deliveries beyond one per reminder
    beyond_bound: list[str] = field(default_factory=list)
    hung_deliveries: int = 0  # performed, then hung: the bound on duplicates
    statuses: dict[str, int] = field(default_factory=dict)


@dataclass
class Outcome(ScriptOutcome):
    injected: Counter[str]
    faulted_calls: Counter[str]  # method → faults
    retried: int  # faulted chat calls repeated identically later
    faulted_chat_calls: int
    reports: ReportFindings
    concerns: ConcernFindings
    outbox: Outbox
    alive_at_end: bool
    crashes: int
    lives: list[tuple[int, str, int | None]]
    findings: LogFindings
    unhandled: int
    seconds: float
    storm_seconds: float
    timed_out: bool


def reminders(count: int, tag: str, period: str, spread: float) -> list[Outgoing]:
    """Reminders due over the first ``spread`` seconds, so that the sender meets every storm."""
    now = utcnow()
    return [
        tagged_reminder(
            f"storm:{tag}:{i}",
            FIRST_OUTBOX_CHAT + i,
            f"⏰ Nhắc nhở: đơn vị thử số {i} chưa gửi báo cáo tháng {period}. "
            f"[storm {tag} #{i:06d}]",
            i,
            period,
            now + timedelta(seconds=spread * i / max(1, count - 1)),
        )
        for i in range(count)
    ]


def check_outbox(api: StandIn, world: World, count: int, statuses: dict[str, int]) -> Outbox:
    found = Outbox(enqueued=count, statuses=statuses)
    hung: Counter[int] = Counter()
    for _at, method, kind, chat, delivered in api.faulted:
        if kind == "hang" and delivered and method == "sendMessage" and chat is not None:
            hung[chat] += 1
    for i in range(count):
        chat = FIRST_OUTBOX_CHAT + i
        sent = [s for s in api.chat(chat) if s.method == "sendMessage"]
        ours = [s for s in sent if (m := TAG.search(s.text)) and m.group("run") == world.run_tag]
        found.delivered += len(sent)
        found.hung_deliveries += hung[chat]
        if not ours:
            found.lost.append(i)
            continue
        found.distinct += 1
        extra = len(ours) - 1
        found.duplicated += extra
        if extra > hung[chat]:
            found.beyond_bound.append(f"reminder #{i}: {len(ours)} deliveries, {hung[chat]} hung")
    return found


def retried_calls(api: StandIn) -> tuple[int, int]:
    """(faulted chat calls repeated identically later, faulted chat calls)."""
    faulted = [(at, method, chat) for at, method, _kind, chat, _ in api.faulted if chat is not None]
    repeated = 0
    calls = {chat: api.chat(chat) for _, _, chat in faulted if chat is not None}
    for at, method, chat in faulted:
        assert chat is not None
        # The stand-in records performed calls only; a faulted call that was performed anyway
        # (delivered, then hung) is in the list at about ``at`` — a retry comes later.
        later = [s for s in calls[chat] if s.method == method and s.at > at + 0.5]
        repeated += bool(later)
    return repeated, len(faulted)


async def simulate(
    world: World,
    api: StandIn,
    workdir: Path,
    cycles: int,
    reminder_count: int,
    rng: random.Random,
    deadline: float,
    quick: bool,
) -> Outcome:
    # People wait longer for a bot that is visibly struggling; a user who re-sends too soon
    # mostly answers stale screens (see the officer in testkit/polling.py).
    timing = Timing(resend_after=10.0) if quick else Timing(resend_after=30.0)
    spread = cycles * CYCLE - 4.0
    added = await enqueue(
        world.url, reminders(reminder_count, world.run_tag, world.period.key, spread)
    )
    assert added == reminder_count, f"enqueued {added} of {reminder_count}"
    bot, sim = await start_bot(world, api, workdir, rng, timing)
    storms = Storms(
        [w for c in range(cycles) for w in cycle(c * CYCLE)], seed=rng.randrange(1 << 30)
    )
    api.fault = storms
    storms.begin()
    # Users arrive over most of the storms (about 2.5 officers a second at the default size).
    ramp = min(len(world.officers) * 0.4, cycles * CYCLE * 0.8)
    officers, workers, users = start_users(sim, rng, ramp)

    async def note_faults() -> None:
        """Faults on a chat's calls count as disruptions of that chat (see check_concerns)."""
        seen = 0
        while True:
            await asyncio.sleep(0.25)
            with api.lock:
                new = api.faulted[seen:]
                seen += len(new)
            sim.disruptions.extend((at, chat) for at, _m, _k, chat, _d in new if chat is not None)

    async def drain_outbox() -> bool:
        """Then the outbox: what failed in a storm is retried 30 s × attempts later."""
        while time.monotonic() < deadline:
            left = await outbox_statuses(world.url)
            if not left.get("pending") and not left.get("sending"):
                return False
            await asyncio.sleep(1.0)
        return True

    watchdog = Watchdog(bot, "died")
    watch_task = asyncio.create_task(watchdog.run())
    fault_task = asyncio.create_task(note_faults())
    timed_out = await wait_for_users(sim, users, deadline, then=drain_outbox)
    seconds = sim.elapsed()
    await asyncio.sleep(0.5)
    fault_task.cancel()
    watch_task.cancel()
    api.fault = None
    alive = bot.alive()
    await asyncio.to_thread(bot.stop)
    api.on_sent = None
    reports = await check_reports(world, officers)
    concerns = await check_concerns(sim, world, workers)
    statuses = await outbox_statuses(world.url)
    found_outbox = check_outbox(api, world, reminder_count, statuses)
    retried, faulted_chat_calls = retried_calls(api)
    findings = bot.findings()
    with api.lock:
        faulted_calls = Counter(method for _a, method, _k, _c, _d in api.faulted)
        injected = Counter(api.injected)
    return Outcome(
        "",
        officers,
        workers,
        injected,
        faulted_calls,
        retried,
        faulted_chat_calls,
        reports,
        concerns,
        found_outbox,
        alive,
        watchdog.crashes,
        [(life.number, life.how, life.returncode) for life in bot.lives],
        findings,
        findings.total(EXPECTED),
        seconds,
        storms.length,
        timed_out,
    )


def report(outcome: Outcome, sizes: dict[str, int], seed_value: int) -> None:
    print(
        f"  tried          {len(outcome.officers)} officers, {len(outcome.workers)} workers, "
        f"{sizes['reminders']} reminders in the outbox; {sizes['cycles']} storm cycle(s) of "
        f"{CYCLE:.0f} s (500 · hang {HANG:.0f} s · 429 · 502; seed {seed_value})"
    )
    kinds = ", ".join(f"{kind} {outcome.injected.get(kind, 0)}" for kind in FAULT_KINDS)
    methods = ", ".join(f"{m} {n}" for m, n in outcome.faulted_calls.most_common(5))
    print(f"  injected       {kinds} (by method: {methods})")
    print(
        f"  retried        {outcome.retried} of {outcome.faulted_chat_calls} faulted chat calls "
        "were made again later (by the sender, PTB's rate limiter, or the handler after the "
        "user re-sent)"
    )
    print_reports(outcome.reports, 0)
    print_concerns(outcome.concerns)
    box = outcome.outbox
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(box.statuses.items()))
    print(
        f"  outbox         {box.enqueued} reminders: {box.distinct} delivered ({box.delivered} "
        f"deliveries), lost {len(box.lost)}, duplicated {box.duplicated} (allowed: "
        f"{box.hung_deliveries} delivered-then-hung sends; beyond that: "
        f"{len(box.beyond_bound)}); outbox rows: {statuses}"
    )
    for line in box.beyond_bound[:5]:
        print(f"    ! {line}")
    if box.lost:
        print(f"    ! lost reminders {box.lost[:10]}")
    codes = ", ".join(str(code) for _, _, code in outcome.lives)
    print(
        f"  process        alive at the end: {'yes' if outcome.alive_at_end else 'NO'}; "
        f"died {outcome.crashes} times; exit codes {codes} (SIGINT at the end: 0 expected)"
    )
    print_log(outcome.findings, EXPECTED)
    print(
        f"  time           {outcome.seconds:.0f} s (storms {outcome.storm_seconds:.0f} s)"
        + (" — DEADLINE reached" if outcome.timed_out else "")
    )


def judge(outcome: Outcome) -> list[str]:
    box = outcome.outbox
    why = judge_users(outcome.reports, outcome.concerns, "cases stored unconfirmed without a fault")
    if box.lost:
        why.append(f"{len(box.lost)} reminders lost")
    if box.beyond_bound:
        why.append(f"{len(box.beyond_bound)} reminders duplicated beyond the bound")
    if not outcome.alive_at_end or outcome.crashes:
        why.append("the bot process died")
    if outcome.unhandled:
        why.append(f"{outcome.unhandled} unhandled failures in the bot's log")
    if outcome.timed_out:
        why.append("the deadline was reached")
    return why + judge_last_exit(outcome.lives, "the bot")


def main(argv: list[str]) -> int:
    parser, args, sizes = parse_options("bot_api_storm", __doc__, DEFAULT, QUICK, argv)
    if sizes["officers"] < 1 or min(sizes["workers"], sizes["reminders"]) < 0:
        parser.error("--officers must be at least 1, --workers and --reminders not negative")
    if sizes["cycles"] < 1:
        parser.error("--cycles must be at least 1")
    # Users, then the sender's retries: 30 s after a first failure, 60 s after a second.
    budget = sizes["cycles"] * CYCLE + 100.0 + 1.5 * sizes["officers"]
    print(
        f"bot_api_storm: {sizes['officers']} officers, {sizes['workers']} workers, "
        f"{sizes['reminders']} reminders, {sizes['cycles']} storm cycle(s) per database; seed "
        f"{args.seed}; at most {budget:.0f} s each",
        flush=True,
    )
    return run_script(
        "storm",
        args,
        sizes,
        lambda world, api, workdir, rng: simulate(
            world,
            api,
            workdir,
            sizes["cycles"],
            sizes["reminders"],
            rng,
            time.monotonic() + budget,
            args.quick,
        ),
        report,
        judge,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
