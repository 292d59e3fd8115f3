"""The lock-out on a controlled clock, and what the attempt ledger keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import CodeAttempt, Invite, Role, utcnow
from services import registration
from services.access import Identity
from services.invites import create_invite, hash_code
from services.registration import LockedOut, LockoutPolicy
from testkit.env import TEST_SECRET
from testkit.org import make_tree

SECRET = TEST_SECRET.encode()
LAN = Identity("telegram", "777000111", "777000111", "Lan")
POLICY = LockoutPolicy(attempts=5)  # per Vietnam day
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


async def wrong(session: AsyncSession, when: datetime) -> None:
    with pytest.raises((registration.CodeInvalid, LockedOut)):
        await registration.check_code(session, SECRET, "WXYZ-2345", LAN, policy=POLICY, now=when)


def hanoi(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=HANOI).astimezone(UTC)


async def test_five_wrong_in_a_day_lock_until_the_next_day(session: AsyncSession) -> None:
    tree = await make_tree(session)
    created = await create_invite(
        session, SECRET, role=Role.OFFICER, actor="t", valid_days=7, unit_code=tree.union.code
    )
    for hour in (8, 10, 12, 14):
        with pytest.raises(registration.CodeInvalid) as invalid:
            await registration.check_code(
                session, SECRET, "WXYZ-2345", LAN, policy=POLICY, now=hanoi(20, hour)
            )
    assert invalid.value.tries_left == 1
    with pytest.raises(LockedOut) as locked:  # the fifth wrong code locks at once
        await registration.check_code(
            session, SECRET, "WXYZ-2345", LAN, policy=POLICY, now=hanoi(20, 16)
        )
    assert locked.value.until == hanoi(21, 0)
    with pytest.raises(LockedOut):  # even the right code waits
        await registration.check_code(
            session, SECRET, created.code, LAN, policy=POLICY, now=hanoi(20, 23, 59)
        )
    offer = await registration.check_code(
        session, SECRET, created.code, LAN, policy=POLICY, now=hanoi(21, 0, 1)
    )
    assert offer.role is Role.OFFICER and offer.scope_name == tree.union.name


async def test_wrong_codes_of_another_day_do_not_count(session: AsyncSession) -> None:
    tree = await make_tree(session)
    created = await create_invite(
        session, SECRET, role=Role.OFFICER, actor="t", valid_days=7, unit_code=tree.union.code
    )
    for day, hour in ((19, 20), (19, 22), (20, 8), (20, 9)):
        await wrong(session, hanoi(day, hour))
    offer = await registration.check_code(
        session, SECRET, created.code, LAN, policy=POLICY, now=hanoi(20, 10)
    )
    assert offer.invite_id == created.invite_id


async def test_ledger_is_bounded_and_names_nobody(session: AsyncSession) -> None:
    long_ago = utcnow() - timedelta(days=3)
    for minute in range(0, 60, 15):
        await wrong(session, long_ago + timedelta(minutes=minute))
    await wrong(session, utcnow())
    # Entries of earlier days were pruned when the new one came in.
    assert await session.scalar(select(func.count()).select_from(CodeAttempt)) == 1
    subject = await session.scalar(select(CodeAttempt.subject_hash))
    assert subject is not None and LAN.external_id not in subject


async def test_only_the_hash_of_a_code_is_stored(session: AsyncSession) -> None:
    tree = await make_tree(session)
    created = await create_invite(
        session, SECRET, role=Role.OFFICER, actor="t", valid_days=7, unit_code=tree.union.code
    )
    invite = await session.scalar(select(Invite))
    assert invite is not None
    assert invite.code_hash == hash_code(SECRET, created.code)
    assert created.code not in invite.code_hash


async def test_committee_invite_needs_a_node(session: AsyncSession) -> None:
    with pytest.raises(registration.DomainError):
        await create_invite(session, SECRET, role=Role.COMMITTEE, actor="t", valid_days=7)
