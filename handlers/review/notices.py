"""Messages of the review through the outbox: a returned (or reopened) report to its officers
with the reviewer's comment and a button to amend it; the reviewers' daily notice of what waits
for them (one message a day per reviewer, whatever the number of reports)."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import Application

from handlers.common.buttons import Report as ReportButtons
from handlers.common.context import BotContext, served_channels
from infra.i18n import tr
from services import access, outbox, review
from services.outbox import Outgoing
from services.reporting import ReportingSetup

# The daily notice goes from this hour (Vietnam time) on, once a day.
NOTICE_FROM = time(8, 0)


async def tell_officers(
    session: AsyncSession, decision: review.Decision, channels: list[str], now: datetime
) -> int:
    """Each officer of the unit hears that the report came back, with the comment."""
    targets = await access.delivery_targets(session, decision.officers, channels)
    period, unit_id = decision.period, decision.unit_id
    items = [
        Outgoing(
            idempotency_key=f"review-back:{decision.report_id}:{now.isoformat()}:{pid}",
            kind="notice",
            person_id=pid,
            channel=target.channel,
            chat_id=target.chat_id,
            text=tr(
                target.language,
                "↩ The report of {unit} for {period} came back from the level above: "
                "{comment}\nPlease amend it; the amendment goes back to the reviewer.",
                unit=decision.unit_name,
                period=period.label(target.language),
                comment=decision.comment or tr(target.language, "reopened for amendment"),
            ),
            buttons=[
                [
                    {
                        "text": tr(target.language, "✏️ Amend the report"),
                        "callback_data": ReportButtons.amend(unit_id, period),
                    }
                ]
            ],
            reporting_unit_id=unit_id,
            period=period.key,
        )
        for pid, target in targets.items()
    ]
    return await outbox.enqueue(session, items, now)


async def plan_daily_notice(
    session: AsyncSession, setup: ReportingSetup, channels: list[str], now: datetime
) -> int:
    """One message per reviewer with reports waiting, once a day from NOTICE_FROM on."""
    local = now.astimezone(setup.zone)
    if local.time() < NOTICE_FROM:
        return 0
    counts = await review.waiting_counts(session, setup)
    targets = await access.delivery_targets(session, counts, channels)
    items = [
        Outgoing(
            idempotency_key=f"review-daily:{pid}:{local.date().isoformat()}",
            kind="notice",
            person_id=pid,
            channel=target.channel,
            chat_id=target.chat_id,
            text=tr(
                target.language,
                "📋 Reports waiting for your review: {count}. Open them with /duyet.",
                count=counts[pid],
            ),
        )
        for pid, target in targets.items()
    ]
    return await outbox.enqueue(session, items, now)


async def daily_tick(context: BotContext) -> int:
    data = context.bot_data
    if not data.leadership.is_leader or not data.reporting.calendar.review:
        return 0
    async with data.uow() as session:
        return await plan_daily_notice(session, data.reporting, served_channels(data), data.clock())


def register(application: Application) -> None:  # type: ignore[type-arg]
    queue = application.job_queue
    if queue is None or not application.bot_data.settings.scheduler_enabled:
        return
    queue.run_repeating(daily_tick, interval=15 * 60, first=30, name="review-daily-notice")
