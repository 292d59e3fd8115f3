"""Indicator sets and targets edited in the office console, in use on every instance without a
restart.

An edit is a row of ``office_config_versions`` (services/office/config_edits.py): the instance
that saved it uses it at once; every other one notices it here. ``refresh`` asks the database
for the newest row id of each kind — one small query — at most once every
``OFFICE_CONFIG_CHECK_SECONDS`` (30), and only when an id changed does it read the rows again
and put them in use (the shared ``ReportingSetup.indicators``, ``BotData.targets``). It runs
before each update (``before_update``), each web request (web/base.py ``Pages.database``) and,
on a timer, for the jobs (``register``). Whoever comes while a check is running goes on with
what is in use; a check that fails (the database away) is logged and tried again an interval
later: it never stops an update. Reports keep their meaning: each points at its own frozen
``IndicatorSetVersion``.

At start (``force``) a stored version that no longer reads stops the bot like a bad file; later,
such a version (it was checked when saved) is logged and the one in use is kept.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, BaseHandler, TypeHandler

from handlers.common.context import BotContext, BotData
from services.config_files import ConfigFileError
from services.office import config_edits

log = logging.getLogger(__name__)


async def refresh(data: BotData, *, force: bool = False) -> bool:
    """Put the newest office edits in use if they changed (``force``: read them whatever the
    interval, errors raised — at start and after a save). True when something was put in use."""
    watch = data.config_watch
    now = watch.clock()
    if not force and (
        watch.busy or (watch.checked_at is not None and now - watch.checked_at < watch.interval)
    ):
        return False
    watch.busy = True
    watch.checked_at = now
    try:
        async with data.uow() as session:
            newest = await config_edits.newest_ids(session)
            if newest == watch.seen and not force:
                return False
            indicators, targets = await config_edits.stored_overrides(
                session, data.reporting.indicators
            )
    except ConfigFileError as error:
        if force:
            raise
        log.error("an office edit of the configuration does not read: %s", error.where)
        watch.seen = newest
        return False
    except Exception as error:
        if force:
            raise
        log.warning("office configuration not checked: %s", type(error).__name__)
        return False
    finally:
        watch.busy = False
    if indicators is not None:
        data.reporting.indicators = indicators
    if targets is not None:
        data.targets = targets
    if not force:
        log.info("office configuration changed elsewhere: now in use (%s)", newest)
    watch.seen = newest
    return True


async def before_update(update: Update, context: BotContext) -> None:
    """First of all (group -2): an update is answered with the office's newest edits."""
    await refresh(context.bot_data)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [TypeHandler(Update, before_update)]


async def _tick(context: BotContext) -> None:
    await refresh(context.bot_data)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Jobs (digests, reminders) between updates: checked on a timer, on every instance."""
    queue = application.job_queue
    data: BotData = application.bot_data
    if queue is None or not data.settings.scheduler_enabled:
        return
    every = max(data.config_watch.interval, 5.0)
    queue.run_repeating(_tick, interval=every, first=every, name="office-config-watch")
