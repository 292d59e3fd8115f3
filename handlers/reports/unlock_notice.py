"""The unit's officers hear that the office reopened a month (``admin unlock``, ``/mokhoa`` or
the office console): otherwise nobody knows the report can now be sent, and the reopened month
runs out unused. One message, button and idempotency key for all three."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.common.buttons import Report as ReportButtons
from infra.i18n import day, tr
from infra.settings import Settings
from models import utcnow
from services import access, demo, outbox
from services.outbox import Outgoing
from services.reporting import Unlocked


async def tell_officers(
    session: AsyncSession,
    unlocked: Unlocked,
    *,
    channels: Sequence[str],
    zone: tzinfo,
    now: datetime,
) -> int:
    """Each officer of the unit hears of it through the outbox, on the app they chose among
    ``channels``, with a button that opens the month. Returns how many are told."""
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
                date=day(unlocked.until.astimezone(zone).date(), target.language),
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
    await outbox.enqueue(session, items, now)
    return len(items)


async def tell_officers_of_unlock(
    session: AsyncSession,
    settings: Settings,
    unlocked: Unlocked,
    channels: Sequence[str] | None = None,
) -> int:
    """``tell_officers`` with the settings' zone and now; ``channels``: the apps served (a
    running bot's own), by default the configured ones, or the console's own chat when no app
    is configured (a demo or a test run)."""
    return await tell_officers(
        session,
        unlocked,
        channels=channels or settings.channels or [demo.DEMO_CHANNEL],
        zone=settings.zone,
        now=utcnow(),
    )
