"""Reminder jobs: plan what is due into the outbox, and drain the outbox through the Bot API.

Both run on PTB's JobQueue. Planning is idempotent (services/reminders.py + outbox keys), and the
sender is the only place that talks to the Bot API for scheduled messages: it waits out
RetryAfter, marks a recipient who blocked the bot unreachable and tells the admins, and retries
network errors later. A message claimed but not confirmed when the process died is sent again
after a restart (at most the batch in flight); none is lost.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application

from handlers.context import BotContext, BotData
from infra.i18n import day, plural, tr
from infra.rate_limit import bulk_sending
from models import OutboxStatus, Person
from models.db import is_unreachable
from services import access, outbox, reminders, reporting
from services.errors import N_
from services.outbox import Outgoing

log = logging.getLogger(__name__)

SEND_BATCH = 30  # about one second of Telegram's bulk limit
MAX_ATTEMPTS = 8


def served_channels(data: BotData) -> list[str]:
    """The channels this process serves: each person's scheduled messages go to exactly one
    account of theirs among these (services/access.py pick_account)."""
    return list(getattr(data, "channels", None) or [data.channel])


def _when(days_left: int, lang: str) -> str:
    if days_left > 0:
        return plural(
            lang, days_left, N_("{days} day left"), N_("{days} days left"), days=days_left
        )
    if days_left == 0:
        return tr(lang, "due today")
    return plural(
        lang, -days_left, N_("overdue by {days} day"), N_("overdue by {days} days"), days=-days_left
    )


def render(
    due: list[reminders.ReminderDue], escalations: list[reminders.EscalationDue]
) -> list[Outgoing]:
    items = []
    for r in due:
        lang = r.recipient.language
        text = tr(
            lang,
            "⏰ Reminder: {unit} has not sent its report for {period}. Due {due} ({when}).",
            unit=r.unit_name,
            period=r.period.label(lang),
            due=day(r.due, lang),
            when=_when(r.days_left, lang),
        )
        button = {
            "text": tr(lang, "📝 Report now"),
            "callback_data": f"rpt:v1:open:{r.unit_id}:{r.period.key}",
        }
        items.append(
            Outgoing(
                idempotency_key=f"reminder:{r.recipient.person_id}:{r.unit_id}:{r.period.key}:{r.stage}",
                kind="reminder",
                person_id=r.recipient.person_id,
                channel=r.recipient.channel,
                chat_id=r.recipient.chat_id,
                text=text,
                buttons=[[button]],
                reporting_unit_id=r.unit_id,
                period=r.period.key,
                not_before=r.not_before,
            )
        )
    for e in escalations:
        lang = e.recipient.language
        text = plural(
            lang,
            len(e.missing),
            N_("⚠️ {zone}: {count} unit has not sent its report for {period} (due {due}):\n{units}"),
            N_(
                "⚠️ {zone}: {count} units have not sent their report for {period} (due {due}):"
                "\n{units}"
            ),
            zone=e.zone_name,
            count=len(e.missing),
            period=e.period.label(lang),
            due=day(e.due, lang),
            units="\n".join(f"• {name}" for name in e.missing),
        )
        items.append(
            Outgoing(
                idempotency_key=f"escalation:{e.recipient.person_id}:{e.period.key}",
                kind="escalation",
                person_id=e.recipient.person_id,
                channel=e.recipient.channel,
                chat_id=e.recipient.chat_id,
                text=text,
                period=e.period.key,
                not_before=e.not_before,
            )
        )
    return items


async def plan_tick(context: BotContext) -> int:
    """Put what is due now into the outbox; the number of new messages."""
    data = context.bot_data
    if not data.leadership.is_leader:
        return 0
    now = data.clock()
    channels = served_channels(data)
    async with data.uow() as session:
        due, escalations = await reminders.plan(
            session, data.reporting, data.reminders, now, channels
        )
        digests = await reminders.plan_digests(
            session, data.reporting, data.reminders, now, channels
        )
        items = render(due, escalations) + [
            Outgoing(
                idempotency_key=f"digest:{d.recipient.person_id}:{d.node_id}:{d.period_key}",
                kind="digest",
                person_id=d.recipient.person_id,
                channel=d.recipient.channel,
                chat_id=d.recipient.chat_id,
                text="",
                org_node_id=d.node_id,
                period=d.period_key,
                not_before=d.not_before,
            )
            for d in digests
        ]
        return await outbox.enqueue(session, items, now)


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
                if (
                    message.kind == "reminder"
                    and message.reporting_unit_id is not None
                    and message.period is not None
                    and await reporting.has_reported(
                        session, message.reporting_unit_id, message.period
                    )
                ):
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
                    if message.kind == "digest":
                        await _send_digest(data, sender, session, message)
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


async def _send_digest(data: BotData, bot: Any, session: Any, message: Any) -> None:
    """A committee digest, built when it is sent (current figures): text, chart, Excel."""
    from handlers.digest_render import file_name, has_chart, render_chart, render_excel, render_text
    from infra.rendering import off_the_loop
    from services.digests import DigestPeriod, build_digest, unit_table

    person = await session.get(Person, message.person_id)
    lang = person.language if person else data.settings.default_language
    period = DigestPeriod.parse(message.period)
    today = data.clock().astimezone(data.settings.zone).date()
    digest = await build_digest(
        session,
        node_id=message.org_node_id,
        period=period,
        setup=data.reporting,
        targets=data.targets,
        concern_config=data.concerns.config,
        today=today,
    )
    table = await unit_table(
        session, node_id=message.org_node_id, period=period, setup=data.reporting, today=today
    )
    for part in render_text(digest, lang):
        await bot.send_message(message.chat_id, part)
    with tempfile.TemporaryDirectory() as folder:
        # Rendered in a worker thread: a chart is half a second of CPU nobody else should wait.
        if has_chart(digest):
            chart_path = Path(folder) / file_name(digest.scope.name, period, "png")
            chart = await off_the_loop(render_chart, digest, chart_path, lang)
            with chart.open("rb") as picture:
                await bot.send_photo(message.chat_id, picture)
        workbook = await off_the_loop(
            render_excel,
            digest,
            table,
            Path(folder) / file_name(digest.scope.name, period, "xlsx"),
            lang,
        )
        with workbook.open("rb") as document:
            await bot.send_document(message.chat_id, document, filename=workbook.name)


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
    queue.run_repeating(plan_tick, interval=60, first=5, name="reminders-plan")
    queue.run_repeating(drain_tick, interval=2, first=3, name="outbox-drain")
