"""The organisation tree and the reporting units that live in it (docs/architecture.md)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Enum, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class NodeKind(enum.StrEnum):
    PROVINCE = "province"
    INDUSTRIAL_ZONE = "industrial_zone"
    ECONOMIC_ZONE = "economic_zone"
    # xã, phường: since 1 July 2025 the level below the province (the district level is gone).
    COMMUNE = "commune"
    ENTERPRISE = "enterprise"


class Ownership(enum.StrEnum):
    DOMESTIC = "domestic"
    FOREIGN = "foreign"  # có vốn đầu tư nước ngoài
    STATE = "state"


class UnitKind(enum.StrEnum):
    TRADE_UNION = "trade_union"  # công đoàn cơ sở
    PARTY_CELL = "party_cell"  # chi bộ / đảng bộ cơ sở, possibly combined across enterprises
    YOUTH_UNION = "youth_union"  # chi đoàn
    WOMENS_UNION = "womens_union"  # chi hội phụ nữ
    ZONE_UNION = "zone_union"  # công đoàn các KCN, KKT: reports zone-level figures


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Stored as VARCHAR + CHECK, not a native enum: adding a kind is then a plain migration on
    # both SQLite and PostgreSQL.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )


class OrgNode(Base):
    """A node of the configurable tree: province; industrial or economic zone, or commune or
    ward; enterprise."""

    __tablename__ = "org_nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[NodeKind] = mapped_column(_enum(NodeKind, "node_kind"))
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    # Materialised path ("/1/4/17/") so that "everything under this zone" is one indexed prefix
    # match on both backends, which the committee's subtree digests depend on.
    path: Mapped[str] = mapped_column(String(512), index=True, default="/")
    worker_count: Mapped[int | None] = mapped_column(Integer)
    ownership: Mapped[Ownership | None] = mapped_column(_enum(Ownership, "ownership"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    parent: Mapped[OrgNode | None] = relationship(remote_side=[id], lazy="raise")


reporting_unit_enterprises = Table(
    "reporting_unit_enterprises",
    Base.metadata,
    Column(
        "reporting_unit_id", ForeignKey("reporting_units.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("org_node_id", ForeignKey("org_nodes.id", ondelete="CASCADE"), primary_key=True),
)


class ReportingUnit(Base):
    """An organisation that reports monthly figures: a trade union, a party cell, …

    ``org_node`` is where it sits in the tree (its enterprise, or the zone for a combined party
    cell or a zone union); ``member_enterprises`` lists every enterprise a combined cell gathers.
    """

    __tablename__ = "reporting_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[UnitKind] = mapped_column(_enum(UnitKind, "unit_kind"))
    name: Mapped[str] = mapped_column(String(255))
    org_node_id: Mapped[int] = mapped_column(ForeignKey("org_nodes.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # The first month the unit must report ("2026-11"): reminders, missing lists and reporting
    # rates ignore the months before it, so a unit added today does not count as missing for
    # the past. The import sets it (its column, or the month the unit was created); None, for
    # units made outside the import (tests), means every month.
    first_period: Mapped[str | None] = mapped_column(String(7))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    org_node: Mapped[OrgNode] = relationship(lazy="raise")
    member_enterprises: Mapped[list[OrgNode]] = relationship(
        secondary=reporting_unit_enterprises, lazy="raise"
    )
