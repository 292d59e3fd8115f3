"""Concern jobs on PTB's JobQueue: new-case notices in batches, pushed answers in batches,
automatic escalation, and the expiry of push seals. Only the leading instance runs them
(infra/leadership.py).

Notices go out only at the configured times of day (08:00 and 14:00 by default), never right
after a submission: a notice a minute after a worker pressed "send" would tell the officers when
it was written. Each says how many new cases wait per enterprise, nothing more.

Pushed answers go out the same way, never in the officer's request: sent (or failing) there,
they made "answer sent" slower for workers who had opted in, and the worker's phone buzzed the
moment the officer pressed send, for anyone watching the room.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from datetime import time

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from handlers.common.context import BotContext, BotData, served_channels, today
from infra.i18n import tr
from infra.message_split import split_text
from infra.rate_limit import bulk_sending
from services import access, concerns, outbox
from services.concerns import ConcernConfig, PushDue
from services.outbox import Outgoing

log = logging.getLogger(__name__)
_random = random.SystemRandom()  # when a batch goes out must not be predictable from earlier ones


async def announce_new_concerns(context: BotContext) -> None:
    """Tell each officer how many new (or escalated) cases wait, then release them all."""
    data = context.bot_data
    if not data.leadership.is_leader:
        return
    async with data.uow() as session:
        notices = await concerns.pending_notices(session)
        # One account per officer: their chosen channel's when this process serves it.
        channels = served_channels(data)
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
    async with data.uow() as session:
        await concerns.escalate_overdue(session, today(data), config=data.concerns.config)


def batch_delay(config: ConcernConfig) -> float:
    """Seconds a push batch waits before it goes out: uniform in [0, push_jitter_minutes)."""
    return _random.uniform(0, config.push_jitter_minutes * 60)


async def push_answers(context: BotContext) -> None:
    """Every ``push_every_minutes``: deliver the answers waiting for a push, as one batch.

    Why a batch with a random wait rather than right away: the officer's request must take the
    same time and show the same screen whether or not the worker opted in, so it only marks the
    answer (services/concerns/replies.py ``reply``). The batch takes the answers waiting when it
    starts, then waits a random extra of up to ``push_jitter_minutes``. An answer reaches the
    worker together with the batch's other answers, at most ``push_every_minutes +
    push_jitter_minutes`` after it was written (15 minutes on average with the defaults, 20
    and 10), and the batches' phase is random too (``register``): someone watching the room
    when the officer presses send sees no phone buzz, and cannot wait for a batch at a known
    minute either.
    """
    data = context.bot_data
    if not data.leadership.is_leader:
        return
    async with data.uow() as session:
        waiting = await concerns.pending_pushes(session)
    if not waiting:
        return
    await asyncio.sleep(batch_delay(data.concerns.config))
    if data.leadership.is_leader:  # another instance may have taken over meanwhile
        await deliver_pushes(data, waiting)


async def deliver_pushes(data: BotData, reply_ids: list[str] | None = None) -> None:
    """Deliver these answers (None: all that wait now) to the workers who asked for them.

    At least once, never lost: an answer is marked done only after the Bot API took it. If the
    process dies between the two (or a multi-part answer fails after its first part), the next
    batch sends it again; the worker may read it twice. A blocked bot, a chat that is gone or a
    seal that no longer opens is logged as one line without ids and dropped: /kiemtra still
    shows the answer. Network trouble leaves it for the next batch.

    Not through the outbox (services/outbox.py): its rows hold the chat id and the text in
    clear, and stay after sending. Here the chat id exists only sealed in ``concerns`` and
    opened in memory for the send; the text only encrypted.
    """
    async with data.uow() as session:
        if reply_ids is None:
            reply_ids = await concerns.pending_pushes(session)
        batch = await concerns.take_pushes(session, data.concerns.keys, reply_ids)
        for _ in range(batch.unopened):
            log.warning("a pushed answer could not be delivered")
        for due in batch.due:
            if await _push(data, due):
                await concerns.push_done(session, due.reply_id)
        # Cases closed while their last answer waited for this batch lose their seal now.
        await concerns.forget_closed_seals(session)


async def _push(data: BotData, due: PushDue) -> bool:
    """Send one answer; True when it is settled (delivered or dropped), False to try again in
    the next batch. Nothing about the worker reaches the log: not the chat, not the error."""
    channel, _, chat_id = due.target.rpartition(":")
    sender = data.senders.get(channel or "telegram")  # unprefixed: sealed by an older version
    if sender is None:  # the worker's channel is not served any more: /kiemtra shows it
        log.warning("a pushed answer could not be delivered")
        return True
    text = tr(
        data.settings.default_language,
        "The union answered your concern {case}:\n\n{text}\n\n— {organisation}",
        case=due.case_code,
        text=due.reply.text,
        organisation=due.reply.signed_as,
    )
    try:
        with bulk_sending():  # behind answers to people (infra/rate_limit.py)
            for part in split_text(text):
                await sender.send_message(chat_id, part)
    except (Forbidden, BadRequest):  # blocked, or the chat is gone: trying again cannot help
        log.warning("a pushed answer could not be delivered")
        return True
    except (RetryAfter, NetworkError):  # BadRequest is a NetworkError too: caught above
        log.warning("a pushed answer is left for the next batch")
        return False
    except Exception:  # anything else: dropped, and its details are not logged
        log.warning("a pushed answer could not be delivered")
        return True
    return True


async def expire_push_seals(context: BotContext) -> None:
    """Daily: seals of answered cases nobody touched for ``push_seal_days`` are deleted."""
    data = context.bot_data
    if not data.leadership.is_leader:
        return
    async with data.uow() as session:
        await concerns.expire_push_seals(session, today(data), config=data.concerns.config)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Daily jobs in Asia/Ho_Chi_Minh (or the configured zone), and the push batches."""
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
    queue.run_daily(expire_push_seals, time=time(3, 0, tzinfo=zone), name="concern-push-seals")
    if not data.settings.scheduler_enabled:
        return  # scheduled sending is off (tests run the batch by hand); so are the pushes
    every = data.concerns.config.push_every_minutes * 60
    # First batch at a random point of the period: batches are not at :00, :20, :40.
    queue.run_repeating(
        push_answers, interval=every, first=_random.uniform(0, every), name="concern-pushes"
    )
