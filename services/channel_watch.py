"""Is a channel silent? A webhook that passed the platform's test call and then receives nothing
(seen with Zalo by one production integrator) looks, from inside, exactly like a quiet day. What
tells them apart is time: in working hours a province's officers and workers write every hour.

Only the working day counts (outside the quiet hours, Monday to Saturday): a night or a Sunday
without messages is not news. The moment of the last inbound event lives in the process's memory
only (it may be a worker's): it is never stored, logged or shown; what leaves the process is
"silent" or "not silent".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.reminders import QuietHours

SUNDAY = 6


def working_now(local: datetime, quiet_hours: QuietHours) -> bool:
    return local.weekday() != SUNDAY and not quiet_hours.contains(local.time())


def is_silent(
    last_inbound: datetime, now: datetime, quiet_hours: QuietHours, threshold: timedelta
) -> bool:
    """``now`` and ``last_inbound`` in the same (local) zone. Silent: in working hours, and no
    inbound event since ``threshold`` of working time — counted from this working day's start,
    so a quiet night does not count, and the alarm cannot ring before ``threshold`` has passed
    since the day began."""
    if threshold <= timedelta(0) or not working_now(now, quiet_hours):
        return False
    day_start = now.replace(
        hour=quiet_hours.end.hour, minute=quiet_hours.end.minute, second=0, microsecond=0
    )
    if day_start > now:  # quiet hours end tomorrow (a window that does not cross midnight)
        day_start -= timedelta(days=1)
    return now - max(last_inbound, day_start) >= threshold
