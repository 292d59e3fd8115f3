#!/usr/bin/env python3
"""The sender under test in benchmarks/fanout.py: a child process with the real Application.

    BOT_TOKEN=… TELEGRAM_API_BASE_URL=… DATABASE_URL=… APP_SECRET=… CONCERN_…=… \\
        python benchmarks/fanout_sender.py

Settings come from the environment only (``load_settings`` with no .env file, Telegram mode: a
missing secret stops it, as in production). It builds the Application with ``build_application``
exactly as ``python -m bot`` does — real HTTP to TELEGRAM_API_BASE_URL, the bot's rate limiter
(``max_retries=3``), database persistence — initialises it (``getMe``), runs ``bot.app.on_start``
(what ``run_polling`` runs as ``post_init``: the command menu, then ``recover`` puts rows a killed
process had claimed back in the queue), then calls ``scheduler.outbox_sender.drain`` back to back
until no row is pending, and exits.

Only two things differ from ``python -m bot``: there is no polling and no JobQueue (the loop takes
the place of the 2-second ``outbox-drain`` job, so the sender's own speed is measured, not the
job's cadence), and, when ``FANOUT_LIMIT`` is not 30, the limiter's overall rate is set to
that limit instead of its default of 30/s (``build_application`` hard-codes the default);
``FANOUT_LIMITER_BURST=B`` (an experiment, not production) makes its bucket B messages instead
of one second's worth.

It prints JSON lines on stdout: ``{"event": "ready", …}`` once started, ``{"event": "done", …}``
with the sums of ``drain``'s results at the end. ``FANOUT_PROFILE=FILE`` profiles the drain loop
(pyinstrument: FILE as text and FILE.html).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # testkit/script.py says why

import bot.app
from bot.app import build_application, on_start
from infra.rate_limit import AnswersFirstRateLimiter
from infra.settings import load_settings
from models import OutboxStatus
from models.db import create_engine, make_uow
from scheduler.outbox_sender import SEND_BATCH, Drained, drain

PRODUCTION_LIMIT = 30.0  # AIORateLimiter's default overall_max_rate


def emit(event: str, **values: Any) -> None:
    print(json.dumps({"event": event, **values}), flush=True)


async def unfinished(uow: Any) -> int:
    from sqlalchemy import func, select

    from models import OutboxMessage

    async with uow() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
        )
    return int(count or 0)


async def run() -> None:
    limit = float(os.environ.get("FANOUT_LIMIT", PRODUCTION_LIMIT))
    burst = float(os.environ.get("FANOUT_LIMITER_BURST") or 0)
    if limit != PRODUCTION_LIMIT or burst:
        # build_application calls AnswersFirstRateLimiter(max_retries=3): the same class, at
        # ``limit`` a second, letting through at most ``burst`` at once (default: one second's
        # worth).
        burst = burst or limit
        bot.app.__dict__["AnswersFirstRateLimiter"] = functools.partial(
            AnswersFirstRateLimiter, overall_max_rate=burst, overall_time_period=burst / limit
        )
    settings = load_settings(console=False, env_file=Path(os.devnull))
    engine = create_engine(settings.database_url)
    uow = make_uow(engine)
    application = build_application(settings, uow)
    totals = Drained()
    batches = 0
    profiler: Any = None
    async with application:  # initialize (getMe) … shutdown
        await on_start(application)
        emit("ready", limit=limit, batch=SEND_BATCH, at=time.time())
        if os.environ.get("FANOUT_PROFILE"):
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001, async_mode="enabled")
            profiler.start()
        started = time.perf_counter()
        while True:
            result = await drain(application.bot_data, application.bot)
            batches += 1
            for field in fields(Drained):
                name = field.name
                setattr(totals, name, getattr(totals, name) + getattr(result, name))
            if sum(asdict(result).values()) == 0:
                if await unfinished(uow) == 0:
                    break
                await asyncio.sleep(0.1)  # rows put back for later (a 429 past the retries)
        seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.stop()
            path = os.environ["FANOUT_PROFILE"]
            tree, html = profiler.output_text(unicode=True, color=False), profiler.output_html()
            await asyncio.to_thread(Path(path).write_text, tree, "utf-8")
            await asyncio.to_thread(Path(path + ".html").write_text, html, "utf-8")
    await engine.dispose()
    emit("done", batches=batches, seconds=seconds, **asdict(totals))


if __name__ == "__main__":
    asyncio.run(run())
