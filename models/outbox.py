"""The outbox: every scheduled message is a row first, sent by one drainer, once.

The idempotency key (kind, recipient, period, stage) makes planning repeatable: a restart, a
second tick or a catch-up after downtime plans the same rows again and inserts nothing new.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.org import _enum


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed; a crash here means "send again" (at most the batch in flight)
    SENT = "sent"
    SKIPPED = "skipped"  # no longer relevant when its turn came (the unit has reported)
    FAILED = "failed"
    UNREACHABLE = "unreachable"  # the recipient blocked the bot


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[list[dict[str, Any]]] | None] = mapped_column(JSON)
    # For reminders: checked again just before sending, so a unit that reported meanwhile is
    # not reminded.
    reporting_unit_id: Mapped[int | None] = mapped_column(ForeignKey("reporting_units.id"))
    period: Mapped[str | None] = mapped_column(String(7))  # "2026-10", "2026-Q4" or "2026"
    # For digests: whose subtree (rendered when sent, so the figures are current).
    org_node_id: Mapped[int | None] = mapped_column(ForeignKey("org_nodes.id"))
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
