"""A case reaches officers and the committee only when a notice batch releases it (issue 13).

Officers hear of new cases at the batch times (08:00 and 14:00), so the committee's digests must
not show a case earlier: a member polling /tonghop would otherwise see the first case of a
category appear at an enterprise and learn when it was written. And once released, the rows of
a batch must not keep the order in which they arrived: on PostgreSQL the physical order (ctid,
what ``SELECT *`` and pg_dump follow) and the transaction ids (xmin) would tell it.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.digests.view import period_choices
from models import Concern, ConcernReply, ConcernStatus, NodeKind, OrgNode
from models.migrate import downgrade, upgrade
from services import concerns
from services.digests import Digest, SuppressedCount, build_digest
from services.indicators import load_indicator_config
from services.periods import load_calendar
from services.reporting import ReportingSetup
from services.targets import load_targets
from testkit.concern_world import (
    CONFIG,
    KEYS,
    TODAY,
    World,
    lookup,
    make_world,
    only_case,
    submit,
)
from testkit.db import run_sql as _run

SETUP = ReportingSetup(
    indicators=load_indicator_config(),
    calendar=load_calendar(),
    zone=ZoneInfo("Asia/Ho_Chi_Minh"),
)
TARGETS = load_targets(indicators=SETUP.indicators)
BEFORE = "0012"  # the migration before concerns.released


async def bare_enterprise(session: AsyncSession, world: World) -> int:
    """An enterprise of the zone without a trade union: its cases are escalated to the zone
    union the moment they are sent (``escalated_on`` is set before any batch)."""
    node = OrgNode(
        code="DN-03",
        kind=NodeKind.ENTERPRISE,
        name="Công ty Chưa có CĐ",
        parent_id=world.tree.zone.id,
        worker_count=400,
    )
    session.add(node)
    await session.flush()
    zone = await session.get(OrgNode, world.tree.zone.id)
    assert zone is not None
    node.path = f"{zone.path}{node.id}/"
    await session.commit()
    return node.id


async def every_digest(
    session: AsyncSession, world: World, extra: tuple[int, ...] = (), today: date = TODAY
) -> dict[tuple[int, str], Digest]:
    """What the committee can ask for: every level from the province down to each enterprise
    (the drill-down), every period /tonghop offers. The pushed digest and the Excel file are
    built from the same Digest."""
    tree = world.tree
    nodes = (tree.province.id, tree.zone.id, tree.enterprise.id, tree.small_enterprise.id, *extra)
    found = {}
    for node_id in nodes:
        for period in period_choices(today):
            found[node_id, period.key] = await build_digest(
                session,
                node_id=node_id,
                period=period,
                setup=SETUP,
                targets=TARGETS,
                concern_config=CONFIG,
                today=today,
            )
    return found


async def test_a_case_counts_in_digests_only_once_a_batch_released_it(
    session: AsyncSession,
) -> None:
    world = await make_world(session)
    bare = await bare_enterprise(session, world)
    before = await every_digest(session, world, (bare,))
    assert before[world.tree.province.id, "2026-11"].concerns_total.new == SuppressedCount()

    # Sent today, not yet released: one to an enterprise with a union, one to an enterprise
    # without one (escalated to the zone at once, so "escalated" must not mean "released").
    first = await submit(session, world.tree.enterprise.id, release=False)
    await submit(session, bare, who="2", release=False)
    assert await every_digest(session, world, (bare,)) == before
    # The worker's /kiemtra works meanwhile: the case is in the table.
    assert (await lookup(session, first.receipt)).status is ConcernStatus.RECEIVED

    assert await concerns.release_pending(session) == 2
    released = await every_digest(session, world, (bare,))
    assert released != before
    month = released[world.tree.province.id, "2026-11"].concerns_total
    assert month.new == SuppressedCount(visible=0, hidden=2)  # two enterprises, <5 each
    for period in ("2026-Q4", "2026"):
        assert released[world.tree.zone.id, period].concerns_total.new == month.new
    assert released[bare, "2026-11"].concerns_total.new == SuppressedCount(0, 1)

    # Escalated by hand after the batch, the case waits for the zone's next notice (its
    # ``notified`` is reset); it was released all the same and must not vanish meanwhile.
    case = await only_case(session, world.lan)
    await concerns.escalate(session, world.lan, case.concern_id, TODAY)
    assert await every_digest(session, world, (bare,)) == released


async def test_a_case_of_an_earlier_day_counts_even_if_no_batch_ran(
    session: AsyncSession,
) -> None:
    """By the next day a case is no news: a batch would say as much (the day and "after the
    last batch"), so a missed batch (scheduler down) does not keep it out of the digests."""
    world = await make_world(session)
    yesterday = TODAY - timedelta(days=1)
    before = await every_digest(session, world, today=yesterday)
    await submit(session, world.tree.enterprise.id, day=yesterday, release=False)
    assert await every_digest(session, world, today=yesterday) == before
    today = await every_digest(session, world)
    assert today[world.tree.enterprise.id, "2026-11"].concerns_total.new == SuppressedCount(0, 1)


async def _rows(session: AsyncSession) -> dict[str, dict[str, Any]]:
    rows = (await session.execute(select(Concern.__table__))).mappings().all()
    return {row["id"]: dict(row) for row in rows}


async def test_a_batch_rewrites_its_cases_in_an_order_unrelated_to_arrival(
    session: AsyncSession, backend: str
) -> None:
    """PostgreSQL: after the batch its rows share one xmin and their physical order is not the
    order of arrival. SQLite: the table has no rowid, its order is that of the random ids.
    Nothing is lost or changed on the way, replies included."""
    world = await make_world(session)
    # A case released by an earlier batch, then answered and passed on by hand: this batch
    # notifies the zone of it. Its reply (a foreign key onto the case) must survive the batch.
    older = await submit(session, world.tree.enterprise.id, who="old")
    old_case = await only_case(session, world.lan)
    await concerns.reply(
        session, world.lan, old_case.concern_id, "Đã nhận.", TODAY, keys=KEYS, config=CONFIG
    )
    await concerns.escalate(session, world.lan, old_case.concern_id, TODAY)

    arrival = []
    for number in range(20):
        sent = await submit(session, world.tree.enterprise.id, who=f"w{number}", release=False)
        arrival.append(
            await session.scalar(select(Concern.id).where(Concern.case_code == sent.case_code))
        )
    before = await _rows(session)
    assert await concerns.release_pending(session) == 21
    after = await _rows(session)

    # Nothing lost, nothing changed but the flags; the reply is still there.
    assert set(after) == set(before)
    for concern_id, row in after.items():
        assert row["notified"] and row["released"]
        assert {k: v for k, v in row.items() if k not in ("notified", "released")} == {
            k: v for k, v in before[concern_id].items() if k not in ("notified", "released")
        }
    assert await session.scalar(
        select(ConcernReply.concern_id).where(ConcernReply.concern_id == old_case.concern_id)
    )
    assert (await lookup(session, older.receipt, who="old")).replies[0].text == "Đã nhận."

    if backend == "postgresql":
        rows = (
            await session.execute(text("SELECT id, xmin::text FROM concerns ORDER BY ctid"))
        ).all()
        physical = [row[0] for row in rows if row[0] in set(arrival)]
        # One transaction wrote the whole batch ...
        assert len({row[1] for row in rows}) == 1
        # ... in an order unrelated to arrival (20! orders: identity by chance is ~4e-19).
        assert sorted(physical) == sorted(arrival)
        assert physical != arrival and physical != arrival[::-1]
    else:
        table = await session.scalar(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'concerns'")
        )
        assert "WITHOUT ROWID" in table.upper()
        with pytest.raises(DBAPIError):
            await session.execute(text("SELECT rowid FROM concerns"))
        await session.rollback()
        # The table is a B-tree on the random id: read in its own order, not in arrival order.
        physical = [
            cid
            for cid in (await session.scalars(text("SELECT id FROM concerns"))).all()
            if cid in set(arrival)
        ]
        assert physical == sorted(arrival) and physical != arrival


def test_the_migration_releases_the_cases_officers_had_seen(fresh_url: str) -> None:
    """notified, or audited (an officer replied or escalated after a batch released it)."""
    upgrade(fresh_url, BEFORE)

    def case(number: int, notified: bool) -> str:
        return (
            "INSERT INTO concerns (id, case_code, receipt_hash, enterprise_id, category, status, "
            "created_on, status_changed_on, overdue, text_encrypted, notified) VALUES "
            f"('c{number}', 'TT-{number}', 'h{number}', 1, 'wages', 'escalated', "
            f"'2026-11-20', '2026-11-20', false, 'x', {str(notified).lower()})"
        )

    asyncio.run(
        _run(
            fresh_url,
            "INSERT INTO org_nodes (code, kind, name, path, active, created_at, updated_at) "
            "VALUES ('DN-1', 'enterprise', 'Công ty', '/1/', true, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            case(1, True),  # notified by a batch
            case(2, False),  # sent after the last batch
            case(3, False),  # released, then escalated by hand: the zone is not notified yet
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, details) VALUES "
            "(CURRENT_TIMESTAMP, 'person:1', 'concern.escalate', 'concern', 'c3', '{}')",
        )
    )
    upgrade(fresh_url)
    released = "SELECT id, released FROM concerns ORDER BY id"
    assert asyncio.run(_run(fresh_url, released)) == [("c1", True), ("c2", False), ("c3", True)]
    downgrade(fresh_url, BEFORE)
    assert asyncio.run(_run(fresh_url, "SELECT count(*) FROM concerns")) == [(3,)]
    if fresh_url.startswith("sqlite"):  # the rebuild of a downgrade keeps the table rowid-less
        sql = "SELECT sql FROM sqlite_master WHERE name = 'concerns'"
        assert "WITHOUT ROWID" in str(asyncio.run(_run(fresh_url, sql))[0][0]).upper()
