"""The outbox sender: drain the outbox through the Bot API, every kind of scheduled message.

It runs on PTB's JobQueue, on the leading instance only (``leadership_tick``). The features plan
their messages into the outbox (reminders: handlers/reports/reminders.py), and the sender is the
only place that talks to the Bot API for scheduled messages; a kind whose content is built only
when it goes out is sent by its feature (``SENDERS``: digests). It waits out RetryAfter, marks a
recipient who blocked the bot unreachable and tells the admins, and retries network errors later.
A message claimed but not confirmed when the process died is sent again after a restart (at most
the batch in flight); none is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application

from handlers.common.command_menu import send_menu
from handlers.common.context import BotContext, BotData, served_channels
from handlers.digests.sending import send_digest
from handlers.documents import sending as document_sending
from handlers.reports import reminders as report_reminders
from infra.i18n import tr
from infra.rate_limit import bulk_sending
from models import OutboxMessage, OutboxStatus
from models.db import is_unreachable
from services import access, command_menus, outbox
from services.outbox import Outgoing

log = logging.getLogger(__name__)

SEND_BATCH = 30  # about one second of Telegram's bulk limit
MAX_ATTEMPTS = 8

# Kinds whose message its feature builds when it goes out; every other kind is the stored text
# (and buttons), sent as it is.
SENDERS: dict[str, Callable[[BotData, Any, AsyncSession, OutboxMessage], Awaitable[None]]] = {
    "digest": send_digest,
    document_sending.KIND: document_sending.send_document,
    command_menus.KIND: send_menu,  # a chat's "/" menu from the person's roles now
}
# Kinds dropped unsent when what they ask for is done already (a report sent meanwhile).
MOOT: dict[str, Callable[[AsyncSession, OutboxMessage], Awaitable[bool]]] = {
    "reminder": report_reminders.already_reported,
}


@dataclass
class Drained:
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    unreachable: int = 0
    failed: int = 0


def _unsettled(data: BotData) -> dict[int, OutboxStatus]:
    """Messages this process claimed whose outcome could not be written, because the database
    went away mid-batch: SENT when the Bot API took them, PENDING when they were not tried.
    Without this they would stay "sending" until a restart (``recover_on_start``)."""
    return data.outbox_unsettled


async def _settle(data: BotData) -> None:
    unsettled = _unsettled(data)
    if not unsettled:
        return
    async with data.uow() as session:
        for message_id, status in list(unsettled.items()):
            await outbox.mark(session, message_id, status, data.clock())
            del unsettled[message_id]
    log.info("outbox: settled messages left open by a database failure")


async def drain(data: BotData, bot: object, *, limit: int = SEND_BATCH) -> Drained:
    """Send one batch of due messages. ``bot`` is the Application's bot (rate-limited)."""
    from telegram import Bot

    assert isinstance(bot, Bot)
    result = Drained()
    await _settle(data)
    now = data.clock()
    async with data.uow() as session:
        batch = await outbox.claim(session, now, limit)
    for index, message in enumerate(batch):
        # Each message goes out on its recipient's channel (Telegram, Zalo…).
        sender = data.senders.get(message.channel, bot)
        delivered = False
        try:
            async with data.uow() as session:
                moot = MOOT.get(message.kind)
                if moot is not None and await moot(session, message):
                    await outbox.mark(session, message.id, OutboxStatus.SKIPPED, data.clock())
                    result.skipped += 1
                    continue
                markup = None
                if message.buttons:
                    markup = InlineKeyboardMarkup(
                        [
                            [
                                InlineKeyboardButton(b["text"], callback_data=b["callback_data"])
                                for b in row
                            ]
                            for row in message.buttons
                        ]
                    )
                try:
                    send = SENDERS.get(message.kind)
                    if send is not None:
                        await send(data, sender, session, message)
                    else:
                        await sender.send_message(
                            message.chat_id, message.text, reply_markup=markup
                        )
                    delivered = True
                except RetryAfter as wait:
                    delay = _retry_delay(wait)
                    await outbox.mark(
                        session,
                        message.id,
                        OutboxStatus.PENDING,
                        data.clock(),
                        error="429",
                        retry_in=delay,
                    )
                    result.retried += 1
                except Forbidden:
                    await outbox.mark(
                        session, message.id, OutboxStatus.UNREACHABLE, data.clock(), error="blocked"
                    )
                    await _unreachable(session, data, message.channel, message.chat_id)
                    result.unreachable += 1
                except BadRequest as error:
                    await outbox.mark(
                        session, message.id, OutboxStatus.FAILED, data.clock(), error=str(error)
                    )
                    result.failed += 1
                except NetworkError as error:  # includes TimedOut: try again later
                    give_up = message.attempts >= MAX_ATTEMPTS
                    await outbox.mark(
                        session,
                        message.id,
                        OutboxStatus.FAILED,
                        data.clock(),
                        error=str(error),
                        retry_in=None if give_up else timedelta(seconds=30 * message.attempts),
                    )
                    result.failed += give_up
                    result.retried += not give_up
                else:
                    await outbox.mark(session, message.id, OutboxStatus.SENT, data.clock())
                    result.sent += 1
        except Exception as error:
            # Most likely the database went away: the outcome of this message and the rest of
            # the batch are written by the next drain that reaches the database.
            unsettled = _unsettled(data)
            if delivered:
                unsettled[message.id] = OutboxStatus.SENT
            else:
                unsettled[message.id] = (
                    OutboxStatus.PENDING if is_unreachable(error) else OutboxStatus.FAILED
                )
            unsettled.update({later.id: OutboxStatus.PENDING for later in batch[index + 1 :]})
            raise
    return result


