"""The unit's officers hear that the office reopened a month (``admin unlock`` or ``/mokhoa``):
otherwise nobody knows the report can now be sent, and the reopened month runs out unused."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.common.buttons import Report as ReportButtons
from infra.i18n import day, tr
from services import access, outbox
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
