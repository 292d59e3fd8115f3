"""A channel is silent only when working time passes with nothing inbound."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.channel_watch import is_silent
from services.reminders import QuietHours

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
QUIET = QuietHours(start=time(21), end=time(7))
FOUR_HOURS = timedelta(hours=4)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=HANOI)  # 1 December 2026 is a Tuesday


@pytest.mark.parametrize(
    ("last", "now", "silent"),
    [
        (at(3, 8), at(3, 12, 1), True),  # four working hours without a message
        (at(3, 8), at(3, 11, 59), False),
        (at(2, 20), at(3, 10), False),  # the night does not count: 3 hours since 07:00
        (at(2, 20), at(3, 11), True),  # ... 4 hours since 07:00
        (at(3, 8), at(3, 22), False),  # quiet hours: no alarm
        (at(5, 15), at(6, 15), False),  # Sunday 6 December: nobody is expected to write
        (at(5, 15), at(7, 11, 30), True),  # Monday, 4.5 hours into the day
    ],
)
def test_silence_counts_working_time_only(last: datetime, now: datetime, silent: bool) -> None:
    assert is_silent(last, now, QUIET, FOUR_HOURS) is silent


def test_a_zero_threshold_turns_the_watch_off() -> None:
    assert not is_silent(at(1, 8), at(3, 12), QUIET, timedelta(0))
