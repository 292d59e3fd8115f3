"""SIGKILL at random moments while officers report and workers raise concerns, then restart.

    python -m faults sigkill [--quick] [--backend=sqlite|postgresql|both] [--officers=N]
                             [--workers=N] [--kills=K] [--seed=S] [--keep]

(The runner passes only arguments that start with "-": write values with "=".)

The issue: "SIGKILL at random moments while 200 simulated officers submit reports and 50 workers
raise concerns, then restart: no confirmed report lost, none duplicated, drafts resumed."

Defaults: 200 officers, 50 workers, 5 kills, both databases (PostgreSQL SKIPPED, visibly, when it
does not answer); ``--quick`` (CI): 40 officers, 10 workers, 2 kills, SQLite and PostgreSQL, well
under a minute each. For each database: a fresh scratch database is seeded (testkit/polling.py),
``python -m bot`` polls the loopback stand-in (testkit/bot_api.py), and the simulated
users start over a ramp. The kill moments are random (seeded): each kill waits until a random
share (8–85 %) of the expected updates has been pushed, then a random fraction of a second more,
then SIGKILL; the bot is started again at once (after up to a second) and the users carry on —
re-sending what got no answer, as people do. At the end the bot is stopped with SIGINT.

Found, from the database and from what the users were shown: reports confirmed (receipt seen),
in the database, lost (a receipt or "already sent" without a report), duplicated (more than one
per unit and month), drafts resumed (officers mid-draft at a kill who continued without being
sent back to an earlier question); concerns confirmed, lost, duplicated, stored without a
confirmation (allowed only when the confirmation was in flight at a kill); the exit codes; the
bot's logged failures. Exit status 1 on anything lost, duplicated, unhandled, a draft sent back,
a user left unfinished, or a bot that died on its own.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from testkit.bot_api import StandIn
from testkit.polling import (
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
    note_kill,
    parse_options,
    print_concerns,
    print_log,
    print_reports,
    run_script,
    start_bot,
    start_users,
    wait_for_users,
    workers_in_flight,
)

DEFAULT = {"officers": 200, "workers": 50, "kills": 5}
QUICK = {"officers": 40, "workers": 10, "kills": 2}


@dataclass
class KillRecord:
    number: int
    at: float  # seconds since the users started
    pushed: int
    expected: int
    unconfirmed_updates: int  # pushed and not yet confirmed by a getUpdates offset
    mid_draft: int
    workers_waiting: int
    life: int
    back_after: float = 0.0  # kill → the new process polls


@dataclass
class Outcome(ScriptOutcome):
    kills: list[KillRecord]
    lives: list[tuple[int, str, int | None]]  # (number, how it ended, exit code)
    crashes: int
    reports: ReportFindings
    concerns: ConcernFindings
    unhandled: int
    seconds: float
    timed_out: bool
    findings: LogFindings = field(default_factory=LogFindings)


async def simulate(
    world: World,
    api: StandIn,
    workdir: Path,
    kills: int,
    rng: random.Random,
    deadline: float,
    quick: bool,
) -> Outcome:
    timing = Timing(resend_after=8.0) if quick else Timing()
    bot, sim = await start_bot(world, api, workdir, rng, timing)
    # Users start over a ramp: about four new officers a second, as a bot this size can serve
    # them on two cores (the bot processes updates one at a time).
    officers, workers, users = start_users(sim, rng, len(world.officers) * 0.25)
    expected = sum(len(o.spec.indicators) + 4 for o in officers) + 5 * len(workers)
    records: list[KillRecord] = []

    def finished() -> bool:
        return users.done()

    async def killer() -> None:
        thresholds = sorted(rng.uniform(0.08, 0.85) * expected for _ in range(kills))
        for number, threshold in enumerate(thresholds, start=1):
            while True:
                if finished():
                    return
                if sim.pushed >= threshold:
                    break
                await asyncio.sleep(0.05)
            life = bot.current
            if life is not None and life.ready:
                # Not while it is still starting: that is the next kill's business.
                await asyncio.sleep(max(0.0, life.ready + 1.0 - time.monotonic()))
            await asyncio.sleep(rng.uniform(0.0, 0.7))
            mid, _ = note_kill(sim, officers, number)
            record = KillRecord(
                number,
                sim.elapsed(),
                sim.pushed,
                expected,
                api.pending_updates(),
                mid,
                workers_in_flight(workers),
                bot.current.number if bot.current else 0,
            )
            killed_at = time.monotonic()
            bot.kill()
            records.append(record)
            await asyncio.sleep(rng.uniform(0.0, 1.0))
            life = bot.start()
            if await bot.wait_ready(life):
                record.back_after = time.monotonic() - killed_at

    watchdog = Watchdog(bot, "died on its own")
    kill_task = asyncio.create_task(killer())
    watch_task = asyncio.create_task(watchdog.run(finished))
    timed_out = await wait_for_users(sim, users, deadline)
    seconds = sim.elapsed()
    kill_task.cancel()
    watch_task.cancel()
    await asyncio.sleep(1.0)  # let the last answers be written
    await asyncio.to_thread(bot.stop)
    api.on_sent = None
    reports = await check_reports(world, officers)
    concerns = await check_concerns(sim, world, workers)
    findings = bot.findings()
    lives = [(life.number, life.how, life.returncode) for life in bot.lives]
    outcome = Outcome(
        "",
        officers,
        workers,
        records,
        lives,
        watchdog.crashes,
        reports,
        concerns,
        0,
        seconds,
        timed_out,
    )
    outcome.unhandled = findings.total()
    outcome.findings = findings
    return outcome


def report(outcome: Outcome, sizes: dict[str, int], seed_value: int) -> None:
    jumps = sum(1 for o in outcome.officers if o.spec.jump_code)
    print(
        f"  tried          {len(outcome.officers)} officers ({jumps} with a change of more than "
        f"a third to confirm), {len(outcome.workers)} workers; {sizes['kills']} SIGKILLs at "
        f"random moments (seed {seed_value}), restart after each"
    )
    for kill in outcome.kills:
        back = f"polling again {kill.back_after:.1f} s later" if kill.back_after else "NOT BACK"
        print(
            f"  kill {kill.number}         at {kill.at:5.1f} s, bot {kill.life}, update "
            f"#{kill.pushed} of ~{kill.expected}: {kill.mid_draft} officers mid-draft, "
            f"{kill.workers_waiting} workers waiting for a confirmation, "
            f"{kill.unconfirmed_updates} updates not yet confirmed at the stand-in; {back}"
        )
    if len(outcome.kills) < sizes["kills"]:
        print(f"  kills          only {len(outcome.kills)}: the users finished first")
    codes = ", ".join(f"{code}" for _, _, code in outcome.lives)
    print(
        f"  bot processes  {len(outcome.lives)}: exit codes {codes} (-9: SIGKILL; the last one "
        f"stopped with SIGINT: 0 expected); died on their own: {outcome.crashes}"
    )
    print_reports(outcome.reports, len(outcome.kills))
    print_concerns(outcome.concerns)
    print_log(outcome.findings)
    print(
        f"  time           {outcome.seconds:.0f} s of simulation"
        + (" — DEADLINE reached, users stopped" if outcome.timed_out else "")
    )


def judge(outcome: Outcome) -> list[str]:
    why = judge_users(
        outcome.reports, outcome.concerns, "cases stored without a confirmation or a kill"
    )
    if outcome.unhandled:
        why.append(f"{outcome.unhandled} unhandled errors in the bot's log")
    if outcome.crashes:
        why.append(f"the bot died on its own {outcome.crashes} times")
    return why + judge_last_exit(outcome.lives, "the last bot")


def main(argv: list[str]) -> int:
    parser, args, sizes = parse_options("sigkill", __doc__, DEFAULT, QUICK, argv)
    if sizes["officers"] < 1 or sizes["workers"] < 0 or sizes["kills"] < 0:
        parser.error("--officers must be at least 1, --workers and --kills not negative")
    budget = 120.0 if args.quick else 60.0 + 2.0 * sizes["officers"] + 15.0 * sizes["kills"]
    print(
        f"sigkill: {sizes['officers']} officers, {sizes['workers']} workers, {sizes['kills']} "
        f"kills per database; seed {args.seed}; at most {budget:.0f} s of simulation each",
        flush=True,
    )
    return run_script(
        "sigkill",
        args,
        sizes,
        lambda world, api, workdir, rng: simulate(
            world, api, workdir, sizes["kills"], rng, time.monotonic() + budget, args.quick
        ),
        report,
        judge,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
