"""Anonymous worker concerns, their replies, and the rate-limit counters.

Nothing here identifies a worker (docs/architecture.md): no user id, chat id, name,
language, message id or time of day. Ids are random, dates are dates, texts are ciphertexts under
a key from the environment, the receipt is a slow keyed hash, and a chat id (only for a worker
who asked for replies to be pushed) is sealed to a public key whose private half is not in the
database. ``tests/integration/test_concerns_service.py`` dumps every table to check it.
"""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import (
    ForeignKey,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.org import _enum


class ConcernStatus(enum.StrEnum):
    RECEIVED = "received"  # đã tiếp nhận
    IN_PROGRESS = "in_progress"  # đang xử lý
    ANSWERED = "answered"  # đã trả lời
    CLOSED = "closed"  # đã đóng
    ESCALATED = "escalated"  # chuyển lên công đoàn khu công nghiệp / cấp trên


# Statuses in which a case waits for the union: these become overdue.
OPEN_STATUSES = (ConcernStatus.RECEIVED, ConcernStatus.IN_PROGRESS)


class LimitPurpose(enum.StrEnum):
    CONCERNS = "concerns"  # concerns sent today
    RECEIPT_ATTEMPTS = "receipt_attempts"  # receipts checked today, found or not


class Concern(Base):
    """One worker's concern. The primary key is random: a sequence would tell the order."""

    __tablename__ = "concerns"
    # SQLite would otherwise keep an implicit, increasing rowid: the order of arrival again.
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_code: Mapped[str] = mapped_column(String(16), unique=True)  # public: "TT-7K3M9Q"
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))  # a code from config/concerns.yaml
    status: Mapped[ConcernStatus] = mapped_column(_enum(ConcernStatus, "concern_status"))
    # Dates only, never a time of day: a time would point at who was on break then.
    created_on: Mapped[date] = mapped_column(index=True)
    status_changed_on: Mapped[date]
    answered_on: Mapped[date | None]
    escalated_on: Mapped[date | None]
    escalated_to_node_id: Mapped[int | None] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    # Escalated automatically because nobody answered in time; counted in the overdue figures.
    overdue: Mapped[bool] = mapped_column(default=False)
    text_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    # The worker's chat id sealed to CONCERN_PUSH_PUBLIC_KEY; only with the worker's consent.
    # Deleted when the case closes (once no answer waits for the push batch), and
    # ``push_seal_days`` after the last answer or status change of an answered case.
    push_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Included in an officers' batch notice yet (reset when the case is escalated).
    notified: Mapped[bool] = mapped_column(default=False, index=True)
    # Released by a notice batch: from then on the case exists for officers and the committee.
    # Never reset (unlike ``notified``, which an escalation resets to notify the zone again): a
    # case the digests once counted must not drop out of them until the zone's next batch.
    released: Mapped[bool] = mapped_column(default=False, server_default=false())


class ConcernReply(Base):
    """A reply of the union, signed by the organisation. Officers are not anonymous: who wrote
    it is kept for accountability inside the union, and never shown to the worker."""

    __tablename__ = "concern_replies"
    __table_args__ = (UniqueConstraint("concern_id", "number"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    concern_id: Mapped[str] = mapped_column(
        ForeignKey("concerns.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]  # 1, 2, … within the case: replies are read in order
    created_on: Mapped[date]
    body_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    signed_as: Mapped[str] = mapped_column(String(255))  # "CĐCS Công ty May Hà Phong"
    officer_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    # Waits for the pushed-answers batch (handlers/concerns/jobs.py). Set on EVERY answer,
    # whether or not the worker asked for pushes: the officer's request writes the same either
    # way, and once the batch has passed no row says which answers were pushed.
    push_pending: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)


class ConcernLimit(Base):
    """One use of a daily limit (a concern sent, a receipt checked): one row per use, under
    ``HMAC(purpose hash of the daily subject, "use:<n>")``, and the day. No count: a count per
    subject would tell which of a day's cases share an author (services/daily_limits.py).
    Only today's and yesterday's rows are kept (pruned on every write). The per-minute message
    limit is kept in memory (services/ratelimit.py): no time of day is ever stored."""

    __tablename__ = "concern_limits"
    # No rowid on SQLite: rows are stored in the order of their random hashes, not of arrival.
    __table_args__ = ({"sqlite_with_rowid": False},)

    purpose: Mapped[LimitPurpose] = mapped_column(
        _enum(LimitPurpose, "limit_purpose"), primary_key=True
    )
    subject_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True, index=True)
