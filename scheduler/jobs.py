"""The timetable: every scheduled job of the bot, registered in one place.

The features own their jobs (the concern notices, pushes and escalation in
handlers/concerns/jobs.py, the report reminders in handlers/reports/reminders.py, the silence
watch in handlers/common/silence_watch.py); the scheduler owns the outbox sender and the
retention job. Each ``register`` puts its jobs on PTB's JobQueue; the jobs themselves act only on
the leading instance (infra/leadership.py).
"""

from __future__ import annotations

from telegram.ext import Application

from handlers.common import office_config, silence_watch
from handlers.concerns import jobs as concern_jobs
from handlers.documents import sending as document_sending
from handlers.polls import jobs as poll_jobs
from handlers.reports import reminders as report_reminders
from handlers.review import notices as review_notices
from scheduler import outbox_sender, retention


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Every job, on the Application's JobQueue (one Application per process runs them)."""
    concern_jobs.register(application)
    outbox_sender.register(application)
    report_reminders.register(application)
    review_notices.register(application)
    document_sending.register(application)
    silence_watch.register(application)
    retention.register(application)
    poll_jobs.register(application)
    office_config.register(application)  # every instance: edits made on the other one


async def on_start(application: Application) -> None:  # type: ignore[type-arg]
    """Before polling: messages a dead process had claimed go back to the outbox queue."""
    await outbox_sender.recover_on_start(application)
