"""Figures of locked months kept for the digests (services/digests/month_cache.py).

``digest_stamps`` holds a version per reporting month ("2026-11") and one for the organisation
tree ("tree"). Database triggers (migration 0019) give a month a new random version in the same
transaction as any insert, update or delete of its reports, report values or reviews, and to
"tree" at any change of a unit's or a node's place, kind or activity, whoever writes (the bot, the
console, an import, the CLI, plain SQL). ``digest_cache`` holds one part of a scope's figures
for one month (the flow sums, the stocks, a share target) with the stamp of the versions it was
computed under; a row is used only while its stamp equals the one the versions give now, so two
instances on one database never see each other's stale figures.

Only sums and counts over a subtree are kept, never a unit's or a person's figure, and no time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

TREE_STAMP = "tree"


class DigestStamp(Base):
    __tablename__ = "digest_stamps"

    key: Mapped[str] = mapped_column(String(16), primary_key=True)  # "2026-11" or "tree"
    version: Mapped[int] = mapped_column(BigInteger)  # random: never given twice


class DigestCache(Base):
    __tablename__ = "digest_cache"

    node_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the digest's scope
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    part: Mapped[str] = mapped_column(String(80), primary_key=True)  # "flows", "stocks", …
    stamp: Mapped[str] = mapped_column(String(64))
    payload: Mapped[Any] = mapped_column(JSON)
