"""Monthly reports: indicator-set versions, submitted reports and values, drafts, amendments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.org import UnitKind, _enum

# Values are exact decimals: counts, and percentages such as 12,5 %.
VALUE = Numeric(18, 4)


class IndicatorSetVersion(Base):
    """A frozen copy of one unit kind's indicator set. Reports point here, so editing the YAML
    later never changes what an old report meant."""

    __tablename__ = "indicator_set_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_kind: Mapped[UnitKind] = mapped_column(_enum(UnitKind, "unit_kind"))
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    config_version: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(Base):
    """A submitted monthly report: one per unit and period."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("reporting_unit_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reporting_unit_id: Mapped[int] = mapped_column(ForeignKey("reporting_units.id"), index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)  # "2026-10"
    indicator_set_version_id: Mapped[int] = mapped_column(ForeignKey("indicator_set_versions.id"))
    submitted_at: Mapped[datetime]
    submitted_by_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    late: Mapped[bool] = mapped_column(default=False)
    revision: Mapped[int] = mapped_column(default=1)  # +1 at every confirmed amendment
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReportValue(Base):
    __tablename__ = "report_values"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    indicator_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[Decimal | None] = mapped_column(VALUE)  # None: an optional indicator skipped
    note: Mapped[str | None] = mapped_column(String(500))  # why a big jump is right


class ReportChange(Base):
    """Audit trail of amendments: old and new value, who, when, why."""

    __tablename__ = "report_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    indicator_code: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[Decimal | None] = mapped_column(VALUE)
    new_value: Mapped[Decimal | None] = mapped_column(VALUE)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(String(500))


class ReportDraft(Base):
    """The report being written, saved at every answered step: one per unit and period.

    ``answers`` maps indicator code → {"v": "1500" | None, "note": str | None}; ``step`` is the
    index of the next question (== number of indicators: the review screen). ``pending`` holds a
    value waiting for "are you sure?".
    """

    __tablename__ = "report_drafts"
    __table_args__ = (UniqueConstraint("reporting_unit_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reporting_unit_id: Mapped[int] = mapped_column(ForeignKey("reporting_units.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    indicator_set_version_id: Mapped[int] = mapped_column(ForeignKey("indicator_set_versions.id"))
    started_by_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    owner_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    amending_report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    step: Mapped[int] = mapped_column(default=0)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    returning_to_review: Mapped[bool] = mapped_column(default=False)
    # The chat message whose typed answer was applied last: the same message delivered again
    # (a restart before the platform learnt it was handled) must not answer the next question.
    last_message_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReportUnlock(Base):
    """An administrator reopened a unit's period after its lock day, until ``until``."""

    __tablename__ = "report_unlocks"
    __table_args__ = (UniqueConstraint("reporting_unit_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reporting_unit_id: Mapped[int] = mapped_column(ForeignKey("reporting_units.id"))
    period: Mapped[str] = mapped_column(String(7))
    until: Mapped[datetime]
    unlocked_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationState(Base):
    """python-telegram-bot conversation states, one row per conversation key (not one blob)."""

    __tablename__ = "conversation_states"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)  # JSON of PTB's key tuple
    state: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReportReview(Base):
    """Where a report stands with the level above, when its unit kind is reviewed
    (config/reporting.yaml ``review``): ``pending`` (sent or amended, waiting), ``returned`` (back
    to its officers with ``comment``) or ``approved`` (locked against amendment until the
    reviewer reopens it). One row per report; every decision is also in audit_log."""

    __tablename__ = "report_reviews"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    # The node whose reviewers decide (the unit's zone or province): the scope check and the
    # daily notice both select by it.
    reviewer_node_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    revision: Mapped[int]  # the report's revision the status is about
    comment: Mapped[str | None] = mapped_column(String(500))
    decided_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
