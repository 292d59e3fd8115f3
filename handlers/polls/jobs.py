"""The polls' job on PTB's JobQueue, on the leading instance only (infra/leadership.py): every
``EVERY_MINUTES`` (first run at a random point, then a random extra wait) it rewrites the new
answers in a shuffled batch, sends open polls to the poll lists, and sends the results of closed
polls to those who answered. Never in quiet hours; always behind answers to people
(``bulk_sending``). Not through the outbox, whose rows hold chat ids in clear: the chat is opened
from its seal in memory for the send (services/polls/fanout.py says how exactly-once holds).
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Final

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application

from handlers.common.context import BotData
from handlers.polls.views import poll_buttons, poll_text, results_text
from infra.i18n import tr
from infra.message_split import split_text
from infra.rate_limit import bulk_sending
from services import polls

log = logging.getLogger(__name__)
_random = random.SystemRandom()

EVERY_MINUTES: Final = 20
JITTER_MINUTES: Final = 10


def _sender(data: BotData, target: str) -> tuple[object | None, str]:
    channel, _, chat_id = target.rpartition(":")
    senders = getattr(data, "senders", None) or {}
    return senders.get(channel), chat_id


def _quiet(data: BotData) -> bool:
    local = data.clock().astimezone(data.settings.zone).time()
    return data.reminders.quiet_hours.contains(local)


async def _send(data: BotData, target: str, parts: list[tuple[str, object]]) -> str:
    """ "sent", "gone" (blocked, vanished, or a channel not served: drop it) or "later"."""
    sender, chat_id = _sender(data, target)
    if sender is None:
        return "gone"
    try:
        with bulk_sending():
            for text, markup in parts:
                await sender.send_message(chat_id, text, reply_markup=markup)  # type: ignore[attr-defined]
    except (Forbidden, BadRequest):
        return "gone"
    except (RetryAfter, NetworkError):
        return "later"
    return "sent"


async def run_batch(data: BotData) -> None:
    """One batch: release answers, send polls, send results. Nothing about a worker is logged."""
    keys = data.concerns.keys
    lang = data.settings.default_language
    day = data.clock().astimezone(data.settings.zone).date()
    async with data.uow() as session:
        await polls.release_answers(session)
        # Claims of BATCH at a time, until every list has every open poll: a poll reaches
        # 10,000 workers in one run, at the pace bulk_sending allows.
        retry = False
        views: dict[int, tuple[polls.PollView, str] | None] = {}  # read once, not per message
        while due_now := await polls.take_deliveries(session, keys, day):
            for due in due_now:
                if due.poll_id not in views:
                    poll = await polls.get_poll(session, due.poll_id)
                    views[due.poll_id] = None if poll is None else (poll, poll_text(poll, lang))
                view = views[due.poll_id]
                if view is None:
                    continue
                poll, text = view
                outcome = await _send(
                    data, due.target, [(text, poll_buttons(poll, due.subscription_id, lang))]
                )
                if outcome == "gone":  # a blocked bot drops the subscription, silently
                    await polls.drop_subscription(session, due.subscription_id)
                elif outcome == "later":
                    await polls.delivery_failed(session, due.poll_id, due.subscription_id)
                    retry = True
            if retry:  # the channel is in trouble: the rest waits for the next batch
                break
        texts: dict[tuple[int, int], str] = {}
        counted: dict[int, polls.PollResults | None] = {}  # counted once per poll, not per firm
        while results_now := await polls.take_results(session, keys, day):
            for result in results_now:
                key = (result.poll_id, result.enterprise_id)
                if key not in texts:
                    if result.poll_id not in counted:
                        counted[result.poll_id] = await polls.poll_results(
                            session, result.poll_id, day, force=True
                        )
                    results = counted[result.poll_id]
                    texts[key] = (
                        results_text(results, lang, enterprise_id=result.enterprise_id)
                        if results is not None
                        else tr(lang, "The poll has closed.")
                    )
                # At most once: the seal was cleared before this send (fanout.take_results).
                await _send(data, result.target, [(part, None) for part in split_text(texts[key])])
    log.info("poll batch done")


async def poll_batch(context: object) -> None:
    data: BotData = context.bot_data  # type: ignore[attr-defined]
    if not data.leadership.is_leader or _quiet(data):
        return
    await asyncio.sleep(_random.uniform(0, JITTER_MINUTES * 60))
    if data.leadership.is_leader:
        await run_batch(data)


def register(application: Application) -> None:  # type: ignore[type-arg]
    data = application.bot_data
    queue = application.job_queue
    if queue is None or not data.settings.scheduler_enabled:
        return
    every = EVERY_MINUTES * 60
    queue.run_repeating(
        poll_batch, interval=every, first=_random.uniform(0, every), name="poll-batches"
    )
