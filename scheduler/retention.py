"""Retention: rows that must be gone, gone from the database files too.

Every hour the rate-limit counters that can never match again are deleted (they are also pruned
whenever a worker writes, but a quiet bot may go days without one), and so are the digests'
kept figures of months older than three years (services/digests/month_cache.py); then SQLite's
write-ahead log is checkpointed and truncated: a deleted row otherwise stays readable in
``bot.db-wal``. The main file keeps no copy because every connection sets ``secure_delete``
(models/db.py).
PostgreSQL keeps dead rows until a rewrite: docs/operations.md says what to schedule.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import Application

from handlers.common.context import BotContext, today
from models.db import checkpoint_wal
from services import concerns, digests

log = logging.getLogger(__name__)

INTERVAL = timedelta(hours=1)


async def prune(context: BotContext) -> None:
    data = context.bot_data
    if not data.leadership.is_leader:
        return
    async with data.uow() as session:
        await concerns.prune_limits(session, today(data))
        await digests.prune_kept(session, today(data))
        # Whatever was deleted since the last run (these counters, expired invite attempts,
        # handled update ids, web sessions...): out of SQLite's log as well.
        if not await checkpoint_wal(session):
            log.info("the write-ahead log was busy; it is truncated at the next run")


def register(application: Application) -> None:  # type: ignore[type-arg]
    queue = application.job_queue
    if queue is None:
        return
    queue.run_repeating(prune, interval=INTERVAL, first=timedelta(minutes=1), name="retention")
