"""Anonymous polls of workers (issue 17; docs/polls.md is the contract).

Four tables, none holding anything that identifies a worker, a time of day, or a link between
a worker's acts:

- ``polls``: what officers asked (officers are not anonymous), the audience node and dates;
- ``poll_subscriptions``: one per worker who joined an enterprise's poll list, holding the
  enterprise and a reply address sealed to ``CONCERN_PUSH_PUBLIC_KEY`` — nothing else;
- ``poll_deliveries``: which subscription already received which poll (the fan-out's
  exactly-once ledger), random ids only, deleted once the poll's results are out;
- ``poll_ballots``: the one-answer-per-worker rule: a keyed token per poll and worker, the
  worker's choices encrypted under a key only the worker's account (and ``APP_SECRET``) can
  re-derive, and a sealed address for the results. No enterprise, no date;
- ``poll_answers``: the answers that are counted — poll, enterprise, question, option, and a
  random id. No ballot, no date. Rows with the same values are interchangeable, which is how an
  answer is changed without a link from ballot to answer row (services/polls/answers.py).

On SQLite every worker-side table is ``WITHOUT ROWID``: no hidden increasing row number tells
the order of arrival.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Poll(Base):
    """A poll set by an officer. ``questions`` is JSON: a list of
    ``{"text": {"vi": …, "en": …}, "options": [{"vi": …, "en": …}, …]}``."""

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    questions: Mapped[str] = mapped_column(Text)
    audience_node_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    opens_on: Mapped[date]
    closes_on: Mapped[date]  # answers are taken until the end of this day (Vietnam's date)
    results_before_close: Mapped[bool] = mapped_column(default=False)
    created_by_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # an officer's act
    # The results were sent to those who answered and the ballots deleted (services/polls).
    finished: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)


class PollSubscription(Base):
    """A worker on an enterprise's poll list: the enterprise and a sealed reply address."""

    __tablename__ = "poll_subscriptions"
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    reply_sealed: Mapped[bytes] = mapped_column(LargeBinary)


class PollDelivery(Base):
    """This subscription has received this poll (claimed before sending: never twice)."""

    __tablename__ = "poll_deliveries"
    __table_args__ = ({"sqlite_with_rowid": False},)

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    subscription_id: Mapped[str] = mapped_column(
        ForeignKey("poll_subscriptions.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class PollBallot(Base):
    """One worker's right to one answer in one poll, and what to undo when it changes."""

    __tablename__ = "poll_ballots"
    __table_args__ = ({"sqlite_with_rowid": False},)

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    # HMAC of the worker's account under a key derived from APP_SECRET and the poll id.
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The enterprise and options chosen, AES-GCM under a key derived from the same poll key and
    # the account: opening it needs the account itself (see services/polls/keys.py).
    choice_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    # Where to send the results (channel and chat, and the enterprise), sealed to the push key;
    # cleared once the results are sent.
    reply_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)


class PollAnswer(Base):
    """One answer to one question: no ballot, no subscription, no date."""

    __tablename__ = "poll_answers"
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id"))
    question: Mapped[int]
    option: Mapped[int]
    # Rewritten by a shuffled batch (``release_answers``): until then not counted in results
    # shown before the close, and carrying its own transaction's id on PostgreSQL.
    released: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)
