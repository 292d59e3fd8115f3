"""Sending polls and results (the leader-only job in handlers/polls/jobs.py calls these).

Exactly once per subscriber and poll, with no chat id in clear anywhere: a poll is *claimed* for
a subscription by inserting ``poll_deliveries(poll, subscription)`` — the primary key decides,
so two instances or two runs never both get it — and the claim is committed **before** the
message is sent. A send that fails for a passing reason gives the claim back
(``delivery_failed``) for the next batch; a blocked bot drops the subscription. The chat id is
opened from the seal in memory, for the batch only. What this cannot do: if the process dies
between the claim and the send, that subscriber misses that poll (never receives it twice).

Results go once to each ballot with a reply seal: the seal is cleared (committed) before the
send, under the same rule. When none is left the poll is finished: its ballots and delivery
rows are deleted, so nothing of who answered outlives the poll.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models import Poll, PollBallot, PollDelivery, PollSubscription
from services.anonymity import ConcernKeys, UndecryptableText
from services.polls.answers import release_answers
from services.polls.definition import enterprises_of
from services.polls.keys import Address, ballot_context, open_address, subscription_context

BATCH: Final = 200


@dataclass(frozen=True)
class PollDue:
    poll_id: int
    subscription_id: str
    target: str  # "telegram:123", opened in memory


@dataclass(frozen=True)
class ResultDue:
    poll_id: int
    target: str
    enterprise_id: int


def _open_all(
    keys: ConcernKeys, rows: list[tuple[str, bytes]], context: list[str]
) -> list[Address | None]:
    opened: list[Address | None] = []
    for (_, sealed), where in zip(rows, context, strict=True):
        try:
            opened.append(open_address(keys, sealed, where))
        except UndecryptableText:
            opened.append(None)
    return opened


async def take_deliveries(
    session: AsyncSession, keys: ConcernKeys, today: date, *, limit: int = BATCH
) -> list[PollDue]:
    """Claim up to ``limit`` (poll, subscriber) pairs not sent yet, for open polls; their chats
    opened in memory. A subscription whose seal no longer opens is dropped. Commits."""
    polls = list(
        await session.execute(
            select(Poll.id, Poll.audience_node_id).where(
                Poll.finished.is_(False), Poll.opens_on <= today, Poll.closes_on >= today
            )
        )
    )
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    claimed: list[tuple[int, str, bytes]] = []
    for poll_id, node_id in polls:
        if len(claimed) >= limit:
            break
        audience = await enterprises_of(session, node_id)
        sent = select(PollDelivery.subscription_id).where(PollDelivery.poll_id == poll_id)
        rows = (
            await session.execute(
                select(PollSubscription.id, PollSubscription.reply_sealed)
                .where(
                    PollSubscription.enterprise_id.in_(audience),
                    PollSubscription.id.not_in(sent),
                )
                .order_by(PollSubscription.id)
                .limit(limit - len(claimed))
            )
        ).all()
        if not rows:
            continue
        # One statement for the batch: the rows another instance claimed first are skipped.
        won = set(
            await session.scalars(
                insert(PollDelivery)
                .values([{"poll_id": poll_id, "subscription_id": s} for s, _ in rows])
                .on_conflict_do_nothing()
                .returning(PollDelivery.subscription_id)
            )
        )
        claimed += [(poll_id, s, sealed) for s, sealed in rows if s in won]
    await session.commit()
    opened = await asyncio.to_thread(
        _open_all,
        keys,
        [(s, sealed) for _, s, sealed in claimed],
        [subscription_context(s) for _, s, _ in claimed],
    )
    due = []
    for (poll_id, subscription_id, _), address in zip(claimed, opened, strict=True):
        if address is None:
            await session.execute(
                delete(PollDelivery).where(PollDelivery.subscription_id == subscription_id)
            )
            await session.execute(
                delete(PollSubscription).where(PollSubscription.id == subscription_id)
            )
        else:
            due.append(PollDue(poll_id, subscription_id, address.target))
    await session.commit()
    return due


async def delivery_failed(session: AsyncSession, poll_id: int, subscription_id: str) -> None:
    """The send failed for a passing reason: give the claim back for the next batch. Commits."""
    await session.execute(
        delete(PollDelivery).where(
            PollDelivery.poll_id == poll_id, PollDelivery.subscription_id == subscription_id
        )
    )
    await session.commit()


async def take_results(
    session: AsyncSession, keys: ConcernKeys, today: date, *, limit: int = BATCH
) -> list[ResultDue]:
    """For polls closed before ``today``: up to ``limit`` ballots' chats to send the results to,
    each taken once (its seal cleared, committed, before the caller sends). A poll with no
    seal left is finished here (ballots and deliveries deleted). Commits."""
    closed = list(
        await session.scalars(
            select(Poll.id).where(Poll.finished.is_(False), Poll.closes_on < today)
        )
    )
    if not closed:
        return []
    await release_answers(session)  # the last answers count, rewritten like the others
    taken: list[tuple[int, str, bytes]] = []
    for poll_id in closed:
        rows = (
            await session.execute(
                select(PollBallot.token, PollBallot.reply_sealed)
                .where(PollBallot.poll_id == poll_id, PollBallot.reply_sealed.is_not(None))
                .order_by(PollBallot.token)
                .limit(limit - len(taken))
                .with_for_update()
            )
        ).all()
        if not rows:
            await session.execute(delete(PollBallot).where(PollBallot.poll_id == poll_id))
            await session.execute(delete(PollDelivery).where(PollDelivery.poll_id == poll_id))
            await session.execute(update(Poll).where(Poll.id == poll_id).values(finished=True))
            continue
        tokens = [token for token, _ in rows]
        await session.execute(
            update(PollBallot)
            .where(PollBallot.poll_id == poll_id, PollBallot.token.in_(tokens))
            .values(reply_sealed=None)
        )
        taken += [(poll_id, token, sealed) for token, sealed in rows]
        if len(taken) >= limit:
            break
    await session.commit()
    opened = await asyncio.to_thread(
        _open_all,
        keys,
        [(t, sealed) for _, t, sealed in taken],
        [ballot_context(p, t) for p, t, _ in taken],
    )
    return [
        ResultDue(poll_id, address.target, address.enterprise_id)
        for (poll_id, _, _), address in zip(taken, opened, strict=True)
        if address is not None
    ]
