"""Concern jobs on PTB's JobQueue: new-case notices in batches, and automatic escalation.

Notices go out only at the configured times of day (08:00 and 14:00 by default), never right
after a submission: a notice a minute after a worker pressed "send" would tell the officers when
it was written. Each says how many new cases wait per enterprise, nothing more.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import time

from telegram.error import TelegramError
from telegram.ext import Application

from handlers.context import BotContext
from infra.i18n import tr
from infra.rate_limit import bulk_sending
from services import access, concerns, outbox
from services.outbox import Outgoing

log = logging.getLogger(__name__)


async def announce_new_concerns(context: BotContext) -> None:
    """Tell each officer how many new (or escalated) cases wait, then release them all."""
    data = context.bot_data
    if not data.leadership.is_leader:
        return
    async with data.uow() as session:
        notices = await concerns.pending_notices(session)
        # One account per officer: their chosen channel's when this process serves it.
        channels = list(getattr(data, "channels", None) or [data.channel])
        targets = await access.chat_targets(session, [n.person_id for n in notices], channels)
        by_person = {t.person_id: t for t in targets}
        elsewhere: list[Outgoing] = []
        for notice in notices:
            target = by_person.get(notice.person_id)
            if target is None:
                continue
            lang = target.language
            lines = [
                tr(
                    lang,
                    "• {enterprise}: {new} new, {escalated} passed on",
                    enterprise=line.enterprise_name,
                    new=line.new_cases,
                    escalated=line.escalated_cases,
                )
                for line in notice.lines
            ]
            text = tr(
                lang,
                "Workers' concerns are waiting:\n{lines}\n\nType /hopthu to read and answer them.",
                lines="\n".join(lines),
            )
            senders = getattr(data, "senders", None) or {data.channel: context.bot}
            sender = senders.get(target.channel)
            if sender is None:
                # No bot of this process speaks that channel: the outbox keeps the channel.
                batch = hashlib.sha256(",".join(sorted(notice.concern_ids)).encode()).hexdigest()
                elsewhere.append(
                    Outgoing(
                        idempotency_key=f"concern-notice:{target.person_id}:{batch[:32]}",
                        kind="notice",
                        person_id=target.person_id,
                        channel=target.channel,
                        chat_id=target.chat_id,
                        text=text,
                    )
                )
                continue
            try:
                with bulk_sending():  # behind answers to people (infra/rate_limit.py)
                    await sender.send_message(target.chat_id, text)
            except TelegramError:
                # One unreachable officer must not stop the others' notices; the cases are
                # released below anyway and wait in /hopthu.
                log.warning("a concern notice could not be delivered")
        await outbox.enqueue(session, elsewhere, data.clock())
        # Every pending case, announced or not, becomes visible in /hopthu and counts in the
        # committee's digests now, not before: officers learn of new cases only at these times
        # of day. One transaction rewrites the batch's rows in a random order (services/
        # concerns.py ``_release``), so their order on disk no longer says which came first.
        await concerns.release_pending(session)


async def escalate_overdue(context: BotContext) -> None:
    """Cases nobody answered in time go to the zone union by themselves."""
    data = context.bot_data
    if not data.leadership.is_leader:
        return
    today = data.clock().astimezone(data.settings.zone).date()
    async with data.uow() as session:
        await concerns.escalate_overdue(session, today, config=data.concerns.config)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Daily jobs in Asia/Ho_Chi_Minh (or the configured zone)."""
    data = application.bot_data
    queue = application.job_queue
    if queue is None:
        return
    zone = data.settings.zone
    for at in data.concerns.config.notice_times:
        queue.run_daily(
            announce_new_concerns, time=at.replace(tzinfo=zone), name=f"concern-notices-{at:%H%M}"
        )
    queue.run_daily(escalate_overdue, time=time(7, 30, tzinfo=zone), name="concern-escalation")
