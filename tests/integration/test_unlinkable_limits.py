"""Daily limits that a copy of the database cannot link (issue 13): the concern and receipt
counters and the wrong-code lock-out keep one unlinkable row per use and the day only."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import DateTime, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import Base, CodeAttempt, Role
from models.migrate import downgrade, upgrade
from services import concerns, registration
from services.access import Identity
from services.daily_limits import use_hash
from services.invites import create_invite
from services.registration import LockedOut, LockoutPolicy
from testkit.concern_world import (
    CONFIG,
    KEYS,
    TODAY,
    WORKER,
    lookup,
    make_world,
    submit,
)
from testkit.db import run_sql as _run
from testkit.env import TEST_SECRET
from testkit.org import make_tree

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
SECRET = TEST_SECRET.encode()
LAN = Identity("telegram", "777000111", "777000111", "Lan")


def policy() -> LockoutPolicy:
    return LockoutPolicy(attempts=5, zone=HANOI)


async def dump(session: AsyncSession, table: str) -> list[dict[str, Any]]:
    rows = (await session.execute(text(f'SELECT * FROM "{table}"'))).mappings().all()
    return [dict(row) for row in rows]


def shape(rows: list[dict[str, Any]], day: date) -> Counter[tuple[Any, ...]]:
    """The rows of ``day`` without their hash and day: what a reader of the dump compares."""
    return Counter(
        tuple(sorted((k, str(v)) for k, v in row.items() if k not in {"subject_hash", "day"}))
        for row in rows
        if str(row["day"]) == str(day)
    )


# --- concern_limits -------------------------------------------------------------------------


async def test_a_dump_of_the_limits_does_not_link_two_concerns_of_one_worker(
    session: AsyncSession,
) -> None:
    world = await make_world(session)
    tomorrow = TODAY + timedelta(days=1)
    # Today one worker sends two concerns and checks two wrong receipts; tomorrow two workers
    # do one of each. The dump must not tell the two days apart.
    for _ in range(2):
        await submit(session, world.tree.enterprise.id, who="1001")
        with pytest.raises(concerns.ReceiptNotRecognised):
            await lookup(session, "0000 0000 0000", who="1001")
    for user in ("1002", "1003"):
        await submit(session, world.tree.enterprise.id, who=user, day=tomorrow)
        with pytest.raises(concerns.ReceiptNotRecognised):
            await lookup(session, "0000 0000 0000", who=user, day=tomorrow)

    rows = await dump(session, "concern_limits")
    assert len(rows) == 8
    assert not [row for row in rows if int(row.get("count") or 1) > 1]
    hashes = [row["subject_hash"] for row in rows]
    assert len(set(hashes)) == len(hashes), "two rows share a hash"
    assert shape(rows, TODAY) == shape(rows, tomorrow)


async def test_the_daily_limits_still_hold_with_one_row_per_use(session: AsyncSession) -> None:
    world = await make_world(session)
    for _ in range(3):
        await submit(session, world.tree.enterprise.id)
    with pytest.raises(concerns.TooManyConcerns):
        await submit(session, world.tree.enterprise.id)
    subject = KEYS.subject("telegram", WORKER, TODAY)
    with pytest.raises(concerns.TooManyConcerns):
        await concerns.ensure_can_submit(session, subject, TODAY, config=CONFIG)
    await submit(session, world.tree.enterprise.id, who="1002")  # another worker is fine
    assert len(await dump(session, "concern_limits")) == 4


# --- code_attempts --------------------------------------------------------------------------


def hanoi(hour: int, minute: int = 0, day: int = 20) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=HANOI).astimezone(UTC)


async def wrong(session: AsyncSession, when: datetime) -> None:
    with pytest.raises((registration.CodeInvalid, LockedOut)):
        await registration.check_code(session, SECRET, "WXYZ-2345", LAN, policy=policy(), now=when)


async def test_a_lock_out_made_before_seven_still_holds_after_seven(
    session: AsyncSession,
) -> None:
    """07:00 in Vietnam is 00:00 UTC: a key by the UTC date let the lock-out lapse there."""
    tree = await make_tree(session)
    created = await create_invite(
        session, SECRET, role=Role.OFFICER, actor="t", valid_days=7, unit_code=tree.union.code
    )
    for minute in (0, 5, 10, 15, 20):
        await wrong(session, hanoi(6, minute + 10))
    with pytest.raises(LockedOut) as locked:
        await registration.check_code(
            session, SECRET, created.code, LAN, policy=policy(), now=hanoi(6, 31)
        )
    assert locked.value.until == hanoi(0, day=21)
    with pytest.raises(LockedOut):
        await registration.check_code(
            session, SECRET, created.code, LAN, policy=policy(), now=hanoi(7, 30)
        )
    with pytest.raises(LockedOut):
        await registration.check_code(
            session, SECRET, created.code, LAN, policy=policy(), now=hanoi(23, 59)
        )
    # The next day in Vietnam, the code works.
    offer = await registration.check_code(
        session, SECRET, created.code, LAN, policy=policy(), now=hanoi(0, 1, day=21)
    )
    assert offer.invite_id == created.invite_id


async def test_wrong_codes_keep_the_day_only_and_nothing_links_them(
    session: AsyncSession,
) -> None:
    for hour in (6, 8, 15):
        await wrong(session, hanoi(hour, 17))
    table = Base.metadata.tables["code_attempts"]
    assert not [c.name for c in table.columns if isinstance(c.type, DateTime)]
    rows = await dump(session, "code_attempts")
    assert len(rows) == 3
    for row in rows:
        for value in row.values():
            assert not isinstance(value, datetime)
            assert "06:17" not in str(value) and "23:17" not in str(value)  # 06:17 in UTC+7
        assert str(row["day"]) == "2026-11-20"  # the Vietnam date, also for 06:17 (UTC: 19th)
    hashes = [row["subject_hash"] for row in rows]
    assert len(set(hashes)) == 3, "two wrong codes of one person share a hash"
    assert all(LAN.external_id not in h for h in hashes)


async def test_wrong_codes_of_earlier_days_are_pruned(session: AsyncSession) -> None:
    for day in (17, 18, 20):
        await wrong(session, hanoi(10, day=day))
    days = (await session.scalars(select(CodeAttempt.day))).all()
    assert sorted(str(d) for d in days) == ["2026-11-20"]
    assert await session.scalar(select(func.count()).select_from(CodeAttempt)) == 1


# --- the migration --------------------------------------------------------------------------


def test_the_migration_turns_todays_counts_into_unlinkable_uses(fresh_url: str) -> None:
    upgrade(fresh_url, "0012")
    asyncio.run(
        _run(
            fresh_url,
            "INSERT INTO concern_limits (purpose, subject_hash, day, count) VALUES "
            "('concerns', 'aaaa', '2026-11-20', 2), ('receipt_attempts', 'bbbb', '2026-11-20', 1)",
            "INSERT INTO code_attempts (subject_hash, at) VALUES ('cccc', CURRENT_TIMESTAMP)",
        )
    )
    upgrade(fresh_url)
    rows = asyncio.run(_run(fresh_url, "SELECT purpose, subject_hash, day FROM concern_limits"))
    assert sorted((p, h, str(d)) for p, h, d in rows) == sorted(
        [
            ("concerns", use_hash("aaaa", 1), "2026-11-20"),
            ("concerns", use_hash("aaaa", 2), "2026-11-20"),
            ("receipt_attempts", use_hash("bbbb", 1), "2026-11-20"),
        ]
    )
    # The old ledger's exact times are gone; the purpose is still checked by the database.
    assert asyncio.run(_run(fresh_url, "SELECT * FROM code_attempts")) == []
    with pytest.raises(IntegrityError):
        asyncio.run(
            _run(
                fresh_url,
                "INSERT INTO concern_limits (purpose, subject_hash, day) "
                "VALUES ('other', 'dddd', '2026-11-20')",
            )
        )
    downgrade(fresh_url, "0012")
    assert asyncio.run(_run(fresh_url, "SELECT * FROM concern_limits")) == []
