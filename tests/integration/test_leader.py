"""Only one instance leads the scheduler; when it dies, a standby takes over."""

from __future__ import annotations

import pytest

from scheduler.leader import Leadership


async def test_embedded_sqlite_always_leads(tmp_path: object) -> None:
    leader = Leadership("sqlite+aiosqlite:///:memory:")
    assert leader.is_leader and await leader.try_acquire()


async def test_one_leader_and_a_standby_that_takes_over(database_url: str, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip(
            "two instances share one database only on PostgreSQL (the SQLite run "
            "checks the embedded case above)"
        )
    first, second = Leadership(database_url), Leadership(database_url)
    try:
        assert await first.try_acquire() is True
        assert await second.try_acquire() is False
        assert await first.try_acquire() is True  # keeps it
        assert await second.try_acquire() is False
        # The leader dies: its connection closes and PostgreSQL drops the lock.
        await first.release()
        assert await second.try_acquire() is True
        assert second.is_leader and not first.is_leader
        assert await first.try_acquire() is False  # the old leader comes back as a standby
    finally:
        await first.release()
        await second.release()
