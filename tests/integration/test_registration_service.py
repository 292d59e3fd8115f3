"""The lock-out on a controlled clock, and what the attempt ledger keeps."""

from __future__ import annotations

from datetime import timedelta

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
POLICY = LockoutPolicy(attempts=5, window=timedelta(minutes=10), lockout=timedelta(minutes=30))


async def wrong(session: AsyncSession, when: object) -> None:
    with pytest.raises((registration.CodeInvalid, LockedOut)):
        await registration.check_code(session, SECRET, "WXYZ-2345", LAN, policy=POLICY, now=when)  # type: ignore[arg-type]


async def test_five_wrong_within_ten_minutes_lock_for_thirty(session: AsyncSession) -> None:
    tree = await make_tree(session)
    created = await create_invite(
        session, SECRET, role=Role.OFFICER, actor="t", valid_days=7, unit_code=tree.union.code
    )
    start = utcnow()
    for minute in (0, 2, 4, 6, 8):
        await wrong(session, start + timedelta(minutes=minute))
    with pytest.raises(LockedOut) as locked:
        await registration.check_code(
            session, SECRET, created.code, LAN, policy=POLICY, now=start + timedelta(minutes=9)
        )
    assert locked.value.until == start + timedelta(minutes=38)
    offer = await registration.check_code(
        session, SECRET, created.code, LAN, policy=POLICY, now=start + timedelta(minutes=39)
    )
    assert offer.role is Role.OFFICER and offer.scope_name == tree.union.name


async def test_five_wrong_spread_over_more_than_the_window_do_not_lock(
    session: AsyncSession,
) -> None:
    tree = await make_tree(session)
    created = await create_invite(
        session, SECRET, role=Role.OFFICER, actor="t", valid_days=7, unit_code=tree.union.code
    )
    start = utcnow()
    for minute in (0, 3, 6, 9, 12):
        await wrong(session, start + timedelta(minutes=minute))
    offer = await registration.check_code(
        session, SECRET, created.code, LAN, policy=POLICY, now=start + timedelta(minutes=13)
    )
    assert offer.invite_id == created.invite_id


async def test_ledger_is_bounded_and_names_nobody(session: AsyncSession) -> None:
    long_ago = utcnow() - timedelta(days=3)
    for minute in range(0, 60, 15):
        await wrong(session, long_ago + timedelta(minutes=minute))
    await wrong(session, utcnow())
    # Entries older than a day were pruned when the new one came in.
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
