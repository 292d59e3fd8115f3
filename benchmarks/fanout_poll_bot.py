#!/usr/bin/env python3
"""``python -m bot`` for benchmarks/fanout_poll.py, with the polls' job on a short cadence.

    FANOUT_POLL_EVERY=SECONDS python benchmarks/fanout_poll_bot.py   (+ the bot's environment)

Exactly ``python -m bot`` (``runpy`` runs the package's ``__main__``) with two constants of
handlers/polls/jobs.py changed before it starts: the batch runs every ``FANOUT_POLL_EVERY``
seconds (default 5) instead of every 20 minutes, and without its random extra wait of up to 10
minutes. Production's cadence exists to blur when workers answer; what the benchmark measures —
how fast one batch delivers a poll to its list through the rate limiter, and whether anyone gets
it twice — happens inside a batch, which is the production code unchanged. A batch still running
when the next is due makes APScheduler skip that one (one instance of a job at a time), as in
production. ``FANOUT_LIMITER_BURST=B`` (an experiment, as in benchmarks/fanout_sender.py) makes
the rate limiter's bucket B messages instead of one second's worth, at the same 30 a second.
``FANOUT_POLL_PROFILE=FILE`` runs it under benchmarks/profiling.py's Profiler (its
whole life; written when it stops).
"""

from __future__ import annotations

import functools
import os
import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # testkit/script.py says why

from handlers.polls import jobs


def main() -> None:
    every = float(os.environ.get("FANOUT_POLL_EVERY") or 5.0)
    setattr(jobs, "EVERY_MINUTES", every / 60)  # noqa: B010 (a Final constant, on purpose)
    setattr(jobs, "JITTER_MINUTES", 0)  # noqa: B010
    burst = float(os.environ.get("FANOUT_LIMITER_BURST") or 0)
    if burst:
        import bot.app
        from infra.rate_limit import AnswersFirstRateLimiter

        # build_application calls AnswersFirstRateLimiter(max_retries=3): the same class, 30 a
        # second, at most ``burst`` at once.
        bot.app.__dict__["AnswersFirstRateLimiter"] = functools.partial(
            AnswersFirstRateLimiter, overall_max_rate=burst, overall_time_period=burst / 30
        )
    sys.argv = [sys.argv[0]]
    path = os.environ.get("FANOUT_POLL_PROFILE")
    if not path:
        runpy.run_module("bot", run_name="__main__", alter_sys=True)
        return
    from testkit.profiling import Profiler

    profiler = Profiler(path, async_mode="disabled")
    profiler.enable()
    try:
        runpy.run_module("bot", run_name="__main__", alter_sys=True)
    except SystemExit:
        pass
    finally:
        profiler.disable()
        profiler.report("python -m bot during the poll run")


if __name__ == "__main__":
    main()
