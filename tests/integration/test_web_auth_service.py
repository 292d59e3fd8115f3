"""One-time links and web sessions on a real database: a link opens once even when two browsers
race for it, expires, names nobody revoked; sessions end when unused or when the person is
revoked; only hashes of the tokens are stored."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Person, WebLink, WebSession
from models.db import UnitOfWork
from services import web_auth
from services.errors import DomainError
from testkit.org import make_person, make_tree

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
VALID = timedelta(minutes=30)
IDLE = timedelta(minutes=60)


async def test_a_link_opens_its_page_once(session: AsyncSession) -> None:
    tree = await make_tree(session)
    lan = await make_person(session, 1, "Lan", units=(tree.union.id,))
    link = await web_auth.issue_link(
        session, person_id=lan, target="/report/1/2026-11", now=NOW, valid=VALID
    )
    rows = (await session.scalars(select(WebLink))).all()
    assert len(rows) == 1 and link.token not in rows[0].token_hash  # only the hash is kept
    opened = await web_auth.redeem_link(session, link.token, now=NOW + timedelta(minutes=1))
    assert opened == web_auth.Redeemed(lan, "/report/1/2026-11")
    with pytest.raises(web_auth.LinkUsed):
        await web_auth.redeem_link(session, link.token, now=NOW + timedelta(minutes=2))
    with pytest.raises(web_auth.LinkInvalid):
        await web_auth.redeem_link(session, "not-a-token", now=NOW)


async def test_two_browsers_opening_one_link_at_once_get_in_once(
    uow: UnitOfWork, session: AsyncSession
) -> None:
    tree = await make_tree(session)
    lan = await make_person(session, 1, "Lan", units=(tree.union.id,))
    link = await web_auth.issue_link(session, person_id=lan, target="/report", now=NOW, valid=VALID)

    async def open_it() -> object:
        async with uow() as own:
            try:
                return await web_auth.redeem_link(own, link.token, now=NOW)
            except DomainError as refusal:
                return refusal

    results = await asyncio.gather(*(open_it() for _ in range(5)))
    assert sum(isinstance(r, web_auth.Redeemed) for r in results) == 1
    assert all(
        isinstance(r, web_auth.LinkUsed) for r in results if not isinstance(r, web_auth.Redeemed)
    )


async def test_a_link_expires_and_a_revoked_person_gets_nothing(session: AsyncSession) -> None:
    tree = await make_tree(session)
    lan = await make_person(session, 1, "Lan", units=(tree.union.id,))
    late = await web_auth.issue_link(session, person_id=lan, target="/report", now=NOW, valid=VALID)
    with pytest.raises(web_auth.LinkExpired):
        await web_auth.redeem_link(session, late.token, now=NOW + VALID)
    fresh = await web_auth.issue_link(
        session, person_id=lan, target="/report", now=NOW, valid=VALID
    )
    await session.execute(update(Person).values(revoked_at=NOW))
    await session.commit()
    with pytest.raises(web_auth.NotRegistered):
        await web_auth.redeem_link(session, fresh.token, now=NOW)
    with pytest.raises(ValueError):
        await web_auth.issue_link(
            session, person_id=lan, target="https://evil.example", now=NOW, valid=VALID
        )


async def test_sessions_live_while_used_and_end_when_left_or_revoked(
    session: AsyncSession,
) -> None:
    tree = await make_tree(session)
    lan = await make_person(session, 1, "Nguyễn Thị Lan", units=(tree.union.id,))
    new = await web_auth.start_session(session, person_id=lan, via="link", now=NOW, idle=IDLE)
    found = await web_auth.signed_in(session, new.token, now=NOW + timedelta(minutes=50), idle=IDLE)
    assert found is not None and found.display_name == "Nguyễn Thị Lan" and found.via == "link"
    # Used at 50 minutes: alive at 100, gone 60 minutes after the last use.
    assert await web_auth.signed_in(session, new.token, now=NOW + timedelta(minutes=100), idle=IDLE)
    assert (
        await web_auth.signed_in(session, new.token, now=NOW + timedelta(minutes=161), idle=IDLE)
        is None
    )
    assert await web_auth.signed_in(session, None, now=NOW, idle=IDLE) is None
    assert await web_auth.signed_in(session, "made-up", now=NOW, idle=IDLE) is None

    other = await web_auth.start_session(session, person_id=lan, via="telegram", now=NOW, idle=IDLE)
    await session.execute(update(Person).values(revoked_at=NOW))
    await session.commit()
    assert await web_auth.signed_in(session, other.token, now=NOW, idle=IDLE) is None


async def test_a_session_ends_after_the_limit_however_busy(session: AsyncSession) -> None:
    tree = await make_tree(session)
    lan = await make_person(session, 1, "Lan", units=(tree.union.id,))
    new = await web_auth.start_session(session, person_id=lan, via="link", now=NOW, idle=IDLE)
    moment = NOW
    while moment - NOW < web_auth.SESSION_LIMIT:
        assert await web_auth.signed_in(session, new.token, now=moment, idle=IDLE) is not None
        moment += timedelta(minutes=50)
    assert await web_auth.signed_in(session, new.token, now=moment, idle=IDLE) is None


async def test_old_links_and_sessions_are_deleted_when_new_links_are_made(
    session: AsyncSession,
) -> None:
    tree = await make_tree(session)
    lan = await make_person(session, 1, "Lan", units=(tree.union.id,))
    await web_auth.issue_link(session, person_id=lan, target="/report", now=NOW, valid=VALID)
    await web_auth.start_session(session, person_id=lan, via="link", now=NOW, idle=IDLE)
    later = NOW + max(VALID, IDLE) + web_auth.KEEP_EXPIRED + timedelta(minutes=1)
    await web_auth.issue_link(session, person_id=lan, target="/report", now=later, valid=VALID)
    session.expire_all()
    assert len((await session.scalars(select(WebLink))).all()) == 1
    assert (await session.scalars(select(WebSession))).all() == []
