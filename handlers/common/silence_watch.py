"""The silence watch: a served channel that hears nothing in working hours is reported.

Every few minutes the leading instance asks, for each channel it serves, whether nothing has come
in for INBOUND_SILENCE_MINUTES of working time (services/channel_watch.py). While so, the
``bot_channel_silent`` gauge is 1 (an alert rule for the operator, docs/operations.md) and the
admins get one message a day through the outbox, saying what to check and how to fall back to
polling.
"""

from __future__ import annotations

from datetime import timedelta

from telegram.ext import Application

from handlers.common.context import BotContext
from infra.i18n import tr
from services import access, outbox
from services.channel_watch import is_silent
from services.linking import CHANNEL_NAMES
from services.outbox import Outgoing

CHECK_EVERY = 300  # seconds


async def watch_inbound(context: BotContext) -> None:
    data = context.bot_data
    minutes = data.settings.inbound_silence_minutes
    if not data.leadership.is_leader or minutes == 0:
        return
    zone = data.settings.zone
    now = data.clock().astimezone(zone)
    threshold = timedelta(minutes=minutes)
    silent = []
    for channel in data.channels:
        last = data.last_inbound.get(channel, now).astimezone(zone)
        quiet = is_silent(last, now, data.reminders.quiet_hours, threshold)
        data.metrics.channel_silent.labels(channel).set(1 if quiet else 0)
        if quiet:
            silent.append(channel)
    if not silent:
        return
    async with data.uow() as session:
        admins = await access.admin_targets(session, data.channels)
        await outbox.enqueue(
            session,
            [
                Outgoing(
                    idempotency_key=f"silent:{channel}:{now.date().isoformat()}:{admin.person_id}",
                    kind="admin",
                    person_id=admin.person_id,
                    channel=admin.channel,
                    chat_id=admin.chat_id,
                    text=tr(
                        admin.language,
                        "⚠️ The bot has received nothing on {channel} for {hours} working hours. "
                        "If people are writing and getting no answer, {channel} may have stopped "
                        "delivering to the webhook: check its webhook settings, or switch that "
                        "channel to long polling (leave its WEBHOOK_URL empty and restart), as "
                        "described in docs/operations.md.",
                        channel=CHANNEL_NAMES.get(channel, channel),
                        hours=f"{minutes / 60:g}",
                    ),
                )
                for channel in silent
                for admin in admins
            ],
            data.clock(),
        )


def register(application: Application) -> None:  # type: ignore[type-arg]
    queue = application.job_queue
    if queue is None or not application.bot_data.settings.scheduler_enabled:
        return
    queue.run_repeating(
        watch_inbound, interval=CHECK_EVERY, first=CHECK_EVERY, name="inbound-watch"
    )
