"""Report reminders: what is due is planned into the outbox, in each recipient's language.

Planning runs on PTB's JobQueue on the leading instance only, and is idempotent
(services/reminders.py + outbox keys): the outbox sender (scheduler/outbox_sender.py) sends what
is planned here. The committee's scheduled digests are planned in the same pass; their content is
built only when they are sent (handlers/digests/sending.py).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application

from handlers.common.buttons import Report as Buttons
from handlers.common.context import BotContext, served_channels
from infra.i18n import day, plural, tr
from models import OutboxMessage
from services import outbox, reminders, reporting
from services.errors import N_
from services.outbox import Outgoing


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
            "callback_data": Buttons.open(r.unit_id, r.period),
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


async def already_reported(session: AsyncSession, message: OutboxMessage) -> bool:
    """A reminder whose report went in after it was planned is not sent (the outbox sender asks
    just before sending)."""
    return (
        message.reporting_unit_id is not None
        and message.period is not None
        and await reporting.has_reported(session, message.reporting_unit_id, message.period)
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    queue = application.job_queue
    if queue is None or not application.bot_data.settings.scheduler_enabled:
        return
    queue.run_repeating(plan_tick, interval=60, first=5, name="reminders-plan")
