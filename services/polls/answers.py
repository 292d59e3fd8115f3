"""Answering a poll: one answer per worker per poll, changeable until the close, and no link
from the worker's ballot to the rows that are counted.

The ballot (``poll_ballots``) is found by a keyed token of the account and holds the worker's
choices encrypted under a key derived from the same account. The counted answers
(``poll_answers``) carry only poll, enterprise, question and option. To change an answer, the bot
opens the ballot with the account, learns the old option, and deletes *any one* answer row with
the old values — rows with equal values are interchangeable, so it never needs (or keeps) a
pointer from ballot to row — then inserts a row with the new option. docs/polls.md has the
design, the alternatives rejected and the limits.
"""

from __future__ import annotations

import functools
import random
from datetime import date
from typing import Final, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import OrgNode, Poll, PollAnswer, PollBallot
from services.anonymity import ConcernKeys, new_id
from services.polls.definition import decode_questions
from services.polls.errors import BadPoll, NotSubscribed, PollNotOpen
from services.polls.keys import (
    Address,
    Choice,
    ballot_context,
    ballot_token,
    decrypt_choice,
    encrypt_choice,
    seal_address,
)
from services.polls.subscriptions import subscription_of

_SHUFFLE: Final = random.SystemRandom()
_CHUNK: Final = 500


async def _delete_one(
    session: AsyncSession, poll_id: int, enterprise_id: int, question: int, option: int
) -> None:
    """Delete one answer row with these values, whichever (they are interchangeable)."""
    for _ in range(5):  # a concurrent change may take the same row first: pick another
        row_id = await session.scalar(
            select(PollAnswer.id)
            .where(
                PollAnswer.poll_id == poll_id,
                PollAnswer.enterprise_id == enterprise_id,
                PollAnswer.question == question,
                PollAnswer.option == option,
            )
            .limit(1)
        )
        if row_id is None:
            return
        result = await session.execute(delete(PollAnswer).where(PollAnswer.id == row_id))
        if result.rowcount:  # type: ignore[attr-defined]
            return


async def my_choice(
    session: AsyncSession, keys: ConcernKeys, poll_id: int, channel: str, account: str
) -> Choice | None:
    """This account's answers in this poll, or None before its first answer."""
    token = ballot_token(keys, poll_id, channel, account)
    blob = await session.scalar(
        select(PollBallot.choice_encrypted).where(
            PollBallot.poll_id == poll_id, PollBallot.token == token
        )
    )
    return None if blob is None else decrypt_choice(keys, poll_id, channel, account, token, blob)


async def answer(
    session: AsyncSession,
    keys: ConcernKeys,
    *,
    poll_id: int,
    channel: str,
    account: str,
    chat: str,
    subscription_id: str,
    question: int,
    option: int,
    today: date,
) -> Choice:
    """Record (or change) this account's answer to one question; the ballot's choices after it.

    ``chat`` is where the results will go (``"telegram:123"``); ``subscription_id`` the poll
    list the poll came through, checked to be this chat's own (NotSubscribed otherwise).
    PollNotOpen once the poll has closed. Commits."""
    once = functools.partial(
        _answer_once,
        session,
        keys,
        poll_id=poll_id,
        channel=channel,
        account=account,
        chat=chat,
        subscription_id=subscription_id,
        question=question,
        option=option,
        today=today,
    )
    try:
        return await once()
    except IntegrityError:
        # Two first answers of one account at once both found no ballot and both made one;
        # this one lost. Once more: the ballot the other made is found and changed.
        await session.rollback()
        return await once()


async def _answer_once(
    session: AsyncSession,
    keys: ConcernKeys,
    *,
    poll_id: int,
    channel: str,
    account: str,
    chat: str,
    subscription_id: str,
    question: int,
    option: int,
    today: date,
) -> Choice:
    poll = await session.get(Poll, poll_id)
    if poll is None or poll.finished or not (poll.opens_on <= today <= poll.closes_on):
        raise PollNotOpen()
    questions = decode_questions(poll.questions)
    if not (0 <= question < len(questions) and 0 <= option < len(questions[question].options)):
        raise BadPoll()
    enterprise_id = await subscription_of(session, keys, subscription_id, chat)
    if enterprise_id is None:
        raise NotSubscribed()
    audience = await session.get(OrgNode, poll.audience_node_id)
    enterprise = await session.get(OrgNode, enterprise_id)
    if audience is None or enterprise is None or not enterprise.path.startswith(audience.path):
        raise NotSubscribed()
    token = ballot_token(keys, poll_id, channel, account)
    ballot = await session.get(PollBallot, (poll_id, token), with_for_update=True)
    if ballot is not None:
        choice = decrypt_choice(keys, poll_id, channel, account, token, ballot.choice_encrypted)
    else:
        choice = Choice(enterprise_id, (None,) * len(questions))
    old = choice.options[question]
    if old == option:
        return choice
    if old is not None:
        await _delete_one(session, poll_id, choice.enterprise_id, question, old)
    session.add(
        PollAnswer(
            id=new_id(),
            poll_id=poll_id,
            enterprise_id=choice.enterprise_id,
            question=question,
            option=option,
            released=False,
        )
    )
    options = list(choice.options)
    options[question] = option
    updated = Choice(choice.enterprise_id, tuple(options))
    blob = encrypt_choice(keys, poll_id, channel, account, token, updated)
    # A fresh seal at every answer: the same chat's seals never repeat, in this poll or another.
    sealed = seal_address(keys, Address(chat, choice.enterprise_id), ballot_context(poll_id, token))
    if ballot is None:
        session.add(
            PollBallot(poll_id=poll_id, token=token, choice_encrypted=blob, reply_sealed=sealed)
        )
    else:
        ballot.choice_encrypted = blob
        ballot.reply_sealed = sealed
    await session.commit()
    return updated


async def release_answers(session: AsyncSession) -> int:
    """Rewrite every answer written since the last batch, one by one in a random order, in one
    transaction (as services/concerns/release.py does for cases): on PostgreSQL they then share
    this transaction's id and a physical order drawn at random, so neither tells which ballot
    (written in the answer's own transaction) an answer row came with. Results shown before the
    close count released answers only. How many. Commits."""
    ids: list[str] = []
    after = ""
    while True:
        chunk = list(
            await session.scalars(
                select(PollAnswer.id)
                .where(PollAnswer.released.is_(False), PollAnswer.id > after)
                .order_by(PollAnswer.id)
                .limit(_CHUNK)
                .with_for_update()
            )
        )
        if not chunk:
            break
        ids += chunk
        after = chunk[-1]
    _SHUFFLE.shuffle(ids)
    if ids:
        table = cast(Table, PollAnswer.__table__)
        await session.execute(
            update(table).where(table.c.id == bindparam("answer_id")).values(released=True),
            [{"answer_id": answer_id} for answer_id in ids],
        )
    await session.commit()
    return len(ids)