def _retry_delay(wait: RetryAfter) -> timedelta:
    # PTB 22 warns that retry_after becomes a timedelta; read it without tripping the warning.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seconds = wait.retry_after
    return seconds if isinstance(seconds, timedelta) else timedelta(seconds=seconds)


async def _unreachable(session: Any, data: BotData, channel: str, chat_id: str) -> None:
    """Mark the account unreachable and tell the admins (through the outbox, once)."""
    blocked = await access.mark_unreachable(session, channel, chat_id, served_channels(data))
    if blocked is None:
        return
    await outbox.enqueue(
        session,
        [
            Outgoing(
                idempotency_key=f"unreachable:{blocked.account_id}:{admin.person_id}",
                kind="admin",
                person_id=admin.person_id,
                channel=admin.channel,
                chat_id=admin.chat_id,
                text=tr(
                    admin.language,
                    "{name} has blocked the bot: reminders and digests no longer reach "
                    "them. Please contact them another way.",
                    name=blocked.display_name,
                ),
            )
            for admin in blocked.admins
        ],
        data.clock(),
    )


async def drain_tick(context: BotContext) -> None:
    """Send while full batches come back (the rate limiter paces it); one batch per tick would
    cap the rate at 15 messages/s, half of Telegram's bulk limit. APScheduler skips a tick that
    would overlap a running one. Everything it sends is bulk: it waits behind answers to people
    (infra/rate_limit.py)."""
    with bulk_sending():
        await _drain_while_full(context)


async def _drain_while_full(context: BotContext) -> None:
    while context.bot_data.leadership.is_leader:
        result = await drain(context.bot_data, context.bot)
        if (
            result.sent + result.skipped + result.retried + result.unreachable + result.failed
            < SEND_BATCH
        ):
            break


async def leadership_tick(context: BotContext) -> None:
    """Keep the lead, or take it when the leader is gone (a standby within seconds)."""
    await context.bot_data.leadership.try_acquire()


async def recover_on_start(application: Application) -> None:  # type: ignore[type-arg]
    """Messages claimed by a process that died go back to the queue."""
    async with application.bot_data.uow() as session:
        await outbox.recover(session)


def register(application: Application) -> None:  # type: ignore[type-arg]
    queue = application.job_queue
    if queue is None or not application.bot_data.settings.scheduler_enabled:
        return
    queue.run_repeating(leadership_tick, interval=5, first=0, name="scheduler-leadership")
    queue.run_repeating(drain_tick, interval=2, first=3, name="outbox-drain")
