"""The in-memory per-minute limiter: slows one subject, not others, forgets, stays bounded."""

from __future__ import annotations

import pytest

from services.ratelimit import MinuteLimiter, TooManyMessages


def test_limits_one_subject_per_minute() -> None:
    limiter = MinuteLimiter(per_minute=3)
    for _ in range(3):
        limiter.hit("a", 100)
    with pytest.raises(TooManyMessages):
        limiter.hit("a", 100)
    limiter.hit("b", 100)  # another subject is not slowed
    limiter.hit("a", 101)  # the next minute starts afresh


def test_bounded_by_dropping_the_oldest() -> None:
    limiter = MinuteLimiter(per_minute=1, max_subjects=10)
    for number in range(50):
        limiter.hit(f"s{number}", 7)
    assert len(limiter) == 10
    limiter.hit("s0", 7)  # s0 was dropped long ago: counted afresh, not refused
