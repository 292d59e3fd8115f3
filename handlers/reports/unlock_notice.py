"""Telling a unit's officers that the office reopened one of its months: the admin CLI's
``unlock`` and the office console's both call this, so the message, its button and its
idempotency key are one."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.common.buttons import Report as ReportButtons
from infra.i18n import day, tr
from infra.settings import Settings
from models import utcnow
from services import access, demo, outbox, reporting
from services.outbox import Outgoing


async def tell_officers_of_unlock(
    session: AsyncSession,
    settings: Settings,
    unlocked: reporting.Unlocked,
    channels: list[str] | None = None,
) -> int:
    """Each officer of the unit hears of it (through the outbox, on the app they chose), with
    a button that opens the month: otherwise nobody knows the report can now be sent.
    ``channels``: the apps served (a running bot's own); by default the configured ones."""
    # The console's own chat when no app is configured (a demo or a test run).
    channels = channels or settings.channels or [demo.DEMO_CHANNEL]
    targets = await access.delivery_targets(session, unlocked.officer_ids, channels)
    period, unit_id = unlocked.period, unlocked.unit_id
    items = [
        Outgoing(
            idempotency_key=f"unlock:{unit_id}:{period.key}:{unlocked.until.isoformat()}:{pid}",
            kind="notice",
            person_id=pid,
            channel=target.channel,
            chat_id=target.chat_id,
            text=tr(
                target.language,
                "🔓 The office reopened {period} for {unit} until {date}: the report can be "
                "sent or changed now.",
                period=period.label(target.language),
                unit=unlocked.unit_name,
                date=day(unlocked.until.astimezone(settings.zone).date(), target.language),
            ),
            buttons=[
                [
                    {
                        "text": tr(target.language, "📝 Report now"),
                        "callback_data": ReportButtons.open(unit_id, period),
                    }
                ]
            ],
            reporting_unit_id=unit_id,
            period=period.key,
        )
        for pid, target in targets.items()
    ]
    await outbox.enqueue(session, items, utcnow())
    return len(items)
