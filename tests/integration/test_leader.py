"""Only one instance leads the scheduler; when it dies, a standby takes over."""

from __future__ import annotations

import pytest

from infra.leadership import Leadership


async def test_embedded_sqlite_always_leads(tmp_path: object) -> None:
    leader = Leadership("sqlite+aiosqlite:///:memory:")
    assert leader.is_leader and await leader.try_acquire()


@pytest.mark.postgresql  # the SQLite run checks the embedded case above
async def test_one_leader_and_a_standby_that_takes_over(database_url: str) -> None:
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


@pytest.mark.postgresql
async def test_a_leader_replaced_while_the_database_was_away_steps_down(database_url: str) -> None:
    from sqlalchemy import text

    from infra.leadership import LOCK_KEY
    from models.db import create_engine

    first, second = Leadership(database_url), Leadership(database_url)
    admin = create_engine(database_url)
    try:
        assert await first.try_acquire() is True
        assert not first.fenced
        # The database drops the leader's session (a restart, a network cut): the lock goes.
        async with admin.begin() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND objid = :key"
                ),
                {"key": LOCK_KEY},
            )
        assert await second.try_acquire() is True
        # The old leader notices, cannot take the lock back, and must stop serving.
        assert await first.try_acquire() is False
        assert first.fenced and not first.is_leader
        assert not second.fenced
        # Had nobody taken over, it would simply have led again.
        await second.release()
        assert await first.try_acquire() is True
    finally:
        await first.release()
        await second.release()
        await admin.dispose()


LEADER_PROCESS = """
import asyncio, sys
from infra.leadership import Leadership

async def main():
    leader = Leadership(sys.argv[1])
    print("leader" if await leader.try_acquire() else "standby", flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


@pytest.mark.postgresql
async def test_the_leader_is_killed_and_the_standby_takes_over_within_30_seconds(
    database_url: str,
) -> None:
    import asyncio
    import signal
    import sys
    import time

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LEADER_PROCESS, database_url, stdout=asyncio.subprocess.PIPE
    )
    standby = Leadership(database_url)
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        assert line.decode().strip() == "leader"
        assert await standby.try_acquire() is False  # no second leader while it lives
        process.send_signal(signal.SIGKILL)  # no clean-up of any kind
        await process.wait()
        killed = time.monotonic()
        while not await standby.try_acquire():
            assert time.monotonic() - killed < 30, "the standby did not take over in 30 s"
            await asyncio.sleep(0.5)
        assert standby.is_leader
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await standby.release()
